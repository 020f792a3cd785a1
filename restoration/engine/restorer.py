"""Restoring one backup item into the destination: find where it goes, build its
payload from the SDK's Write models with every reference translated, write it (or,
in a dry run, say what would be written), and reconcile its sub-resources.

Where an item goes: its ID mapping; else, restoring into the instance it came from,
the same id (undeleting a soft-deleted object); else the destination object with the
same natural key; else a new object, whose mapping is saved right after the create.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime
from looker_sdk.rtl.serialize import converter40
from looker_sdk.sdk.api40 import models as m

from restoration.config import RestorationConfig
from restoration.content_types import ContentType
from restoration.engine.api import DestinationAPI, ItemFailed, MissingReference, as_dict
from restoration.engine.destination import DestinationState, Mappings, natural_key, user_email
from restoration.engine.plan import PlanEntry
from restoration.models import BlobDecodeError, ContentItem, decode_blob

logger = logging.getLogger(__name__)

CT = ContentType
LABELS = {
    CT.USER: "user",
    CT.GROUP: "group",
    CT.PERMISSION_SET: "permission set",
    CT.MODEL_SET: "model set",
    CT.ROLE: "role",
    CT.FOLDER: "folder",
    CT.LOOKML_MODEL: "LookML model",
    CT.LOOK: "look",
    CT.DASHBOARD: "dashboard",
    CT.BOARD: "board",
    CT.SCHEDULED_PLAN: "scheduled plan",
}
BUILT_IN_FOLDER_FLAGS = (
    "is_shared_root",
    "is_users_root",
    "is_embed_shared_root",
    "is_embed_users_root",
)
UNCHANGED = "already matches the backup"

# How to look an object up by its natural key (destination.natural_key): a search method
# and its parameters. Used only to check whether a create whose answer was lost landed.
SEARCH_BY_KEY = {
    CT.USER: lambda email: ("search_users", {"email": email}),
    CT.GROUP: lambda name: ("search_groups", {"name": name}),
    CT.ROLE: lambda name: ("search_roles", {"name": name}),
    CT.PERMISSION_SET: lambda name: ("search_permission_sets", {"name": name}),
    CT.MODEL_SET: lambda name: ("search_model_sets", {"name": name}),
    CT.FOLDER: lambda key: ("search_folders", {"parent_id": key[0], "name": key[1]}),
    CT.LOOK: lambda key: ("search_looks", {"folder_id": key[0], "title": key[1]}),
    CT.DASHBOARD: lambda key: ("search_dashboards", {"folder_id": key[0], "title": key[1]}),
    CT.BOARD: lambda title: ("search_boards", {"title": title}),
}


@dataclass
class Outcome:
    """What happened to one item (or, in a dry run, what would)."""

    status: str  # created | updated | skipped | failed
    destination_id: str | None = None
    reason: str = ""
    diff: dict[str, list[Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _s(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def write_model(cls: type, data: dict[str, Any], what: str) -> Any:
    """The SDK's Write model for `data`: read-only keys dropped, nested types converted."""
    try:
        return converter40.structure(data, cls)
    except Exception as exc:  # cattrs raises an ExceptionGroup naming each bad field
        detail = "; ".join(_flatten_errors(exc)) or str(exc)
        raise ItemFailed(
            f"{what} cannot be written: {detail}", error_type="InvalidPayload"
        ) from exc


def _flatten_errors(exc: BaseException) -> list[str]:
    subs = getattr(exc, "exceptions", None)
    if not subs:
        return [str(exc)]
    out: list[str] = []
    for sub in subs:
        out.extend(_flatten_errors(sub))
    return out


def body_dict(cls: type, data: dict[str, Any], what: str) -> dict[str, Any]:
    """The writable fields of `data` for `cls`, as plain data (None left out)."""
    return converter40.unstructure(write_model(cls, data, what))


def diff_fields(wanted: dict[str, Any], current: dict[str, Any] | None) -> dict[str, list[Any]]:
    """{field: [destination, backup]} for each writable field that differs."""
    current = current or {}
    out: dict[str, list[Any]] = {}
    for key, value in wanted.items():
        have = current.get(key)
        if _norm(have) != _norm(value):
            out[key] = [have, value]
    return out


def _norm(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items() if v not in (None, [], {})}
    if isinstance(value, list | tuple):
        return [_norm(v) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _query_dict(query: dict[str, Any] | None) -> dict[str, Any] | None:
    if not query:
        return None
    data = {k: v for k, v in query.items() if k not in ("client_id", "id", "slug")}
    return body_dict(m.WriteQuery, data, "query")


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        return parse_datetime(value.replace("Z", "+00:00"))
    return None


class SourceIndex:
    """Facts about the backup that items of other types need (memberships, names)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users: dict[str, dict[str, list[str]]] | None = None
        self._names: dict[tuple[int, str], str] = {}

    def users(self) -> dict[str, dict[str, list[str]]]:
        """group id / role id / home folder id -> source user ids, from the backup's users."""
        if self._users is None:
            with self._lock:
                if self._users is None:
                    index: dict[str, dict[str, list[str]]] = {"group": {}, "role": {}, "home": {}}
                    rows = ContentItem.objects.of_type(CT.USER).active()
                    for cid, blob in rows.values_list("content_id", "content_data").iterator(
                        chunk_size=1000
                    ):
                        try:
                            data = decode_blob(blob)
                        except BlobDecodeError:
                            continue
                        for gid in data.get("group_ids") or []:
                            index["group"].setdefault(str(gid), []).append(cid)
                        for rid in data.get("role_ids") or []:
                            index["role"].setdefault(str(rid), []).append(cid)
                        if data.get("home_folder_id"):
                            index["home"].setdefault(str(data["home_folder_id"]), []).append(cid)
                    self._users = index
        return self._users

    def name(self, content_type: int, content_id: str) -> str:
        key = (content_type, str(content_id))
        if key not in self._names:
            self._names[key] = (
                ContentItem.objects.filter(content_type=content_type, content_id=str(content_id))
                .values_list("name", flat=True)
                .first()
                or ""
            )
        return self._names[key]

    def blob(self, content_type: int, content_id: str) -> dict[str, Any] | None:
        row = ContentItem.objects.filter(
            content_type=content_type, content_id=str(content_id)
        ).first()
        if row is None:
            return None
        try:
            return row.decoded()
        except BlobDecodeError:
            return None


class Restorer:
    """Restores items of any type for one session; safe to call from many threads."""

    def __init__(
        self,
        config: RestorationConfig,
        api: DestinationAPI,
        mappings: Mappings,
        state: DestinationState,
        *,
        same_instance: bool,
        db_lock: threading.RLock,
    ) -> None:
        self.config = config
        self.api = api
        self.mappings = mappings
        self.state = state
        self.same_instance = same_instance
        self.dry_run = config.dry_run
        self.db_lock = db_lock
        self.source = SourceIndex()
        self._placeholder = 0
        self._placeholder_lock = threading.Lock()
        self.handlers = {
            CT.USER: self.restore_user,
            CT.GROUP: self.restore_group,
            CT.PERMISSION_SET: self.restore_permission_set,
            CT.MODEL_SET: self.restore_model_set,
            CT.ROLE: self.restore_role,
            CT.FOLDER: self.restore_folder,
            CT.LOOKML_MODEL: self.restore_lookml_model,
            CT.LOOK: self.restore_look,
            CT.DASHBOARD: self.restore_dashboard,
            CT.BOARD: self.restore_board,
            CT.SCHEDULED_PLAN: self.restore_scheduled_plan,
        }

    # -- entry point -------------------------------------------------------------
    def restore(self, entry: PlanEntry, blob: Any) -> Outcome:
        label = f"{LABELS.get(entry.content_type, 'item')} {entry.content_id}"
        try:
            data = decode_blob(blob, label=label)
        except BlobDecodeError as exc:
            raise ItemFailed(str(exc), error_type="BlobDecodeError") from exc
        handler = self.handlers.get(entry.content_type)
        if handler is None:
            return Outcome("skipped", reason="this type cannot be written through the API")
        if data.get("id") is None and entry.content_type != CT.LOOKML_MODEL:
            data["id"] = entry.content_id
        try:
            return handler(entry, data)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise ItemFailed(
                f"{label} has an unexpected shape: {type(exc).__name__}: {exc}",
                error_type="UnexpectedShape",
            ) from exc

    def prepare(self, content_type: int) -> None:
        """Prefetch what a type's items need, once, before the workers start on it."""
        self.state.index(content_type)
        if content_type in (CT.GROUP, CT.ROLE, CT.FOLDER):
            self.state.index(CT.USER)
            with self.db_lock:
                self.source.users()
        if content_type == CT.ROLE:
            self.state.index(CT.PERMISSION_SET)

    # -- references ----------------------------------------------------------------
    def ref(self, content_type: int, source_id: Any, *, required: bool = True) -> str | None:
        """The destination id for a referenced source object, or MissingReference."""
        sid = _s(source_id)
        if sid is None:
            return None
        found = self.mappings.get(content_type, sid)
        if found is not None:
            return found
        index = self.state.index(content_type)
        if self.same_instance and sid in index.by_id:
            return sid
        matched = self._match_unrestored(content_type, sid)
        if matched is not None:
            return matched
        if not required:
            return None
        with self.db_lock:
            name = self.source.name(content_type, sid)
        if name:
            raise MissingReference(f"{LABELS[content_type]} {sid} {name!r} was not restored")
        raise MissingReference(
            f"{LABELS[content_type]} {sid} was not restored (it is not in the backup)"
        )

    def _match_unrestored(self, content_type: int, sid: str) -> str | None:
        """A referenced object outside this session's plan: match it by natural key."""
        if content_type == CT.LOOKML_MODEL:
            return sid if sid in self.state.index(CT.LOOKML_MODEL).by_id else None
        with self.db_lock:
            data = self.source.blob(content_type, sid)
        if data is None:
            return None
        try:
            if content_type == CT.FOLDER:
                special = self._special_folder(data)
                if special is not None:
                    return special
                data = {**data, "parent_id": self.ref(CT.FOLDER, data.get("parent_id"))}
            elif content_type in (CT.LOOK, CT.DASHBOARD):
                data = {**data, "folder_id": self.ref(CT.FOLDER, data.get("folder_id"))}
        except MissingReference:
            return None
        key = natural_key(content_type, data)
        found = self.state.index(content_type).by_key.get(key) if key is not None else None
        if found is not None:
            self.mappings.put(content_type, sid, found)
        return found

    def _placeholder_id(self, content_type: int, sid: str) -> str:
        with self._placeholder_lock:
            self._placeholder += 1
            return f"new-{LABELS[content_type].replace(' ', '-')}-{self._placeholder}"

    # -- the generic upsert ----------------------------------------------------------
    def locate(self, content_type: int, sid: str, key: Any) -> tuple[str | None, bool]:
        """(destination id, soft-deleted?) of where the item goes, or (None, False)."""
        index = self.state.index(content_type)
        mapped = self.mappings.get(content_type, sid)
        if mapped is not None and (mapped in index.by_id or mapped in index.deleted):
            return mapped, mapped in index.deleted
        if mapped is not None and self.dry_run and mapped.startswith("new-"):
            return None, False
        if self.same_instance:
            if sid in index.by_id:
                return sid, False
            if sid in index.deleted:
                return sid, True
        if key is not None and key in index.by_key:
            return index.by_key[key], False
        return None, False

    def upsert(
        self,
        content_type: int,
        entry: PlanEntry,
        wanted: dict[str, Any],
        *,
        create: str,
        update: str,
        create_cls: type,
        update_cls: type,
        key: Any,
        current: dict[str, Any] | None = None,
        target: tuple[str | None, bool] | None = None,
        id_field: str = "id",
    ) -> tuple[Outcome, dict[str, Any] | None]:
        """Create or update one object; returns the outcome and the destination object."""
        sid = entry.content_id
        dest_id, deleted = target if target is not None else self.locate(content_type, sid, key)
        what = f"{LABELS[content_type]} {sid}"
        if dest_id is None:
            if self.dry_run:
                self.mappings.put(content_type, sid, self._placeholder_id(content_type, sid))
                return Outcome("created", reason="would create"), None
            found: list[Any] = []
            recover = self.created_lookup(content_type, key, found)
            obj = as_dict(
                self.api.write(create, body=write_model(create_cls, wanted, what), recover=recover)
            )
            new_id = _s(obj.get(id_field))
            self.mappings.put(
                content_type, sid, new_id, created=True
            )  # the same step as the create
            self.state.remember(content_type, obj)
            lost = "the create's answer was lost; found what it made instead of creating it again"
            notes = [lost] if found else []
            return Outcome("created", new_id, notes=notes), obj
        if current is None:
            current = self.state.index(content_type).by_id.get(dest_id)
        if self.config.skip_if_modified and self._modified_after_backup(current, entry):
            self.mappings.put(content_type, sid, dest_id)
            return Outcome(
                "skipped", dest_id, reason="changed in the destination after the backup"
            ), current
        diff = diff_fields(wanted, current)
        if deleted:
            diff["deleted"] = [True, False]
            wanted = {**wanted, "deleted": False}
        self.mappings.put(content_type, sid, dest_id)
        if not diff:
            return Outcome("skipped", dest_id, reason=UNCHANGED), current
        if self.dry_run:
            return Outcome("updated", dest_id, diff=diff), current
        changed = {k: wanted[k] for k in diff if k in wanted}
        obj = as_dict(self.api.write(update, dest_id, body=write_model(update_cls, changed, what)))
        self.state.remember(content_type, obj)
        return Outcome("updated", dest_id, diff=diff), obj

    def created_lookup(self, content_type: int, key: Any, found: list[Any]) -> Any:
        """For a create: a check, run by LookerCaller before it repeats a create whose answer
        was lost (a timeout, a dropped connection, a 5xx), of whether the first attempt
        landed: one search by the natural key. What it finds is adopted (and appended to
        `found`) instead of being created a second time, which would make a duplicate or,
        for types whose names are unique, a 422 "already exists" and a false dead letter.

        None (no check; the create is simply retried) for types without a search by natural
        key here: LookML models and scheduled plans. Tiles, board items, filters and
        memberships have no natural key at all and are not written through upsert; their
        creates are retried as before.
        """
        search = SEARCH_BY_KEY.get(content_type)
        if search is None or key is None:
            return None

        def lookup() -> Any:
            method, params = search(key)
            for obj in self.api.read(method, **params) or []:
                # Looker's search ignores case and treats % and _ as wildcards: compare exactly.
                if natural_key(content_type, as_dict(obj)) == key:
                    found.append(obj)
                    return obj
            return None

        return lookup

    def _modified_after_backup(self, current: dict[str, Any] | None, entry: PlanEntry) -> bool:
        changed = _when((current or {}).get("updated_at"))
        return bool(changed and entry.updated_at and changed > entry.updated_at)

    def _map_only(self, content_type: int, entry: PlanEntry, dest_id: str, why: str) -> Outcome:
        self.mappings.put(content_type, entry.content_id, dest_id)
        return Outcome("skipped", dest_id, reason=why)

    # -- users, groups, roles ----------------------------------------------------------
    def restore_user(self, entry: PlanEntry, data: dict[str, Any]) -> Outcome:
        # Never passwords, API keys or tokens: the profile fields travel, and the email
        # credential (a login name, no secret) is added by _user_email below.
        wanted = body_dict(
            m.WriteUser,
            {k: data.get(k) for k in ("first_name", "last_name", "is_disabled", "locale")},
            f"user {entry.content_id}",
        )
        home = self.ref(CT.FOLDER, data.get("home_folder_id"), required=False)
        if home:
            wanted["home_folder_id"] = home
        outcome, obj = self.upsert(
            CT.USER,
            entry,
            wanted,
            create="create_user",
            update="update_user",
            create_cls=m.WriteUser,
            update_cls=m.WriteUser,
            key=user_email(data),
        )
        if outcome.destination_id and not self.dry_run:
            self._user_email(outcome.destination_id, data, outcome)
            self._user_memberships(outcome.destination_id, data, outcome)
        return outcome

    def _user_email(self, dest_user: str, data: dict[str, Any], outcome: Outcome) -> None:
        """Give a user without one the backup's email credential: the login name and the
        natural key a re-run matches on. It carries no password or secret; no reset is
        forced and no reset email is sent (the user signs in as the instance allows, e.g.
        SSO or a reset an admin sends). A user whose email is set is left alone."""
        email = (data.get("credentials_email") or {}).get("email") or data.get("email")
        user = self.state.index(CT.USER).by_id.get(dest_user)
        if not email or user is None or user_email(user):
            return
        self.api.write(
            "create_user_credentials_email",
            dest_user,
            body=m.WriteCredentialsEmail(email=str(email).strip()),
        )
        user["email"] = str(email).strip()
        self.state.index(CT.USER).by_key.setdefault(user_email(user), dest_user)
        outcome.notes.append("email credential set")

    def _user_memberships(self, dest_user: str, data: dict[str, Any], outcome: Outcome) -> None:
        current = self.state.index(CT.USER).by_id.get(dest_user) or {}
        groups = {
            g
            for g in (self.ref(CT.GROUP, g, required=False) for g in data.get("group_ids") or [])
            if g
        }
        for gid in sorted(groups - {str(g) for g in current.get("group_ids") or []}):
            if self._is_builtin_group(gid):
                continue
            self.api.write(
                "add_group_user", gid, body=m.GroupIdForGroupUserInclusion(user_id=dest_user)
            )
            self._note_member(dest_user, "group_ids", gid)
            outcome.notes.append(f"added to group {gid}")
        roles = {
            r
            for r in (self.ref(CT.ROLE, r, required=False) for r in data.get("role_ids") or [])
            if r
        }
        have = {str(r) for r in current.get("role_ids") or []}
        if roles - have:
            new_roles = sorted(have | roles)
            self.api.write("set_user_roles", dest_user, body=new_roles)
            self._note_member(dest_user, "role_ids", *new_roles)
            outcome.notes.append(f"roles {', '.join(new_roles)}")

    def _note_member(self, dest_user: str, field_name: str, *ids: str) -> None:
        user = self.state.index(CT.USER).by_id.get(dest_user)
        if user is not None:
            have = {str(i) for i in user.get(field_name) or []}
            user[field_name] = sorted(have | set(ids))

    def _is_builtin_group(self, dest_group: str) -> bool:
        group = self.state.index(CT.GROUP).by_id.get(dest_group) or {}
        return bool(group.get("include_by_default") or group.get("externally_managed"))

    def restore_group(self, entry: PlanEntry, data: dict[str, Any]) -> Outcome:
        index = self.state.index(CT.GROUP)
        name = data.get("name")
        if data.get("include_by_default") or data.get("externally_managed"):
            dest = self.locate(CT.GROUP, entry.content_id, name)[0]
            if dest is None:
                for gid, group in index.by_id.items():
                    if group.get("include_by_default") and data.get("include_by_default"):
                        dest = gid
            if dest is None:
                raise ItemFailed(
                    f"built-in group {name!r} has no counterpart in the destination",
                    error_type="MissingBuiltIn",
                )
            return self._map_only(CT.GROUP, entry, dest, "built-in group: mapped, never modified")
        wanted = body_dict(m.WriteGroup, data, f"group {entry.content_id}")
        outcome, _ = self.upsert(
            CT.GROUP,
            entry,
            wanted,
            create="create_group",
            update="update_group",
            create_cls=m.WriteGroup,
            update_cls=m.WriteGroup,
            key=name,
        )
        if outcome.destination_id and not self.dry_run:
            members = set(self.source.users()["group"].get(entry.content_id, []))
            members |= {str(u) for u in data.get("user_ids") or []}
            for src_user in sorted(members):
                dest_user = self.ref(CT.USER, src_user, required=False)
                if not dest_user:
                    continue
                user = self.state.index(CT.USER).by_id.get(dest_user) or {}
                if outcome.destination_id in {str(g) for g in user.get("group_ids") or []}:
                    continue
                self.api.write(
                    "add_group_user",
                    outcome.destination_id,
                    body=m.GroupIdForGroupUserInclusion(user_id=dest_user),
                )
                self._note_member(dest_user, "group_ids", outcome.destination_id)
        return outcome

    def after_type(self, content_type: int, entries: Any) -> None:
        """Work that needs every item of a type in place: groups inside groups."""
        if content_type != CT.GROUP or self.dry_run:
            return
        batch: list[PlanEntry] = []
        for entry in entries:
            batch.append(entry)
            if len(batch) >= 200:
                self._nest_groups(batch)
                batch = []
        self._nest_groups(batch)

    def _nest_groups(self, batch: list[PlanEntry]) -> None:
        from restoration.engine.plan import load_blobs

        with self.db_lock:
            blobs = load_blobs(batch)
        for entry in batch:
            try:
                data = decode_blob(blobs.get(entry.offset))
            except BlobDecodeError:
                continue
            dest_group = self.mappings.get(CT.GROUP, entry.content_id)
            children = {
                g
                for g in (
                    self.ref(CT.GROUP, c, required=False) for c in data.get("group_ids") or []
                )
                if g
            }
            if dest_group and children:
                self._add_to_group(dest_group, children)

    def _add_to_group(self, dest_group: str, members: set[str]) -> None:
        have = {
            _s(g.get("id")) for g in as_dict(self.api.read("all_group_groups", dest_group)) or []
        }
        for child in sorted(members - have):
            self.api.write(
                "add_group_group", dest_group, body=m.GroupIdForGroupInclusion(group_id=child)
            )

    def _builtin_set(self, content_type: int, entry: PlanEntry, data: dict[str, Any]) -> Outcome:
        index = self.state.index(content_type)
        dest = self.mappings.get(content_type, entry.content_id)
        if dest not in index.by_id:
            dest = index.by_key.get(data.get("name"))
        if dest is None:
            raise ItemFailed(
                f"built-in {LABELS[content_type]} {data.get('name')!r} has no counterpart in the destination",
                error_type="MissingBuiltIn",
            )
        return self._map_only(
            content_type, entry, dest, f"built-in {LABELS[content_type]}: mapped, never modified"
        )

    def restore_permission_set(self, entry: PlanEntry, data: dict[str, Any]) -> Outcome:
        if data.get("built_in"):
            return self._builtin_set(CT.PERMISSION_SET, entry, data)
        wanted = body_dict(m.WritePermissionSet, data, f"permission set {entry.content_id}")
        return self.upsert(
            CT.PERMISSION_SET,
            entry,
            wanted,
            create="create_permission_set",
            update="update_permission_set",
            create_cls=m.WritePermissionSet,
            update_cls=m.WritePermissionSet,
            key=data.get("name"),
        )[0]

    def restore_model_set(self, entry: PlanEntry, data: dict[str, Any]) -> Outcome:
        if data.get("built_in"):
            return self._builtin_set(CT.MODEL_SET, entry, data)
        wanted = body_dict(m.WriteModelSet, data, f"model set {entry.content_id}")
        return self.upsert(
            CT.MODEL_SET,
            entry,
            wanted,
            create="create_model_set",
            update="update_model_set",
            create_cls=m.WriteModelSet,
            update_cls=m.WriteModelSet,
            key=data.get("name"),
        )[0]

    def _is_admin_role(self, role: dict[str, Any]) -> bool:
        pset = role.get("permission_set") or {}
        if not pset and role.get("permission_set_id"):
            pset = (
                self.state.index(CT.PERMISSION_SET).by_id.get(str(role["permission_set_id"])) or {}
            )
        return bool(pset.get("built_in") and pset.get("all_access"))

    def restore_role(self, entry: PlanEntry, data: dict[str, Any]) -> Outcome:
        if self._is_admin_role(data):
            index = self.state.index(CT.ROLE)
            dest = next(
                (rid for rid, r in index.by_id.items() if self._is_admin_role(r)),
                index.by_key.get(data.get("name")),
            )
            if dest is None:
                raise ItemFailed("the destination has no Admin role", error_type="MissingBuiltIn")
            outcome = self._map_only(CT.ROLE, entry, dest, "built-in role: mapped, never modified")
        else:
            pset_id = data.get("permission_set_id") or (data.get("permission_set") or {}).get("id")
            mset_id = data.get("model_set_id") or (data.get("model_set") or {}).get("id")
            wanted = body_dict(
                m.WriteRole,
                {
                    "name": data.get("name"),
                    "permission_set_id": self.ref(CT.PERMISSION_SET, pset_id),
                    "model_set_id": self.ref(CT.MODEL_SET, mset_id),
                },
                f"role {entry.content_id}",
            )
            current = self.state.index(CT.ROLE).by_id.get(
                self.locate(CT.ROLE, entry.content_id, data.get("name"))[0] or ""
            )
            if current is not None:
                current = {
                    **current,
                    "permission_set_id": _s(
                        current.get("permission_set_id")
                        or (current.get("permission_set") or {}).get("id")
                    ),
                    "model_set_id": _s(
                        current.get("model_set_id") or (current.get("model_set") or {}).get("id")
                    ),
                }
            outcome, _ = self.upsert(
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
        if outcome.destination_id and not self.dry_run:
            self._role_members(entry.content_id, outcome.destination_id, data)
        return outcome

    def _role_members(self, src_role: str, dest_role: str, data: dict[str, Any]) -> None:
        """Role users: the backup's plus whoever already holds the role (never removed)."""
        src_users = set(self.source.users()["role"].get(src_role, [])) | {
            str(u) for u in data.get("user_ids") or []
        }
        wanted = {u for u in (self.ref(CT.USER, s, required=False) for s in src_users) if u}
        users = self.state.index(CT.USER).by_id
        have = {
            uid
            for uid, u in users.items()
            if dest_role in {str(r) for r in u.get("role_ids") or []}
        }
        if wanted - have:
            self.api.write("set_role_users", dest_role, body=sorted(wanted | have))
            for uid in wanted:
                self._note_member(uid, "role_ids", dest_role)
        if data.get("group_ids"):
            groups = {
                g for g in (self.ref(CT.GROUP, g, required=False) for g in data["group_ids"]) if g
            }
            current = {
                str(g.get("id")) for g in (as_dict(self.api.read("role_groups", dest_role)) or [])
            }
            if groups - current:
                self.api.write("set_role_groups", dest_role, body=sorted(groups | current))

    # -- folders -------------------------------------------------------------------------
    def _special_folder(self, data: dict[str, Any]) -> str | None:
        """Built-in roots map to the destination's roots; a personal folder maps to the
        destination user's personal folder. Returns None for an ordinary folder."""
        for flag in BUILT_IN_FOLDER_FLAGS:
            if data.get(flag):
                for fid, folder in self.state.index(CT.FOLDER).by_id.items():
                    if folder.get(flag):
                        return fid
                raise ItemFailed(
                    f"the destination has no {flag.removeprefix('is_').replace('_', ' ')} folder",
                    error_type="MissingBuiltIn",
                )
        if data.get("is_personal"):
            owner = data.get("creator_id") or data.get("user_id")
            dest_user = self.ref(CT.USER, owner)
            user = self.state.index(CT.USER).by_id.get(dest_user or "") or {}
            personal = _s(user.get("personal_folder_id"))
            if personal is None and self.dry_run and (dest_user or "").startswith("new-"):
                return f"personal-folder-of-{dest_user}"
            if personal is None:
                raise MissingReference(f"user {owner} has no personal folder in the destination")
            return personal
        return None

    def restore_folder(self, entry: PlanEntry, data: dict[str, Any]) -> Outcome:
        special = self._special_folder(data)
        if special is not None:
            outcome = self._map_only(
                CT.FOLDER, entry, special, "built-in or personal folder: mapped, never modified"
            )
        else:
            parent = self.ref(CT.FOLDER, data.get("parent_id"))
            wanted = body_dict(
                m.CreateFolder,
                {"name": data.get("name"), "parent_id": parent},
                f"folder {entry.content_id}",
            )
            outcome, _ = self.upsert(
                CT.FOLDER,
                entry,
                wanted,
                create="create_folder",
                update="update_folder",
                create_cls=m.CreateFolder,
                update_cls=m.UpdateFolder,
                key=(parent, data.get("name")),
            )
        if outcome.destination_id and not self.dry_run:
            if special is None:
                self._folder_access(outcome, data)
            self._home_folders(entry.content_id, outcome.destination_id)
        return outcome

    def _home_folders(self, src_folder: str, dest_folder: str) -> None:
        """Users restored before their home folder existed get it now."""
        for src_user in self.source.users()["home"].get(src_folder, []):
            dest_user = self.mappings.get(CT.USER, src_user)
            user = self.state.index(CT.USER).by_id.get(dest_user or "")
            if user is None or _s(user.get("home_folder_id")) == dest_folder:
                continue
            obj = self.api.write(
                "update_user", dest_user, body=m.WriteUser(home_folder_id=dest_folder)
            )
            self.state.remember(CT.USER, obj)

    def _folder_access(self, outcome: Outcome, data: dict[str, Any]) -> None:
        """Content access as it was: `inherits`, and each entry with its group/user mapped.
        Entries the backup does not hold are removed from a non-inheriting folder, so a
        restore never leaves a folder more open than it was."""
        meta = data.get("content_metadata")
        if not isinstance(meta, dict) or "inherits" not in meta:
            return
        accesses = data.get("content_metadata_accesses") or []
        folder = self.state.index(CT.FOLDER).by_id.get(outcome.destination_id or "") or {}
        cmid = _s(folder.get("content_metadata_id"))
        if cmid is None:
            obj = as_dict(self.api.read("folder", outcome.destination_id))
            cmid = _s(obj.get("content_metadata_id"))
        if cmid is None:
            outcome.notes.append("folder has no content metadata; access not restored")
            return
        current = as_dict(self.api.read("content_metadata", cmid)) or {}
        inherits = bool(meta.get("inherits"))
        if not inherits and current.get("inherits") is not False:
            self.api.write("update_content_metadata", cmid, body=m.WriteContentMeta(inherits=False))
        if inherits:
            if current.get("inherits") is not True:
                self.api.write(
                    "update_content_metadata", cmid, body=m.WriteContentMeta(inherits=True)
                )
            return
        wanted: dict[tuple[str, str], str] = {}
        for access in accesses or []:
            group = self.ref(CT.GROUP, access.get("group_id"), required=False)
            user = self.ref(CT.USER, access.get("user_id"), required=False)
            if group:
                wanted[("group", group)] = access.get("permission_type") or "view"
            elif user:
                wanted[("user", user)] = access.get("permission_type") or "view"
        existing = as_dict(self.api.read("all_content_metadata_accesses", cmid)) or []
        have: dict[tuple[str, str], dict[str, Any]] = {}
        for row in existing:
            who = (
                ("group", _s(row.get("group_id")))
                if row.get("group_id")
                else ("user", _s(row.get("user_id")))
            )
            have[who] = row
        for who, row in have.items():
            if who not in wanted:
                self.api.write("delete_content_metadata_access", _s(row.get("id")))
            elif row.get("permission_type") != wanted[who]:
                self.api.write(
                    "update_content_metadata_access",
                    _s(row.get("id")),
                    body=m.ContentMetaGroupUser(permission_type=wanted[who]),
                )
        for who, permission in wanted.items():
            if who in have:
                continue
            body = m.ContentMetaGroupUser(
                content_metadata_id=cmid,
                permission_type=permission,
                group_id=who[1] if who[0] == "group" else None,
                user_id=who[1] if who[0] == "user" else None,
            )
            self.api.write("create_content_metadata_access", body=body)

    # -- LookML models ---------------------------------------------------------------------
    def restore_lookml_model(self, entry: PlanEntry, data: dict[str, Any]) -> Outcome:
        name = data.get("name") or entry.content_id
        if self.dry_run:
            missing = [
                c
                for c in data.get("allowed_db_connection_names") or []
                if c not in self.state.connection_names()
            ]
            if missing:
                raise ItemFailed(
                    f"connection(s) {', '.join(missing)} absent on the destination",
                    error_type="MissingConnection",
                )
        wanted = body_dict(m.WriteLookmlModel, {**data, "name": name}, f"LookML model {name}")
        index = self.state.index(CT.LOOKML_MODEL)
        target = (name, False) if name in index.by_id else (None, False)
        return self.upsert(
            CT.LOOKML_MODEL,
            entry,
            wanted,
            create="create_lookml_model",
            update="update_lookml_model",
            create_cls=m.WriteLookmlModel,
            update_cls=m.WriteLookmlModel,
            key=name,
            target=target,
            id_field="name",
        )[0]

    # -- queries ---------------------------------------------------------------------------
    def check_model(self, query: dict[str, Any] | None) -> None:
        """Fail an item whose query Looker would refuse (create_query answers 404): its
        LookML model is not configured on the destination, or the model has no explore
        named by the query's `view`. A dry run also fails it when the model allows a
        database connection the destination lacks (the query could never run)."""
        if not query or not query.get("model"):
            return
        model, view = query["model"], query.get("view")
        found = self.state.index(CT.LOOKML_MODEL).by_id.get(model)
        if found is None:
            if self.mappings.get(CT.LOOKML_MODEL, model):
                return  # configured by this session: its explores are the deployment's
            raise ItemFailed(
                f"LookML model {model!r} is absent on the destination", error_type="MissingModel"
            )
        # `explores` is known for models as prefetched; one this session rewrote is
        # indexed without it, and create_query's answer decides (see new_query).
        explores = found.get("explores")
        if explores is not None and view and view not in {e.get("name") for e in explores}:
            raise ItemFailed(
                f"LookML model {model!r} has no explore {view!r} on the destination",
                error_type="MissingExplore",
            )
        if self.dry_run and not found.get("unlimited_db_connections"):
            missing = [
                c
                for c in found.get("allowed_db_connection_names") or []
                if c not in self.state.connection_names()
            ]
            if missing:
                raise ItemFailed(
                    f"LookML model {model!r} allows connection(s) {', '.join(missing)} "
                    "absent on the destination",
                    error_type="MissingConnection",
                )

    def new_query(self, query: dict[str, Any]) -> str:
        """A fresh query on the destination (a source query_id is never reused)."""
        wanted = _query_dict(query)
        if self.dry_run:
            return "new-query"
        try:
            obj = self.api.write(
                "create_query", body=write_model(m.WriteQuery, wanted or {}, "query")
            )
        except ItemFailed as exc:
            if exc.status == 404 and query.get("model"):
                # Looker's 404 says only "Not found": name what it did not find.
                model, view = query["model"], query.get("view")
                if model in self.state.index(CT.LOOKML_MODEL).by_id or self.mappings.get(
                    CT.LOOKML_MODEL, model
                ):
                    what = f"LookML model {model!r} has no explore {view!r} on the destination"
                    exc.error_type = "MissingExplore"
                else:
                    what = f"LookML model {model!r} is absent on the destination"
                    exc.error_type = "MissingModel"
                exc.message = f"{what} (create_query: {exc.message})"
                exc.args = (exc.message,)
            raise
        return str(obj.id)

    # -- looks -------------------------------------------------------------------------------
    def _content_fields(self, cls: type, data: dict[str, Any], what: str) -> dict[str, Any]:
        cleaned = {
            k: v
            for k, v in data.items()
            if k
            not in (
                "folder",
                "query",
                "dashboard_elements",
                "dashboard_filters",
                "dashboard_layouts",
                "id",
                "query_id",
                "deleted",
                "slug",
            )
        }
        wanted = body_dict(cls, cleaned, what)
        wanted["folder_id"] = self.ref(CT.FOLDER, data.get("folder_id"))
        owner = self.ref(CT.USER, data.get("user_id"), required=False)
        if owner:
            wanted["user_id"] = owner
        else:
            wanted.pop("user_id", None)
        return wanted

    def restore_look(self, entry: PlanEntry, data: dict[str, Any]) -> Outcome:
        what = f"look {entry.content_id}"
        query = data.get("query")
        if not query:
            raise ItemFailed(f"{what} has no query in the backup", error_type="UnexpectedShape")
        self.check_model(query)
        wanted = self._content_fields(m.WriteLookWithQuery, data, what)
        key = (wanted.get("folder_id"), wanted.get("title"))
        dest_id, deleted = self.locate(CT.LOOK, entry.content_id, key)
        current = None
        if dest_id is not None:
            current = as_dict(self.api.read("look", dest_id))
            if _query_dict(current.get("query")) != _query_dict(query):
                wanted["query_id"] = self.new_query(query) if not self.dry_run else "new-query"
            else:
                wanted["query_id"] = _s(current.get("query_id"))
        else:
            wanted["query_id"] = self.new_query(query)
        outcome, _ = self.upsert(
            CT.LOOK,
            entry,
            wanted,
            create="create_look",
            update="update_look",
            create_cls=m.WriteLookWithQuery,
            update_cls=m.WriteLookWithQuery,
            key=key,
            current=current,
            target=(dest_id, deleted),
        )
        return outcome

    # -- dashboards --------------------------------------------------------------------------
    def restore_dashboard(self, entry: PlanEntry, data: dict[str, Any]) -> Outcome:
        what = f"dashboard {entry.content_id}"
        elements = sorted(data.get("dashboard_elements") or [], key=_id_order)
        for element in elements:
            self.check_model(element.get("query"))
            if element.get("look_id"):
                self.ref(CT.LOOK, element["look_id"])
        wanted = self._content_fields(m.WriteDashboard, data, what)
        key = (wanted.get("folder_id"), wanted.get("title"))
        dest_id, deleted = self.locate(CT.DASHBOARD, entry.content_id, key)
        current = as_dict(self.api.read("dashboard", dest_id)) if dest_id else None
        outcome, obj = self.upsert(
            CT.DASHBOARD,
            entry,
            wanted,
            create="create_dashboard",
            update="update_dashboard",
            create_cls=m.WriteDashboard,
            update_cls=m.WriteDashboard,
            key=key,
            current=current,
            target=(dest_id, deleted),
        )
        if outcome.status == "skipped" and outcome.reason != UNCHANGED:
            return outcome
        dest = outcome.destination_id
        base = current if current is not None else (obj or {})
        if self.dry_run:
            self._check_tiles(data, elements)
            if current is not None:
                self._dry_run_tiles(outcome, data, current, elements)
            return outcome
        wrote = self._reconcile_filters(dest, data, base)
        element_map, created_elements, changed = self._reconcile_elements(dest, elements, base)
        wrote += changed
        layouts = base.get("dashboard_layouts") or []
        if created_elements or not layouts:
            layouts = as_dict(self.api.read("dashboard_dashboard_layouts", dest)) or []
        wrote += self._reconcile_layouts(dest, data, layouts, element_map)
        if wrote and outcome.status == "skipped":
            outcome.status, outcome.reason = "updated", ""
            outcome.diff["tiles"] = ["changed", f"{wrote} tile/filter/layout writes"]
        return outcome

    def _check_tiles(self, data: dict[str, Any], elements: list[dict[str, Any]]) -> None:
        """Dry run: would Looker accept every filter and tile? (required fields present)"""
        for source in data.get("dashboard_filters") or []:
            body_dict(
                m.WriteCreateDashboardFilter,
                {**source, "dashboard_id": "0"},
                f"dashboard filter {source.get('name')!r}",
            )
        for source in elements:
            if source.get("query") and not source.get("look_id"):
                body_dict(
                    m.WriteQuery,
                    {k: v for k, v in source["query"].items() if k != "client_id"},
                    f"query of dashboard element {source.get('id')}",
                )

    def _dry_run_tiles(
        self,
        outcome: Outcome,
        data: dict[str, Any],
        current: dict[str, Any],
        elements: list[dict[str, Any]],
    ) -> None:
        """Dry run on an existing dashboard: which filters and tiles would change."""
        have = {f.get("name"): f for f in current.get("dashboard_filters") or []}
        for source in data.get("dashboard_filters") or []:
            name = source.get("name")
            wanted = body_dict(m.WriteDashboardFilter, source, f"dashboard filter {name!r}")
            if name not in have:
                outcome.diff[f"filter {name}"] = [None, "added"]
            elif diff := diff_fields(wanted, have[name]):
                outcome.diff[f"filter {name}"] = [
                    {k: v[0] for k, v in diff.items()},
                    {k: v[1] for k, v in diff.items()},
                ]
        existing = [_element_key(e) for e in current.get("dashboard_elements") or []]
        missing = 0
        for source in elements:
            key = _element_key(source)
            if key in existing:
                existing.remove(key)
            else:
                missing += 1
        if missing:
            outcome.diff["tiles"] = [
                len(current.get("dashboard_elements") or []),
                f"{missing} tile(s) to add or change",
            ]
        if outcome.diff and outcome.status == "skipped":
            outcome.status, outcome.reason = "updated", ""

    def _reconcile_filters(self, dest: str, data: dict[str, Any], base: dict[str, Any]) -> int:
        have = {f.get("name"): f for f in base.get("dashboard_filters") or []}
        writes = 0
        for source in sorted(data.get("dashboard_filters") or [], key=_id_order):
            what = f"dashboard filter {source.get('name')!r}"
            existing = have.get(source.get("name"))
            if existing is None:
                body = write_model(
                    m.WriteCreateDashboardFilter, {**source, "dashboard_id": dest}, what
                )
                self.api.write("create_dashboard_filter", body=body)
                writes += 1
                continue
            wanted = body_dict(m.WriteDashboardFilter, source, what)
            diff = diff_fields(wanted, existing)
            if diff:
                changed = {k: wanted[k] for k in diff}
                self.api.write(
                    "update_dashboard_filter",
                    _s(existing.get("id")),
                    body=write_model(m.WriteDashboardFilter, changed, what),
                )
                writes += 1
        return writes

    def _element_wanted(self, dest: str, source: dict[str, Any]) -> dict[str, Any]:
        cleaned = {
            k: v
            for k, v in source.items()
            if k
            not in (
                "id",
                "query",
                "query_id",
                "look",
                "result_maker",
                "result_maker_id",
                "dashboard_layout_id",
                "dashboard_id",
                "look_id",
                "alerts",
            )
        }
        wanted = body_dict(
            m.WriteDashboardElement, cleaned, f"dashboard element {source.get('id')}"
        )
        wanted["dashboard_id"] = dest
        if source.get("look_id"):
            wanted["look_id"] = self.ref(CT.LOOK, source["look_id"])
        if source.get("merge_result_id") and not self.same_instance:
            # Merge queries live outside the backup; across instances the tile keeps its
            # place but cannot keep its merged query.
            wanted.pop("merge_result_id", None)
        return wanted

    def _reconcile_elements(
        self, dest: str, elements: list[dict[str, Any]], base: dict[str, Any]
    ) -> tuple[dict[str, str], int, int]:
        existing = sorted(base.get("dashboard_elements") or [], key=_id_order)
        unmatched = {str(e.get("id")): e for e in existing}
        element_map: dict[str, str] = {}
        created = changed = 0
        pairs: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
        for source in elements:
            sid = str(source.get("id"))
            match = unmatched.pop(sid, None) if self.same_instance else None
            if match is None:
                key = _element_key(source)
                for eid, candidate in list(unmatched.items()):
                    if _element_key(candidate, self, dest_side=True) == key:
                        match = unmatched.pop(eid)
                        break
            pairs.append((source, match))
        for source, match in pairs:
            wanted = self._element_wanted(dest, source)
            query = source.get("query") if not source.get("look_id") else None
            what = f"dashboard element {source.get('id')}"
            if match is None:
                if query:
                    wanted["query_id"] = self.new_query(query)
                obj = self.api.write(
                    "create_dashboard_element",
                    body=write_model(m.WriteDashboardElement, wanted, what),
                )
                element_map[str(source.get("id"))] = str(obj.id)
                created += 1
                continue
            element_map[str(source.get("id"))] = str(match.get("id"))
            if query and _query_dict(match.get("query")) != _query_dict(query):
                wanted["query_id"] = self.new_query(query)
            diff = diff_fields(wanted, match)
            if diff:
                changed_fields = {k: wanted[k] for k in diff}
                self.api.write(
                    "update_dashboard_element",
                    str(match.get("id")),
                    body=write_model(m.WriteDashboardElement, changed_fields, what),
                )
                changed += 1
        return element_map, created, created + changed

    def _reconcile_layouts(
        self,
        dest: str,
        data: dict[str, Any],
        layouts: list[dict[str, Any]],
        element_map: dict[str, str],
    ) -> int:
        writes = 0
        unmatched = sorted(layouts, key=_id_order)
        for source in sorted(data.get("dashboard_layouts") or [], key=_id_order):
            what = f"dashboard layout {source.get('id')}"
            match = None
            if self.same_instance:
                match = next(
                    (lay for lay in unmatched if str(lay.get("id")) == str(source.get("id"))), None
                )
            if match is None:
                match = next(
                    (
                        lay
                        for lay in unmatched
                        if bool(lay.get("active")) == bool(source.get("active"))
                    ),
                    None,
                )
            wanted = body_dict(
                m.WriteDashboardLayout,
                {
                    k: v
                    for k, v in source.items()
                    if k not in ("id", "dashboard_id", "lookml_link_id")
                },
                what,
            )
            if match is None:
                obj = as_dict(
                    self.api.write(
                        "create_dashboard_layout",
                        body=write_model(
                            m.WriteDashboardLayout, {**wanted, "dashboard_id": dest}, what
                        ),
                    )
                )
                writes += 1
                match = as_dict(self.api.read("dashboard_layout", str(obj.get("id"))))
            else:
                unmatched.remove(match)
                diff = diff_fields(wanted, match)
                if diff:
                    self.api.write(
                        "update_dashboard_layout",
                        str(match.get("id")),
                        body=write_model(
                            m.WriteDashboardLayout, {k: wanted[k] for k in diff}, what
                        ),
                    )
                    writes += 1
            writes += self._reconcile_components(source, match, element_map)
        return writes

    def _reconcile_components(
        self, source: dict[str, Any], layout: dict[str, Any], element_map: dict[str, str]
    ) -> int:
        by_element = {
            str(c.get("dashboard_element_id")): c
            for c in layout.get("dashboard_layout_components") or []
        }
        writes = 0
        for component in source.get("dashboard_layout_components") or []:
            dest_element = element_map.get(str(component.get("dashboard_element_id")))
            target = by_element.get(dest_element or "")
            if target is None:
                continue
            wanted = body_dict(
                m.WriteDashboardLayoutComponent,
                {
                    k: v
                    for k, v in component.items()
                    if k not in ("id", "dashboard_layout_id", "dashboard_element_id")
                },
                "dashboard layout component",
            )
            diff = diff_fields(wanted, target)
            if diff:
                self.api.write(
                    "update_dashboard_layout_component",
                    str(target.get("id")),
                    body=write_model(
                        m.WriteDashboardLayoutComponent, {k: wanted[k] for k in diff}, "component"
                    ),
                )
                writes += 1
        return writes

    # -- boards ------------------------------------------------------------------------------
    def restore_board(self, entry: PlanEntry, data: dict[str, Any]) -> Outcome:
        what = f"board {entry.content_id}"
        wanted = body_dict(
            m.WriteBoard,
            {k: v for k, v in data.items() if k not in ("section_order", "user_id", "deleted_at")},
            what,
        )
        owner = self.ref(CT.USER, data.get("user_id"), required=False)
        if owner:
            wanted["user_id"] = owner
        sections = sorted(data.get("board_sections") or [], key=_id_order)
        for section in sections:
            for item in section.get("board_items") or []:
                self._board_item_refs(item)
        outcome, obj = self.upsert(
            CT.BOARD,
            entry,
            wanted,
            create="create_board",
            update="update_board",
            create_cls=m.WriteBoard,
            update_cls=m.WriteBoard,
            key=data.get("title"),
        )
        if (
            self.dry_run
            or not outcome.destination_id
            or (outcome.status == "skipped" and outcome.reason != UNCHANGED)
        ):
            return outcome
        dest = outcome.destination_id
        base = obj or {}
        writes, section_map = self._reconcile_sections(dest, sections, base)
        order = [
            section_map[str(s)] for s in data.get("section_order") or [] if str(s) in section_map
        ]
        if order and [str(s) for s in base.get("section_order") or []] != order:
            obj = self.api.write("update_board", dest, body=m.WriteBoard(section_order=order))
            self.state.remember(CT.BOARD, obj)
            writes += 1
        if writes and outcome.status == "skipped":
            outcome.status, outcome.reason = "updated", ""
            outcome.diff["sections"] = ["changed", f"{writes} section/item writes"]
        return outcome

    def _board_item_refs(self, item: dict[str, Any]) -> dict[str, Any]:
        refs: dict[str, Any] = {}
        if item.get("dashboard_id"):
            refs["dashboard_id"] = self.ref(CT.DASHBOARD, item["dashboard_id"])
        if item.get("look_id"):
            refs["look_id"] = self.ref(CT.LOOK, item["look_id"])
        if item.get("lookml_dashboard_id"):
            refs["lookml_dashboard_id"] = str(item["lookml_dashboard_id"])
        return refs

    def _reconcile_sections(
        self, dest: str, sections: list[dict[str, Any]], base: dict[str, Any]
    ) -> tuple[int, dict[str, str]]:
        existing = list(base.get("board_sections") or [])
        writes = 0
        section_map: dict[str, str] = {}
        for source in sections:
            what = f"board section {source.get('id')}"
            match = None
            if self.same_instance:
                match = next(
                    (s for s in existing if str(s.get("id")) == str(source.get("id"))), None
                )
            if match is None:
                match = next((s for s in existing if s.get("title") == source.get("title")), None)
            wanted = body_dict(
                m.WriteBoardSection,
                {"title": source.get("title"), "description": source.get("description")},
                what,
            )
            if match is None:
                match = as_dict(
                    self.api.write(
                        "create_board_section",
                        body=write_model(m.WriteBoardSection, {**wanted, "board_id": dest}, what),
                    )
                )
                writes += 1
            else:
                existing.remove(match)
                diff = diff_fields(wanted, match)
                if diff:
                    self.api.write(
                        "update_board_section",
                        str(match.get("id")),
                        body=write_model(m.WriteBoardSection, {k: wanted[k] for k in diff}, what),
                    )
                    writes += 1
            section_id = str(match.get("id"))
            section_map[str(source.get("id"))] = section_id
            item_writes, item_map = self._reconcile_items(section_id, source, match)
            writes += item_writes
            order = [item_map[str(i)] for i in source.get("item_order") or [] if str(i) in item_map]
            if order and [str(i) for i in match.get("item_order") or []] != order:
                self.api.write(
                    "update_board_section", section_id, body=m.WriteBoardSection(item_order=order)
                )
                writes += 1
        return writes, section_map

    def _reconcile_items(
        self, section_id: str, source: dict[str, Any], section: dict[str, Any]
    ) -> tuple[int, dict[str, str]]:
        existing = list(section.get("board_items") or [])
        writes = 0
        item_map: dict[str, str] = {}
        for item in sorted(source.get("board_items") or [], key=_id_order):
            refs = self._board_item_refs(item)
            what = f"board item {item.get('id')}"
            wanted = body_dict(
                m.WriteBoardItem,
                {
                    **{k: v for k, v in item.items() if k not in ("id", "board_section_id")},
                    **refs,
                },
                what,
            )
            ident = (
                refs.get("dashboard_id"),
                refs.get("look_id"),
                refs.get("lookml_dashboard_id"),
                item.get("custom_url"),
            )
            match = next(
                (
                    e
                    for e in existing
                    if (
                        _s(e.get("dashboard_id")),
                        _s(e.get("look_id")),
                        _s(e.get("lookml_dashboard_id")),
                        e.get("custom_url"),
                    )
                    == ident
                ),
                None,
            )
            if match is None:
                obj = self.api.write(
                    "create_board_item",
                    body=write_model(
                        m.WriteBoardItem, {**wanted, "board_section_id": section_id}, what
                    ),
                )
                item_map[str(item.get("id"))] = str(obj.id)
                writes += 1
                continue
            existing.remove(match)
            item_map[str(item.get("id"))] = str(match.get("id"))
            diff = diff_fields(wanted, match)
            if diff:
                self.api.write(
                    "update_board_item",
                    str(match.get("id")),
                    body=write_model(m.WriteBoardItem, {k: wanted[k] for k in diff}, what),
                )
                writes += 1
        return writes, item_map

    # -- scheduled plans ------------------------------------------------------------------------
    def restore_scheduled_plan(self, entry: PlanEntry, data: dict[str, Any]) -> Outcome:
        what = f"scheduled plan {entry.content_id}"
        cleaned = {
            k: v
            for k, v in data.items()
            if k
            not in (
                "id",
                "user",
                "user_id",
                "look_id",
                "dashboard_id",
                "query_id",
                "scheduled_plan_destination",
                "query",
            )
        }
        wanted = body_dict(m.WriteScheduledPlan, cleaned, what)
        owner = self.ref(CT.USER, data.get("user_id"), required=False)
        if owner:
            wanted["user_id"] = owner
        if data.get("dashboard_id"):
            wanted["dashboard_id"] = self.ref(CT.DASHBOARD, data["dashboard_id"])
        if data.get("look_id"):
            wanted["look_id"] = self.ref(CT.LOOK, data["look_id"])
        if self.config.schedules_disabled:
            wanted["enabled"] = False
        destinations = [
            {k: v for k, v in d.items() if k not in ("id", "scheduled_plan_id")}
            for d in data.get("scheduled_plan_destination") or []
        ]
        if destinations:
            wanted["scheduled_plan_destination"] = destinations
        key = natural_key(CT.SCHEDULED_PLAN, wanted)
        dest_id, deleted = self.locate(CT.SCHEDULED_PLAN, entry.content_id, key)
        if data.get("query_id") and not (
            data.get("dashboard_id") or data.get("look_id") or data.get("lookml_dashboard_id")
        ):
            if data.get("query"):
                self.check_model(data["query"])
                current = self.state.index(CT.SCHEDULED_PLAN).by_id.get(dest_id or "")
                wanted["query_id"] = (
                    _s(current.get("query_id"))
                    if current and dest_id
                    else self.new_query(data["query"])
                )
            elif self.same_instance:
                wanted["query_id"] = str(data["query_id"])
            else:
                raise ItemFailed(
                    f"{what} runs query {data['query_id']}, which the backup does not hold",
                    error_type="MissingReference",
                )
        current = self.state.index(CT.SCHEDULED_PLAN).by_id.get(dest_id or "")
        if current is not None and destinations:
            current = {
                **current,
                "scheduled_plan_destination": [
                    {k: v for k, v in d.items() if k not in ("id", "scheduled_plan_id")}
                    for d in current.get("scheduled_plan_destination") or []
                ],
            }
        outcome, _ = self.upsert(
            CT.SCHEDULED_PLAN,
            entry,
            wanted,
            create="create_scheduled_plan",
            update="update_scheduled_plan",
            create_cls=m.WriteScheduledPlan,
            update_cls=m.WriteScheduledPlan,
            key=key,
            current=current,
            target=(dest_id, deleted),
        )
        if self.config.schedules_disabled and data.get("enabled"):
            outcome.notes.append("restored disabled")
        return outcome


def _id_order(obj: dict[str, Any]) -> tuple[int, str]:
    text = str(obj.get("id") or "")
    return (int(text), text) if text.isdigit() else (1 << 62, text)


def _element_key(
    element: dict[str, Any], restorer: Restorer | None = None, *, dest_side: bool = False
) -> tuple:
    """Recognise a tile on the destination: its type, titles, text and what it shows."""
    query = element.get("query") or {}
    return (
        element.get("type"),
        element.get("title"),
        element.get("title_text"),
        element.get("body_text"),
        query.get("model"),
        query.get("view"),
        tuple(query.get("fields") or ()),
        bool(element.get("look_id")),
    )
