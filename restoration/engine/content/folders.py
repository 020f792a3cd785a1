"""Folders: by name under the mapped parent, with content access as it was. Built-in
roots (Shared, Users, the Embed roots, the `lookml` folder of LookML dashboards) map to
the destination's and personal folders to the mapped user's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from looker_sdk.sdk.api40 import models as m

from restoration.engine.api import (
    DestinationAPI,
    ItemFailed,
    LostWrite,
    MissingReference,
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
    text_id,
)

if TYPE_CHECKING:
    from restoration.engine.destination import DestinationState
    from restoration.engine.plan import PlanEntry
    from restoration.engine.restorer import Restorer

BUILT_IN_FOLDER_FLAGS = (
    "is_shared_root",
    "is_users_root",
    "is_embed_shared_root",
    "is_embed_users_root",
)
# The folder LookML dashboards sit in has this id on every instance (sdk-codegen's
# folder_permission_access example drops it by that id).
LOOKML_FOLDER_ID = "lookml"


def special_folder(r: Restorer, data: dict[str, Any]) -> str | None:
    """Built-in roots map to the destination's roots; a personal folder maps to the
    destination user's personal folder. Returns None for an ordinary folder."""
    if text_id(data.get("id")) == LOOKML_FOLDER_ID:
        if LOOKML_FOLDER_ID in r.state.index(CT.FOLDER).by_id:
            return LOOKML_FOLDER_ID
        raise ItemFailed("the destination has no lookml folder", error_type="MissingBuiltIn")
    for flag in BUILT_IN_FOLDER_FLAGS:
        if data.get(flag):
            for fid, folder in r.state.index(CT.FOLDER).by_id.items():
                if folder.get(flag):
                    return fid
            raise ItemFailed(
                f"the destination has no {flag.removeprefix('is_').replace('_', ' ')} folder",
                error_type="MissingBuiltIn",
            )
    if data.get("is_personal"):
        owner = data.get("creator_id") or data.get("user_id")
        dest_user = r.ref(CT.USER, owner)
        user = r.state.index(CT.USER).by_id.get(dest_user or "") or {}
        personal = text_id(user.get("personal_folder_id"))
        if personal is None and r.dry_run and (dest_user or "").startswith("new-"):
            return f"personal-folder-of-{dest_user}"
        if personal is None:
            raise MissingReference(f"user {owner} has no personal folder in the destination")
        return personal
    return None


class FolderKind(ContentKind):
    content_type = CT.FOLDER
    label = "folder"
    # Access rows have no bulk listing (one content_metadata read per folder): compared
    # only with --verify or when the backup item changed.
    stamp_fields = frozenset({"name", "parent_id"})

    def listing(self, state: DestinationState) -> list[dict[str, Any]]:
        return state.listed("all_folders")

    def natural_key(self, obj: dict[str, Any]) -> Any:
        return (text_id(obj.get("parent_id")), obj.get("name")) if obj.get("name") else None

    def search_by_key(self, key: Any) -> tuple[str, dict[str, Any]]:
        return ("search_folders", {"parent_id": key[0], "name": key[1]})

    def prepare(self, r: Restorer) -> None:
        r.state.index(CT.USER)
        with r.db_lock:
            r.source.users()

    def match_unrestored(self, r: Restorer, sid: str) -> str | None:
        with r.db_lock:
            data = r.source.blob(CT.FOLDER, sid)
        if data is None:
            return None
        special = special_folder(r, data)
        if special is not None:
            return special
        key = self.natural_key(self.translated_for_key(r, data))
        return r.state.index(CT.FOLDER).by_key.get(key) if key is not None else None

    def translated_for_key(self, r: Restorer, data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "parent_id": r.ref(CT.FOLDER, data.get("parent_id"))}

    def restore(self, r: Restorer, entry: PlanEntry, data: dict[str, Any]) -> Outcome:
        special = special_folder(r, data)
        if special is not None:
            outcome = r.map_only(
                CT.FOLDER, entry, special, "built-in or personal folder: mapped, never modified"
            )
        else:
            parent = r.ref(CT.FOLDER, data.get("parent_id"))
            wanted = body_dict(
                m.CreateFolder,
                {"name": data.get("name"), "parent_id": parent},
                f"folder {entry.content_id}",
            )
            outcome, _ = r.upsert(
                CT.FOLDER,
                entry,
                wanted,
                create="create_folder",
                update="update_folder",
                create_cls=m.CreateFolder,
                update_cls=m.UpdateFolder,
                key=(parent, data.get("name")),
            )
        if outcome.destination_id and not r.dry_run:
            if special is None:
                self._access(r, outcome, data)
            self._home_folders(r, entry.content_id, outcome.destination_id)
        return outcome

    def _home_folders(self, r: Restorer, src_folder: str, dest_folder: str) -> None:
        """Users restored before their home folder existed get it now."""
        for src_user in r.source.users()["home"].get(src_folder, []):
            dest_user = r.mappings.get(CT.USER, src_user)
            user = r.state.index(CT.USER).by_id.get(dest_user or "")
            if user is None or text_id(user.get("home_folder_id")) == dest_folder:
                continue
            obj = r.api.write(
                "update_user", dest_user, body=m.WriteUser(home_folder_id=dest_folder)
            )
            r.state.remember(CT.USER, obj)

    def _access(self, r: Restorer, outcome: Outcome, data: dict[str, Any]) -> None:
        """Content access as it was: `inherits`, and each entry with its group/user mapped.
        Entries the backup does not hold are removed from a non-inheriting folder, so a
        restore never leaves a folder more open than it was."""
        meta = data.get("content_metadata")
        if not isinstance(meta, dict) or "inherits" not in meta:
            return
        accesses = data.get("content_metadata_accesses") or []
        folder = r.state.index(CT.FOLDER).by_id.get(outcome.destination_id or "") or {}
        cmid = text_id(folder.get("content_metadata_id"))
        if cmid is None:
            obj = as_dict(r.api.read("folder", outcome.destination_id))
            cmid = text_id(obj.get("content_metadata_id"))
        if cmid is None:
            outcome.notes.append("folder has no content metadata; access not restored")
            return
        current = as_dict(r.api.read("content_metadata", cmid)) or {}
        inherits = bool(meta.get("inherits"))
        if not inherits and current.get("inherits") is not False:
            r.api.write("update_content_metadata", cmid, body=m.WriteContentMeta(inherits=False))
        if inherits:
            if current.get("inherits") is not True:
                r.api.write("update_content_metadata", cmid, body=m.WriteContentMeta(inherits=True))
            return
        wanted: dict[tuple[str, str], str] = {}
        for access in accesses or []:
            group = r.ref(CT.GROUP, access.get("group_id"), required=False)
            user = r.ref(CT.USER, access.get("user_id"), required=False)
            if group:
                wanted[("group", group)] = access.get("permission_type") or "view"
            elif user:
                wanted[("user", user)] = access.get("permission_type") or "view"
        existing = as_dict(r.api.read("all_content_metadata_accesses", cmid)) or []
        have: dict[tuple[str, str], dict[str, Any]] = {}
        for row in existing:
            who = (
                ("group", text_id(row.get("group_id")))
                if row.get("group_id")
                else ("user", text_id(row.get("user_id")))
            )
            have[who] = row
        for who, row in have.items():
            if who not in wanted:
                r.api.write("delete_content_metadata_access", text_id(row.get("id")))
            elif row.get("permission_type") != wanted[who]:
                r.api.write(
                    "update_content_metadata_access",
                    text_id(row.get("id")),
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
            r.api.write("create_content_metadata_access", body=body)


# -- writes whose answer was lost (restoration.engine.api) -----------------------------
finds_lost_answer("create_folder")(created_by_key(CT.FOLDER))
retried_as_is(
    "PATCH sets the fields it names (name, parent, inherits); PUT sets the permission",
    "update_folder",
    "update_content_metadata",
    "update_content_metadata_access",
)


@finds_lost_answer("create_content_metadata_access")
def find_access_row(api: DestinationAPI, lost: LostWrite) -> Any:
    """The folder's access row for the same group or user (one per group or user)."""
    body = lost.body or {}
    cmid = text_id(body.get("content_metadata_id"))
    for row in api.read("all_content_metadata_accesses", cmid) or []:
        if (text_id(row.group_id), text_id(row.user_id)) == (
            text_id(body.get("group_id")),
            text_id(body.get("user_id")),
        ):
            return row
    return None
