"""Looks: create, update (move, rename, soft delete), copy, delete, search; a folder's Looks."""

from __future__ import annotations

from typing import Any

from .. import sdk_types
from ..errors import problem, validation_failed
from ..routing import NO_CONTENT, Call, route
from ..rules import check_references, merge_changes, now, require, require_fields, slug_for
from ..search import search, sort_rows
from ..store import Store
from .boards import delete_board_item
from .folders import (
    FolderContent,
    delete_content_metadata,
    folder_base,
    folder_param,
    in_others_personal_folder,
    move_content_metadata,
    new_content_metadata,
    soft_delete_fields,
)
from .queries import WEB_URL, create_query, nested_query, render_query
from .users import display_name

_LOOK_REFS = {"folder_id": "folder", "query_id": "query", "user_id": "user"}


def create_look(s: Store, body: dict[str, Any], user_id: str | None) -> dict[str, Any]:
    body.pop("folder", None)
    require_fields(body, "title", "folder_id")
    query_body = nested_query(s, body)
    if query_body is None:
        require_fields(body, "query_id")
    check_references(s, body, _LOOK_REFS)
    # Looks may share a title in a folder: unlike dashboards, no evidence says Looker refuses.
    if query_body is not None:
        body["query_id"] = create_query(s, query_body)["id"]
    look = {
        "description": None,
        "is_run_on_load": False,
        "public": False,
        "deleted": False,
        "user_id": user_id,
        **body,
        "id": s.next_id("look"),
        "created_at": now(),
        "updated_at": now(),
        "view_count": 0,
        "favorite_count": 0,
    }
    look["content_metadata_id"] = new_content_metadata(
        s, "look", look["title"], look["folder_id"], look_id=look["id"]
    )
    return s.insert("look", look)


def update_look(s: Store, look: dict[str, Any], body: dict[str, Any], user_id: str | None) -> None:
    body.pop("folder", None)
    query_body = nested_query(s, body)
    check_references(s, body, _LOOK_REFS)
    for field in ("title", "folder_id", "query_id"):
        if field in body and body[field] in (None, ""):
            raise validation_failed(problem(field, "missing", "This field is required."))
    if query_body is not None:
        body["query_id"] = create_query(s, query_body)["id"]
    soft_delete_fields(look, body, user_id)
    merge_changes(look, body)
    look["last_updater_id"] = user_id
    s.touch("look", look["id"])
    move_content_metadata(s, look.get("content_metadata_id"), look["folder_id"], look["title"])


def delete_look(s: Store, look: dict[str, Any]) -> None:
    s.remove("look", look["id"])
    delete_content_metadata(s, look.get("content_metadata_id"))
    for plan in s.where("scheduled_plan", "look_id", look["id"]):
        s.remove("scheduled_plan", plan["id"])
    for item in s.all("board_item"):
        if item.get("look_id") == look["id"]:
            delete_board_item(s, item)


def render_look(s: Store, look: dict[str, Any], model: str = "LookWithQuery") -> dict[str, Any]:
    values = dict(look)
    query = s.get("query", look.get("query_id"))
    user = s.get("user", look.get("user_id"))
    values["folder"] = folder_base(s, look.get("folder_id"))
    values["user_name"] = display_name(user) if user else None
    values["model"] = (
        {"id": query.get("model"), "label": str(query.get("model")).replace("_", " ").title()}
        if query
        else None
    )
    values["url"] = f"/looks/{look['id']}"
    values["short_url"] = f"/x/{slug_for('look', look['id'])[:10]}"
    values["embed_url"] = f"{WEB_URL}/embed/looks/{look['id']}"
    if model == "LookWithQuery":
        values["query"] = render_query(query) if query else None
    elif model == "LookWithDashboards":
        values["dashboards"] = []
    return sdk_types.render(model, values)


def copy_look(
    s: Store, look: dict[str, Any], folder_id: str, user_id: str | None
) -> dict[str, Any]:
    title = look["title"]
    existing = {
        o.get("title") for o in s.where("look", "folder_id", folder_id) if not o.get("deleted")
    }
    while title in existing:
        title = f"{title} (copy)"
    body = {k: look.get(k) for k in ("description", "is_run_on_load", "public", "query_id")}
    return create_look(s, {**body, "title": title, "folder_id": folder_id}, user_id)


@route("GET", "/folders/{folder_id}/looks", "folder_looks")
def serve_folder_looks(call: Call) -> list[dict[str, Any]]:
    folder = require(call.store, "folder", call.params["folder_id"])
    rows = [
        lk for lk in call.store.where("look", "folder_id", folder["id"]) if not lk.get("deleted")
    ]
    return [render_look(call.store, lk) for lk in sort_rows(rows, None)]


def visible(rows: list[dict[str, Any]], call: Call) -> list[dict[str, Any]]:
    deleted = call.flag("deleted")
    return [r for r in rows if bool(r.get("deleted")) == bool(deleted)]


def curated(call: Call, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """With `curate=true`, without the items that sit only in other users' personal folders."""
    if not call.flag("curate"):
        return rows
    return [r for r in rows if not in_others_personal_folder(call.store, r, call.user_id)]


def content_search_view(obj: dict[str, Any]) -> dict[str, Any]:
    """A Look or dashboard with the search columns the emulator keeps no data for (no
    favorites, no view history): null."""
    return {"content_favorite_id": None, "last_viewed_at": None, **obj}


@route("POST", "/looks", "create_look", kind="look")
def serve_create_look(call: Call) -> dict[str, Any]:
    look = create_look(call.store, call.body(), call.user_id)
    return render_look(call.store, look)


@route("GET", "/looks", "all_looks")
def serve_all_looks(call: Call) -> list[dict[str, Any]]:
    rows = [lk for lk in call.store.all("look") if not lk.get("deleted")]
    return [render_look(call.store, lk, "Look") for lk in sort_rows(rows, None)]


@route("GET", "/looks/search", "search_looks")
def serve_search_looks(call: Call) -> list[dict[str, Any]]:
    rows = curated(call, visible(call.store.all("look"), call))
    rows = search(
        rows,
        call.query,
        content_search_view,
        ignore=("deleted", "curate"),
        operation=call.operation,
    )
    return [render_look(call.store, lk, "Look") for lk in rows]


@route("GET", "/looks/{look_id}", "look")
def serve_get_look(call: Call) -> dict[str, Any]:
    return render_look(call.store, require(call.store, "look", call.params["look_id"]))


@route("PATCH", "/looks/{look_id}", "update_look", kind="look")
def serve_update_look(call: Call) -> dict[str, Any]:
    look = require(call.store, "look", call.params["look_id"])
    update_look(call.store, look, call.body(), call.user_id)
    return render_look(call.store, look)


@route("DELETE", "/looks/{look_id}", "delete_look")
def serve_delete_look(call: Call) -> Any:
    delete_look(call.store, require(call.store, "look", call.params["look_id"]))
    return NO_CONTENT


@route("POST", "/looks/{look_id}/copy", "copy_look", kind="look")
def serve_copy_look(call: Call) -> dict[str, Any]:
    look = require(call.store, "look", call.params["look_id"])
    folder_id = call.query.get("folder_id") or look["folder_id"]
    call.query["folder_id"] = folder_id
    copy = copy_look(call.store, look, folder_param(call), call.user_id)
    return render_look(call.store, copy)


@route("PATCH", "/looks/{look_id}/move", "move_look", kind="look")
def serve_move_look(call: Call) -> dict[str, Any]:
    look = require(call.store, "look", call.params["look_id"])
    update_look(call.store, look, {"folder_id": folder_param(call)}, call.user_id)
    return render_look(call.store, look)


IN_FOLDERS = FolderContent(
    "look", "looks", lambda s, obj: render_look(s, obj, "LookWithDashboards"), delete_look
)
