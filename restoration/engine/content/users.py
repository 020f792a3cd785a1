"""Users and groups: profiles, the email login, group and role memberships, groups
inside groups. Built-in groups (everyone, externally managed) are mapped, never written."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from looker_sdk.sdk.api40 import models as m

from restoration.engine.api import (
    DestinationAPI,
    ItemFailed,
    LostWrite,
    as_dict,
    finds_lost_answer,
    retried_as_is,
)
from restoration.engine.content.base import (
    CT,
    ContentKind,
    Outcome,
    body_dict,
    created_by_key,
    id_order,
    text_id,
)
from restoration.models import BlobDecodeError, decode_blob

if TYPE_CHECKING:
    from restoration.engine.destination import DestinationState
    from restoration.engine.plan import PlanEntry
    from restoration.engine.restorer import Restorer


def user_email(obj: dict[str, Any]) -> str | None:
    """A user's natural key: the email login, lower-cased."""
    email = obj.get("email") or (obj.get("credentials_email") or {}).get("email")
    return email.strip().lower() if email else None


def note_member(r: Restorer, dest_user: str, field_name: str, *ids: str) -> None:
    """Record in the destination index a membership this session just wrote."""
    user = r.state.index(CT.USER).by_id.get(dest_user)
    if user is not None:
        have = {str(i) for i in user.get(field_name) or []}
        user[field_name] = sorted(have | set(ids))
    with r.derived_lock:
        held = r.derived.get(field_name)
        if held is not None:
            for i in ids:
                held.setdefault(str(i), set()).add(dest_user)


def members(r: Restorer, field_name: str) -> dict[str, set[str]]:
    """Destination group (`group_ids`) or role (`role_ids`) id -> the destination users
    holding it, from the users listing, kept current by `note_member`: the bulk signal
    of a group's or role's members."""
    with r.derived_lock:
        held = r.derived.get(field_name)
        if held is None:
            held = {}
            for uid, user in list(r.state.index(CT.USER).by_id.items()):
                for i in user.get(field_name) or []:
                    held.setdefault(str(i), set()).add(uid)
            r.derived[field_name] = held
        return held


def is_builtin_group(r: Restorer, dest_group: str) -> bool:
    group = r.state.index(CT.GROUP).by_id.get(dest_group) or {}
    return bool(group.get("include_by_default") or group.get("externally_managed"))


class UserKind(ContentKind):
    content_type = CT.USER
    label = "user"
    # Every write of a user is remembered (upsert, _email, note_member).
    stamp_fields = frozenset(
        {
            "first_name",
            "last_name",
            "is_disabled",
            "locale",
            "home_folder_id",
            "email",
            "group_ids",
            "role_ids",
        }
    )

    def listing(self, state: DestinationState) -> list[dict[str, Any]]:
        return state.paged("all_users")

    def natural_key(self, obj: dict[str, Any]) -> Any:
        return user_email(obj)

    def search_by_key(self, key: Any) -> tuple[str, dict[str, Any]]:
        return ("search_users", {"email": key})

    def restore(self, r: Restorer, entry: PlanEntry, data: dict[str, Any]) -> Outcome:
        # Never passwords, API keys or tokens: the profile fields travel, and the email
        # credential (a login name, no secret) is added by _email below.
        wanted = body_dict(
            m.WriteUser,
            {k: data.get(k) for k in ("first_name", "last_name", "is_disabled", "locale")},
            f"user {entry.content_id}",
        )
        home = r.ref(CT.FOLDER, data.get("home_folder_id"), required=False)
        if home:
            wanted["home_folder_id"] = home
        outcome, _ = r.upsert(
            CT.USER,
            entry,
            wanted,
            create="create_user",
            update="update_user",
            create_cls=m.WriteUser,
            update_cls=m.WriteUser,
            key=user_email(data),
        )
        if outcome.destination_id and not r.dry_run:
            self._email(r, outcome.destination_id, data, outcome)
            self._memberships(r, outcome.destination_id, data, outcome)
        return outcome

    def _email(self, r: Restorer, dest_user: str, data: dict[str, Any], outcome: Outcome) -> None:
        """Give a user without one the backup's email credential: the login name and the
        natural key a re-run matches on. It carries no password or secret; no reset is
        forced and no reset email is sent (the user signs in as the instance allows, e.g.
        SSO or a reset an admin sends). A user whose email is set is left alone."""
        email = (data.get("credentials_email") or {}).get("email") or data.get("email")
        user = r.state.index(CT.USER).by_id.get(dest_user)
        if not email or user is None or user_email(user):
            return
        r.api.write(
            "create_user_credentials_email",
            dest_user,
            body=m.WriteCredentialsEmail(email=str(email).strip()),
        )
        user["email"] = str(email).strip()
        r.state.index(CT.USER).by_key.setdefault(user_email(user), dest_user)
        outcome.notes.append("email credential set")

    def _memberships(
        self, r: Restorer, dest_user: str, data: dict[str, Any], outcome: Outcome
    ) -> None:
        current = r.state.index(CT.USER).by_id.get(dest_user) or {}
        groups = {
            g
            for g in (r.ref(CT.GROUP, g, required=False) for g in data.get("group_ids") or [])
            if g
        }
        for gid in sorted(groups - {str(g) for g in current.get("group_ids") or []}):
            if is_builtin_group(r, gid):
                continue
            r.api.write(
                "add_group_user", gid, body=m.GroupIdForGroupUserInclusion(user_id=dest_user)
            )
            note_member(r, dest_user, "group_ids", gid)
            outcome.notes.append(f"added to group {gid}")
        roles = {
            x for x in (r.ref(CT.ROLE, x, required=False) for x in data.get("role_ids") or []) if x
        }
        have = {str(x) for x in current.get("role_ids") or []}
        if roles - have:
            new_roles = sorted(have | roles)
            r.api.write("set_user_roles", dest_user, body=new_roles)
            note_member(r, dest_user, "role_ids", *new_roles)
            outcome.notes.append(f"roles {', '.join(new_roles)}")


class GroupKind(ContentKind):
    content_type = CT.GROUP
    # Members as the users listing shows them; groups inside groups have no bulk
    # listing: compared only with --verify or when the backup item changed.
    stamp_fields = frozenset({"name", "can_add_to_content_metadata", "members"})

    def listed(self, r: Restorer, dest_id: str) -> dict[str, Any] | None:
        group = r.state.index(CT.GROUP).by_id.get(dest_id)
        if group is None:
            return None
        return {**group, "members": sorted(members(r, "group_ids").get(dest_id, ()))}

    label = "group"

    def listing(self, state: DestinationState) -> list[dict[str, Any]]:
        return state.listed("all_groups")

    def natural_key(self, obj: dict[str, Any]) -> Any:
        return obj.get("name") or None

    def search_by_key(self, key: Any) -> tuple[str, dict[str, Any]]:
        return ("search_groups", {"name": key})

    def prepare(self, r: Restorer) -> None:
        r.state.index(CT.USER)
        with r.db_lock:
            r.source.users()

    def restore(self, r: Restorer, entry: PlanEntry, data: dict[str, Any]) -> Outcome:
        index = r.state.index(CT.GROUP)
        name = data.get("name")
        if data.get("include_by_default") or data.get("externally_managed"):
            dest = r.locate(CT.GROUP, entry.content_id, name)[0]
            if dest is None:
                for gid, group in index.by_id.items():
                    if group.get("include_by_default") and data.get("include_by_default"):
                        dest = gid
            if dest is None:
                raise ItemFailed(
                    f"built-in group {name!r} has no counterpart in the destination",
                    error_type="MissingBuiltIn",
                )
            return r.map_only(CT.GROUP, entry, dest, "built-in group: mapped, never modified")
        wanted = body_dict(m.WriteGroup, data, f"group {entry.content_id}")
        outcome, _ = r.upsert(
            CT.GROUP,
            entry,
            wanted,
            create="create_group",
            update="update_group",
            create_cls=m.WriteGroup,
            update_cls=m.WriteGroup,
            key=name,
        )
        if outcome.destination_id and not r.dry_run:
            members = set(r.source.users()["group"].get(entry.content_id, []))
            members |= {str(u) for u in data.get("user_ids") or []}
            for src_user in sorted(members):
                dest_user = r.ref(CT.USER, src_user, required=False)
                if not dest_user:
                    continue
                user = r.state.index(CT.USER).by_id.get(dest_user) or {}
                if outcome.destination_id in {str(g) for g in user.get("group_ids") or []}:
                    continue
                r.api.write(
                    "add_group_user",
                    outcome.destination_id,
                    body=m.GroupIdForGroupUserInclusion(user_id=dest_user),
                )
                note_member(r, dest_user, "group_ids", outcome.destination_id)
        return outcome

    def after_type(self, r: Restorer, entries: Any) -> None:
        """Groups inside groups, once every group of the session exists."""
        if r.dry_run:
            return
        batch: list[PlanEntry] = []
        for entry in entries:
            batch.append(entry)
            if len(batch) >= 200:
                self._nest(r, batch)
                batch = []
        self._nest(r, batch)

    def _nest(self, r: Restorer, batch: list[PlanEntry]) -> None:
        from restoration.engine.plan import load_blobs

        with r.db_lock:
            blobs = load_blobs(batch)
        for entry in batch:
            try:
                data = decode_blob(blobs.get(entry.offset))
            except BlobDecodeError:
                continue
            if r.was_unchanged(CT.GROUP, entry.content_id):
                continue  # skipped by the re-run check: nesting is compared with --verify
            dest_group = r.mappings.get(CT.GROUP, entry.content_id)
            children = {
                g
                for g in (r.ref(CT.GROUP, c, required=False) for c in data.get("group_ids") or [])
                if g
            }
            if dest_group and children:
                have = {
                    text_id(g.get("id"))
                    for g in as_dict(r.api.read("all_group_groups", dest_group)) or []
                }
                for child in sorted(children - have):
                    r.api.write(
                        "add_group_group",
                        dest_group,
                        body=m.GroupIdForGroupInclusion(group_id=child),
                    )


# -- writes whose answer was lost (restoration.engine.api) -----------------------------
finds_lost_answer("create_group")(created_by_key(CT.GROUP))
retried_as_is(
    "PATCH sets the fields it names; PUT sets the whole list of roles or members",
    "update_user",
    "update_group",
    "set_user_roles",
)


@finds_lost_answer("create_user")
def find_created_user(api: DestinationAPI, lost: LostWrite) -> Any:
    """By email when the user already has it; else the user with these names and no
    email whom the session did not know before the create: the email is set by a later
    call (create_user_credentials_email), so a user whose create's answer was lost has
    none yet."""
    if lost.key:
        for obj in api.read("search_users", email=lost.key) or []:
            if user_email(as_dict(obj)) == lost.key:
                return obj
    body = lost.body or {}
    names = {k: body[k] for k in ("first_name", "last_name") if body.get(k)}
    candidates = [
        obj
        for obj in (as_dict(u) for u in api.read("search_users", **names) or [])
        if text_id(obj.get("id")) not in lost.known
        and not user_email(obj)
        and all(obj.get(k) == v for k, v in names.items())
    ]
    if not candidates:
        return None
    return api.read("user", text_id(min(candidates, key=id_order).get("id")))


@finds_lost_answer("create_user_credentials_email")
def find_email_credential(api: DestinationAPI, lost: LostWrite) -> Any:
    """The user's email login, if it is the one sent (an "Email credentials already
    exist" answer to the repeat then adopts it)."""
    user = as_dict(api.read("user", lost.args[0])) or {}
    sent = str((lost.body or {}).get("email") or "").strip().lower()
    creds = user.get("credentials_email") or {}
    return creds if sent and str(creds.get("email") or "").lower() == sent else None


@finds_lost_answer("add_group_user")
def find_group_member(api: DestinationAPI, lost: LostWrite) -> Any:
    """The user, if the group is among theirs."""
    user_id = (lost.body or {}).get("user_id")
    user = api.read("user", str(user_id))
    have = {str(g) for g in getattr(user, "group_ids", None) or []}
    return user if str(lost.args[0]) in have else None


@finds_lost_answer("add_group_group")
def find_group_in_group(api: DestinationAPI, lost: LostWrite) -> Any:
    """The child group, if the parent now holds it."""
    child = str((lost.body or {}).get("group_id"))
    for group in api.read("all_group_groups", lost.args[0]) or []:
        if str(group.id) == child:
            return group
    return None
