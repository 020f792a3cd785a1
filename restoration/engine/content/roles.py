"""Roles, permission sets and model sets: the sets by name, each role pointing at its
mapped sets, with its users and groups. Built-in sets and the Admin role are mapped to
the destination's own, never written. The default roles a new instance ships with
(Developer, User, Viewer and their sets) are ordinary objects Looker lets admins change:
they are matched by name, so a restore writes them only where the backup's differ."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from looker_sdk.sdk.api40 import models as m

from restoration.engine.api import ItemFailed, as_dict, finds_lost_answer, retried_as_is
from restoration.engine.content.base import (
    CT,
    ContentKind,
    Outcome,
    body_dict,
    created_by_key,
    text_id,
    write_fields,
)
from restoration.engine.content.users import members, note_member

if TYPE_CHECKING:
    from restoration.engine.destination import DestinationState
    from restoration.engine.plan import PlanEntry
    from restoration.engine.restorer import Restorer


class _NamedSetKind(ContentKind):
    """A permission set or model set: known by name; a built-in one is only mapped."""

    list_method: str
    search_method: str
    write_cls: type

    def listing(self, state: DestinationState) -> list[dict[str, Any]]:
        return state.listed(self.list_method)

    def natural_key(self, obj: dict[str, Any]) -> Any:
        return obj.get("name") or None

    def search_by_key(self, key: Any) -> tuple[str, dict[str, Any]]:
        return (self.search_method, {"name": key})

    def restore(self, r: Restorer, entry: PlanEntry, data: dict[str, Any]) -> Outcome:
        if data.get("built_in"):
            index = r.state.index(self.content_type)
            dest = r.mappings.get(self.content_type, entry.content_id)
            if dest not in index.by_id:
                dest = index.by_key.get(data.get("name"))
            if dest is None:
                raise ItemFailed(
                    f"built-in {self.label} {data.get('name')!r} has no counterpart in the destination",
                    error_type="MissingBuiltIn",
                )
            return r.map_only(
                self.content_type, entry, dest, f"built-in {self.label}: mapped, never modified"
            )
        slug = self.label.replace(" ", "_")
        wanted = body_dict(self.write_cls, data, f"{self.label} {entry.content_id}")
        return r.upsert(
            self.content_type,
            entry,
            wanted,
            create=f"create_{slug}",
            update=f"update_{slug}",
            create_cls=self.write_cls,
            update_cls=self.write_cls,
            key=data.get("name"),
        )[0]


class PermissionSetKind(_NamedSetKind):
    content_type = CT.PERMISSION_SET
    label = "permission set"
    list_method = "all_permission_sets"
    search_method = "search_permission_sets"
    write_cls = m.WritePermissionSet
    stamp_fields = write_fields(m.WritePermissionSet)


class ModelSetKind(_NamedSetKind):
    content_type = CT.MODEL_SET
    label = "model set"
    list_method = "all_model_sets"
    search_method = "search_model_sets"
    write_cls = m.WriteModelSet
    stamp_fields = write_fields(m.WriteModelSet)


class RoleKind(ContentKind):
    content_type = CT.ROLE
    label = "role"
    # Users holding the role as the users listing shows them; the role's groups have no
    # bulk listing: compared only with --verify or when the backup item changed.
    stamp_fields = frozenset({"name", "permission_set_id", "model_set_id", "members"})

    def listed(self, r: Restorer, dest_id: str) -> dict[str, Any] | None:
        role = r.state.index(CT.ROLE).by_id.get(dest_id)
        if role is None:
            return None
        return {
            "name": role.get("name"),
            "permission_set_id": text_id(
                role.get("permission_set_id") or (role.get("permission_set") or {}).get("id")
            ),
            "model_set_id": text_id(
                role.get("model_set_id") or (role.get("model_set") or {}).get("id")
            ),
            "members": sorted(members(r, "role_ids").get(dest_id, ())),
        }

    def listing(self, state: DestinationState) -> list[dict[str, Any]]:
        return state.listed("all_roles")

    def natural_key(self, obj: dict[str, Any]) -> Any:
        return obj.get("name") or None

    def search_by_key(self, key: Any) -> tuple[str, dict[str, Any]]:
        return ("search_roles", {"name": key})

    def prepare(self, r: Restorer) -> None:
        r.state.index(CT.USER)
        with r.db_lock:
            r.source.users()
        r.state.index(CT.PERMISSION_SET)

    def _is_admin(self, r: Restorer, role: dict[str, Any]) -> bool:
        pset = role.get("permission_set") or {}
        if not pset and role.get("permission_set_id"):
            pset = r.state.index(CT.PERMISSION_SET).by_id.get(str(role["permission_set_id"])) or {}
        return bool(pset.get("built_in") and pset.get("all_access"))

    def restore(self, r: Restorer, entry: PlanEntry, data: dict[str, Any]) -> Outcome:
        if self._is_admin(r, data):
            index = r.state.index(CT.ROLE)
            dest = next(
                (rid for rid, role in index.by_id.items() if self._is_admin(r, role)),
                index.by_key.get(data.get("name")),
            )
            if dest is None:
                raise ItemFailed("the destination has no Admin role", error_type="MissingBuiltIn")
            outcome = r.map_only(CT.ROLE, entry, dest, "built-in role: mapped, never modified")
        else:
            pset_id = data.get("permission_set_id") or (data.get("permission_set") or {}).get("id")
            mset_id = data.get("model_set_id") or (data.get("model_set") or {}).get("id")
            wanted = body_dict(
                m.WriteRole,
                {
                    "name": data.get("name"),
                    "permission_set_id": r.ref(CT.PERMISSION_SET, pset_id),
                    "model_set_id": r.ref(CT.MODEL_SET, mset_id),
                },
                f"role {entry.content_id}",
            )
            current = r.state.index(CT.ROLE).by_id.get(
                r.locate(CT.ROLE, entry.content_id, data.get("name"))[0] or ""
            )
            if current is not None:
                current = {
                    **current,
                    "permission_set_id": text_id(
                        current.get("permission_set_id")
                        or (current.get("permission_set") or {}).get("id")
                    ),
                    "model_set_id": text_id(
                        current.get("model_set_id") or (current.get("model_set") or {}).get("id")
                    ),
                }
            outcome, _ = r.upsert(
                CT.ROLE,
                entry,
                wanted,
                create="create_role",
                update="update_role",
                create_cls=m.WriteRole,
                update_cls=m.WriteRole,
                key=data.get("name"),
                current=current,
            )
        if outcome.destination_id and not r.dry_run:
            self._members(r, entry.content_id, outcome.destination_id, data)
        return outcome

    def _members(self, r: Restorer, src_role: str, dest_role: str, data: dict[str, Any]) -> None:
        """Role users: the backup's plus whoever already holds the role (never removed)."""
        src_users = set(r.source.users()["role"].get(src_role, [])) | {
            str(u) for u in data.get("user_ids") or []
        }
        wanted = {u for u in (r.ref(CT.USER, s, required=False) for s in src_users) if u}
        users = r.state.index(CT.USER).by_id
        have = {
            uid
            for uid, u in users.items()
            if dest_role in {str(x) for x in u.get("role_ids") or []}
        }
        if wanted - have:
            r.api.write("set_role_users", dest_role, body=sorted(wanted | have))
            for uid in wanted:
                note_member(r, uid, "role_ids", dest_role)
        if data.get("group_ids"):
            groups = {
                g for g in (r.ref(CT.GROUP, g, required=False) for g in data["group_ids"]) if g
            }
            current = {
                str(g.get("id")) for g in (as_dict(r.api.read("role_groups", dest_role)) or [])
            }
            if groups - current:
                r.api.write("set_role_groups", dest_role, body=sorted(groups | current))


# -- writes whose answer was lost (restoration.engine.api) -----------------------------
finds_lost_answer("create_permission_set")(created_by_key(CT.PERMISSION_SET))
finds_lost_answer("create_model_set")(created_by_key(CT.MODEL_SET))
finds_lost_answer("create_role")(created_by_key(CT.ROLE))
retried_as_is(
    "PATCH sets the fields it names; PUT sets the role's whole list of users or groups",
    "update_permission_set",
    "update_model_set",
    "update_role",
    "set_role_users",
    "set_role_groups",
)
