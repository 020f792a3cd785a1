"""Folders and their content access: the Shared and Users roots, personal folders, the
folder tree, content metadata (`inherits`) and access rows; plus the rules every piece of
content in a folder shares (title unique in its folder, soft delete). Looks and dashboards
join `FOLDER_CONTENTS` so a folder lists and deletes them without importing them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import sdk_types
from ..errors import LookerError, already_exists, problem, validation_failed
from ..routing import NO_CONTENT, Call, route
from ..rules import check_references, now, require, require_fields
from ..search import paginate, search, sort_rows
from ..store import Store


@dataclass(frozen=True)
class FolderContent:
    """A kind of content kept in folders: the key a Folder answer lists it under, how it is
    rendered there, and how deleting its folder deletes it."""

    kind: str
    field: str
    render: Callable[[Store, dict[str, Any]], dict[str, Any]]
    delete: Callable[[Store, dict[str, Any]], None]


# Filled in by `resources/__init__.py` (dashboards, then Looks, as a Folder answer lists them).
FOLDER_CONTENTS: list[FolderContent] = []


SHARED_FOLDER_ID = "1"


USERS_FOLDER_ID = "2"


def new_content_metadata(
    s: Store, content_type: str, name: str, parent_folder_id: str | None, **ids: str
) -> str:
    parent = s.get("folder", parent_folder_id)
    parent_cm = parent["content_metadata_id"] if parent else None
    cm = {
        "name": name,
        "parent_id": parent_cm,
        "dashboard_id": None,
        "look_id": None,
        "folder_id": None,
        "homepage_id": None,
        "content_type": content_type,
        "inherits": parent_cm is not None,
        "inheriting_id": parent_cm,
        "slug": None,
        **ids,
    }
    s.insert("content_metadata", cm)
    return cm["id"]


def move_content_metadata(s: Store, cm_id: str | None, folder_id: str | None, name: str) -> None:
    cm = s.get("content_metadata", cm_id)
    if cm is None:
        return
    parent = s.get("folder", folder_id)
    cm["parent_id"] = parent["content_metadata_id"] if parent else None
    if cm.get("inherits"):
        cm["inheriting_id"] = cm["parent_id"]
    cm["name"] = name
    s.touch("content_metadata", cm["id"])


def delete_content_metadata(s: Store, cm_id: str | None) -> None:
    if cm_id is None:
        return
    s.remove("content_metadata", cm_id)
    for access in s.all("content_metadata_access"):
        if access["content_metadata_id"] == cm_id:
            s.remove("content_metadata_access", access["id"])


# Spec, ContentMeta.inherits: "Can be false only if the associated content is a folder, an
# agent or a board."
_MAY_STOP_INHERITING = ("folder", "board", "agent")


def update_content_metadata(s: Store, cm: dict[str, Any], body: dict[str, Any]) -> None:
    """`inherits: false` on content that inherited copies its parent's access rows onto it,
    as Looker does (lmanage create_folder_permissions.py: "when you update folder
    inheritance you will create a content metadata access")."""
    if "inherits" not in body or body["inherits"] is None:
        return
    inherits = bool(body["inherits"])
    if not inherits and cm.get("content_type") not in _MAY_STOP_INHERITING:
        raise validation_failed(
            problem(
                "inherits",
                "invalid",
                "Only a folder, an agent or a board can stop inheriting its access.",
            )
        )
    if not inherits and cm.get("inherits"):
        _copy_access(s, cm.get("parent_id"), cm["id"])
    cm["inherits"] = inherits
    cm["inheriting_id"] = cm["parent_id"] if inherits else None
    s.touch("content_metadata", cm["id"])


def _copy_access(s: Store, from_cm: str | None, to_cm: str) -> None:
    have = {
        (a.get("group_id"), a.get("user_id"))
        for a in s.all("content_metadata_access")
        if a["content_metadata_id"] == to_cm
    }
    for access in s.all("content_metadata_access"):
        who = (access.get("group_id"), access.get("user_id"))
        if from_cm is not None and access["content_metadata_id"] == from_cm and who not in have:
            s.insert(
                "content_metadata_access",
                {
                    "content_metadata_id": to_cm,
                    "permission_type": access.get("permission_type"),
                    "group_id": who[0],
                    "user_id": who[1],
                },
            )


def create_content_access(s: Store, body: dict[str, Any]) -> dict[str, Any]:
    require_fields(body, "content_metadata_id")
    if not body.get("group_id") and not body.get("user_id"):
        raise validation_failed(
            problem("group_id", "missing", "Either group_id or user_id is required.")
        )
    check_references(
        s, body, {"content_metadata_id": "content_metadata", "group_id": "group", "user_id": "user"}
    )
    permission = body.get("permission_type") or "view"
    for access in s.all("content_metadata_access"):
        if (
            access["content_metadata_id"] == body["content_metadata_id"]
            and access.get("group_id") == body.get("group_id")
            and access.get("user_id") == body.get("user_id")
        ):
            raise already_exists(
                problem("content_metadata_id", "already_exists", "Access already granted.")
            )
    return s.insert(
        "content_metadata_access",
        {
            "content_metadata_id": body["content_metadata_id"],
            "permission_type": permission,
            "group_id": body.get("group_id"),
            "user_id": body.get("user_id"),
        },
    )


def create_folder(
    s: Store,
    name: str,
    parent_id: str | None,
    creator_id: str | None = None,
    *,
    is_personal: bool = False,
    object_id: str | None = None,
    **flags: Any,
) -> dict[str, Any]:
    if parent_id is not None and not s.exists("folder", parent_id):
        raise validation_failed(
            problem("parent_id", "missing", f"Folder {parent_id} does not exist.")
        )
    # Two folders of one name under one parent are accepted: no public evidence says Looker
    # refuses them (the spec's "Unique Name" says no scope). EVIDENCE.md, folder rows.
    folder = {
        "id": object_id or s.next_id("folder"),
        "name": name,
        "parent_id": parent_id,
        "creator_id": creator_id,
        "created_at": now(),
        "external_id": None,
        "is_personal": is_personal,
        "is_shared_root": False,
        "is_users_root": False,
        "is_embed": False,
        "is_embed_shared_root": False,
        "is_embed_users_root": False,
        **flags,
    }
    folder["content_metadata_id"] = new_content_metadata(
        s, "folder", name, parent_id, folder_id=folder["id"]
    )
    return s.insert("folder", folder)


def folder_ancestors(s: Store, folder: dict[str, Any]) -> list[dict[str, Any]]:
    chain = []
    seen = {folder["id"]}
    parent = s.get("folder", folder.get("parent_id"))
    while parent is not None and parent["id"] not in seen:
        chain.append(parent)
        seen.add(parent["id"])
        parent = s.get("folder", parent.get("parent_id"))
    return list(reversed(chain))


def folder_descendants(s: Store, folder_id: str) -> list[dict[str, Any]]:
    out, todo = [], [folder_id]
    while todo:
        for child in s.where("folder", "parent_id", todo.pop()):
            out.append(child)
            todo.append(child["id"])
    return out


def is_protected_folder(folder: dict[str, Any]) -> bool:
    """Roots (Shared, Users, the Embed roots, `lookml`) and personal folders can't be
    deleted."""
    return bool(
        folder.get("is_shared_root")
        or folder.get("is_users_root")
        or folder.get("is_personal")
        or folder.get("_built_in")
    )


def update_folder(s: Store, folder: dict[str, Any], body: dict[str, Any]) -> None:
    # The Shared and Users roots may be patched like any folder: no public evidence says
    # Looker refuses it (an unchanged PATCH of a root is a no-op).
    parent_id = body.get("parent_id", folder.get("parent_id"))
    if "parent_id" in body:
        check_references(s, body, {"parent_id": "folder"})
        if parent_id == folder["id"] or parent_id in {
            d["id"] for d in folder_descendants(s, folder["id"])
        }:
            raise validation_failed(
                problem("parent_id", "invalid", "A folder can't move into itself.")
            )
    name = body.get("name", folder["name"])
    if name in (None, ""):
        raise validation_failed(problem("name", "missing", "This field is required."))
    folder["name"], folder["parent_id"] = name, parent_id
    s.touch("folder", folder["id"])
    move_content_metadata(s, folder.get("content_metadata_id"), parent_id, name)


def delete_folder(s: Store, folder: dict[str, Any], *, force: bool = False) -> None:
    """Deletes the folder with its sub-folders and their Looks and dashboards."""
    if not force and is_protected_folder(folder):
        raise validation_failed(problem("folder_id", "invalid", "This folder can't be deleted."))
    doomed = [folder, *folder_descendants(s, folder["id"])]
    for f in doomed:
        for content in FOLDER_CONTENTS:
            for obj in s.where(content.kind, "folder_id", f["id"]):
                content.delete(s, obj)
    for f in doomed:
        s.remove("folder", f["id"])
        delete_content_metadata(s, f.get("content_metadata_id"))


def render_folder(s: Store, folder: dict[str, Any], model: str = "Folder") -> dict[str, Any]:
    child_count = len(s.where("folder", "parent_id", folder["id"]))
    ancestors = folder_ancestors(s, folder)
    values = dict(folder)
    values["child_count"] = child_count
    values["is_personal_descendant"] = any(a.get("is_personal") for a in ancestors)
    if model == "Folder":
        for content in FOLDER_CONTENTS:
            values[content.field] = [
                content.render(s, obj)
                for obj in s.where(content.kind, "folder_id", folder["id"])
                if not obj.get("deleted")
            ]
    return sdk_types.render(model, values)


def folder_base(s: Store, folder_id: str | None) -> dict[str, Any] | None:
    folder = s.get("folder", folder_id)
    if folder is None:
        return None
    values = dict(folder)
    values["child_count"] = None
    return sdk_types.render("FolderBase", values)


def in_others_personal_folder(s: Store, content: dict[str, Any], user_id: str | None) -> bool:
    """Whether a Look or dashboard sits in a personal folder (or below one) of another user."""
    folder = s.get("folder", content.get("folder_id"))
    for f in [folder, *folder_ancestors(s, folder)] if folder else []:
        if f.get("is_personal") and f.get("creator_id") != user_id:
            return True
    return False


def soft_delete_fields(obj: dict[str, Any], body: dict[str, Any], user_id: str | None) -> None:
    if "deleted" not in body or body["deleted"] is None:
        return
    if body["deleted"] and not obj.get("deleted"):
        obj["deleted_at"], obj["deleter_id"] = now(), user_id
    elif not body["deleted"]:
        obj["deleted_at"], obj["deleter_id"] = None, None


@route("POST", "/folders", "create_folder", kind="folder")
def serve_create_folder(call: Call) -> dict[str, Any]:
    body = call.body()
    folder = create_folder(call.store, body["name"], body["parent_id"], call.user_id)
    return render_folder(call.store, folder)


@route("GET", "/folders", "all_folders")
def serve_all_folders(call: Call) -> list[dict[str, Any]]:
    return [
        render_folder(call.store, f, "FolderBase")
        for f in sort_rows(call.store.all("folder"), None)
    ]


@route("GET", "/folders/search", "search_folders")
def serve_search_folders(call: Call) -> list[dict[str, Any]]:
    rows = search(call.store.all("folder"), call.query, operation=call.operation)
    return [render_folder(call.store, f) for f in rows]


@route("GET", "/folders/{folder_id}", "folder")
def serve_get_folder(call: Call) -> dict[str, Any]:
    return render_folder(call.store, require(call.store, "folder", call.params["folder_id"]))


@route("PATCH", "/folders/{folder_id}", "update_folder", kind="folder")
def serve_update_folder(call: Call) -> dict[str, Any]:
    folder = require(call.store, "folder", call.params["folder_id"])
    update_folder(call.store, folder, call.body())
    return render_folder(call.store, folder)


@route("DELETE", "/folders/{folder_id}", "delete_folder")
def serve_delete_folder(call: Call) -> Any:
    delete_folder(call.store, require(call.store, "folder", call.params["folder_id"]))
    return NO_CONTENT


@route("GET", "/folders/{folder_id}/children", "folder_children")
def serve_folder_children(call: Call) -> list[dict[str, Any]]:
    folder = require(call.store, "folder", call.params["folder_id"])
    rows = call.store.where("folder", "parent_id", folder["id"])
    rows = paginate(sort_rows(rows, call.query.get("sorts")), call.query)
    return [render_folder(call.store, f) for f in rows]


@route("GET", "/folders/{folder_id}/children/search", "folder_children_search")
def serve_folder_children_search(call: Call) -> list[dict[str, Any]]:
    folder = require(call.store, "folder", call.params["folder_id"])
    rows = call.store.where("folder", "parent_id", folder["id"])
    rows = search(rows, call.query, operation=call.operation)
    return [render_folder(call.store, f) for f in rows]


@route("GET", "/folders/{folder_id}/parent", "folder_parent")
def serve_folder_parent(call: Call) -> dict[str, Any]:
    folder = require(call.store, "folder", call.params["folder_id"])
    return render_folder(call.store, require(call.store, "folder", folder.get("parent_id")))


@route("GET", "/folders/{folder_id}/ancestors", "folder_ancestors")
def serve_folder_ancestors(call: Call) -> list[dict[str, Any]]:
    folder = require(call.store, "folder", call.params["folder_id"])
    return [render_folder(call.store, f) for f in folder_ancestors(call.store, folder)]


@route("GET", "/content_metadata", "all_content_metadatas")
def serve_all_content_metadatas(call: Call) -> list[dict[str, Any]]:
    parent_id = call.query.get("parent_id")
    if not parent_id:
        raise LookerError(400, "parent_id is required")
    rows = [cm for cm in call.store.all("content_metadata") if cm.get("parent_id") == parent_id]
    return [_render_cm(cm) for cm in sort_rows(rows, None)]


def _render_cm(cm: dict[str, Any]) -> dict[str, Any]:
    return sdk_types.render("ContentMeta", cm)


@route("GET", "/content_metadata/{content_metadata_id}", "content_metadata")
def serve_get_content_metadata(call: Call) -> dict[str, Any]:
    return _render_cm(require(call.store, "content_metadata", call.params["content_metadata_id"]))


@route(
    "PATCH",
    "/content_metadata/{content_metadata_id}",
    "update_content_metadata",
    kind="content_metadata",
)
def serve_update_content_metadata(call: Call) -> dict[str, Any]:
    cm = require(call.store, "content_metadata", call.params["content_metadata_id"])
    update_content_metadata(call.store, cm, call.body())
    return _render_cm(cm)


@route("GET", "/content_metadata_access", "all_content_metadata_accesses")
def serve_all_content_metadata_accesses(call: Call) -> list[dict[str, Any]]:
    cm_id = call.query.get("content_metadata_id")
    if not cm_id:
        raise LookerError(400, "content_metadata_id is required")
    rows = [
        a for a in call.store.all("content_metadata_access") if a["content_metadata_id"] == cm_id
    ]
    return [sdk_types.render("ContentMetaGroupUser", a) for a in sort_rows(rows, None)]


@route(
    "POST",
    "/content_metadata_access",
    "create_content_metadata_access",
    kind="content_metadata_access",
)
def serve_create_content_metadata_access(call: Call) -> dict[str, Any]:
    access = create_content_access(call.store, call.body())
    return sdk_types.render("ContentMetaGroupUser", access)


@route(
    "PUT",
    "/content_metadata_access/{content_metadata_access_id}",
    "update_content_metadata_access",
    kind="content_metadata_access",
)
def serve_update_content_metadata_access(call: Call) -> dict[str, Any]:
    access = require(
        call.store, "content_metadata_access", call.params["content_metadata_access_id"]
    )
    body = call.body()
    if body.get("permission_type"):
        access["permission_type"] = body["permission_type"]
        call.store.touch("content_metadata_access", access["id"])
    return sdk_types.render("ContentMetaGroupUser", access)


@route(
    "DELETE",
    "/content_metadata_access/{content_metadata_access_id}",
    "delete_content_metadata_access",
)
def serve_delete_content_metadata_access(call: Call) -> Any:
    access = require(
        call.store, "content_metadata_access", call.params["content_metadata_access_id"]
    )
    call.store.remove("content_metadata_access", access["id"])
    return NO_CONTENT


def folder_param(call: Call) -> str:
    folder_id = call.query.get("folder_id")
    if not folder_id:
        raise validation_failed(problem("folder_id", "missing", "This field is required."))
    if not call.store.exists("folder", folder_id):
        raise validation_failed(
            problem("folder_id", "missing", f"Folder {folder_id} does not exist.")
        )
    return folder_id
