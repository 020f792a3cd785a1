"""Boards, their sections and items, with their order lists."""

from __future__ import annotations

from typing import Any

from .. import sdk_types
from ..errors import problem, validation_failed
from ..routing import NO_CONTENT, Call, route
from ..rules import check_references, children_of, merge_changes, now, require, require_fields
from ..search import search, sort_rows
from ..store import Store
from .folders import delete_content_metadata, new_content_metadata


def _no_foreign_order(body: dict[str, Any], field: str) -> None:
    """A new board (section) has no sections (items) yet, so its order can name none."""
    if body.get(field):
        raise validation_failed(
            problem(field, "invalid", f"{field} may only name ids of this object's own parts.")
        )


def create_board(s: Store, body: dict[str, Any], user_id: str | None) -> dict[str, Any]:
    require_fields(body, "title")
    check_references(s, body, {"user_id": "user"})
    _no_foreign_order(body, "section_order")
    board = {
        "description": None,
        "section_order": [],
        "user_id": user_id,
        "primary_homepage": False,
        **body,
        "id": s.next_id("board"),
        "created_at": now(),
        "updated_at": now(),
        "_section_ids": [],
    }
    board["content_metadata_id"] = new_content_metadata(
        s, "board", board["title"], None, homepage_id=board["id"]
    )
    return s.insert("board", board)


def update_board(s: Store, board: dict[str, Any], body: dict[str, Any]) -> None:
    check_references(s, body, {"user_id": "user"})
    if "section_order" in body and body["section_order"] is not None:
        unknown = [i for i in body["section_order"] if i not in board["_section_ids"]]
        if unknown:
            raise validation_failed(
                problem("section_order", "invalid", "section_order names unknown sections.")
            )
    if "title" in body and body["title"] in (None, ""):
        raise validation_failed(problem("title", "missing", "This field is required."))
    merge_changes(board, body)
    s.touch("board", board["id"])


def delete_board(s: Store, board: dict[str, Any]) -> None:
    for section in children_of(s, "board_section", board["_section_ids"]):
        delete_board_section(s, section)
    s.remove("board", board["id"])
    delete_content_metadata(s, board.get("content_metadata_id"))


def render_board(s: Store, board: dict[str, Any]) -> dict[str, Any]:
    values = dict(board)
    values["board_sections"] = [
        render_board_section(s, sec)
        for sec in children_of(s, "board_section", board["_section_ids"])
    ]
    return sdk_types.render("Board", values)


def create_board_section(s: Store, body: dict[str, Any]) -> dict[str, Any]:
    require_fields(body, "board_id")
    check_references(s, body, {"board_id": "board"})
    _no_foreign_order(body, "item_order")
    section = {
        "description": None,
        "title": None,
        "item_order": [],
        **body,
        "id": s.next_id("board_section"),
        "created_at": now(),
        "updated_at": now(),
        "_item_ids": [],
    }
    s.insert("board_section", section)
    board = s.get("board", section["board_id"])
    board["_section_ids"].append(section["id"])
    board["section_order"] = [*(board.get("section_order") or []), section["id"]]
    s.touch("board", board["id"])
    return section


def update_board_section(s: Store, section: dict[str, Any], body: dict[str, Any]) -> None:
    if body.get("board_id") not in (None, section["board_id"]):
        raise validation_failed(
            problem("board_id", "invalid", "A section can't move to another board.")
        )
    if "item_order" in body and body["item_order"] is not None:
        unknown = [i for i in body["item_order"] if i not in section["_item_ids"]]
        if unknown:
            raise validation_failed(
                problem("item_order", "invalid", "item_order names unknown items.")
            )
    merge_changes(section, body)
    s.touch("board_section", section["id"])


def delete_board_section(s: Store, section: dict[str, Any]) -> None:
    for item in children_of(s, "board_item", section["_item_ids"]):
        s.remove("board_item", item["id"])
    board = s.get("board", section["board_id"])
    if board is not None:
        if section["id"] in board["_section_ids"]:
            board["_section_ids"].remove(section["id"])
        board["section_order"] = [i for i in board.get("section_order") or [] if i != section["id"]]
        s.touch("board", board["id"])
    s.remove("board_section", section["id"])


def render_board_section(s: Store, section: dict[str, Any]) -> dict[str, Any]:
    values = dict(section)
    items = children_of(s, "board_item", section["_item_ids"])
    values["board_items"] = [render_board_item(s, item) for item in items]
    values["visible_item_order"] = list(section.get("item_order") or [])
    return sdk_types.render("BoardSection", values)


_ITEM_REFS = {"board_section_id": "board_section", "dashboard_id": "dashboard", "look_id": "look"}


def create_board_item(s: Store, body: dict[str, Any]) -> dict[str, Any]:
    require_fields(body, "board_section_id")
    if not any(
        body.get(k) for k in ("dashboard_id", "look_id", "lookml_dashboard_id", "custom_url")
    ):
        raise validation_failed(
            problem("dashboard_id", "missing", "A board item needs a dashboard, Look or URL.")
        )
    check_references(s, body, _ITEM_REFS)
    section = s.get("board_section", body["board_section_id"])
    item = {"order": len(section["_item_ids"]), **body, "id": s.next_id("board_item")}
    s.insert("board_item", item)
    section["_item_ids"].append(item["id"])
    section["item_order"] = [*(section.get("item_order") or []), item["id"]]
    s.touch("board_section", section["id"])
    return item


def update_board_item(s: Store, item: dict[str, Any], body: dict[str, Any]) -> None:
    if body.get("board_section_id") not in (None, item["board_section_id"]):
        check_references(s, body, _ITEM_REFS)
        old = s.get("board_section", item["board_section_id"])
        new = s.get("board_section", body["board_section_id"])
        if old is not None and item["id"] in old["_item_ids"]:
            old["_item_ids"].remove(item["id"])
            old["item_order"] = [i for i in old.get("item_order") or [] if i != item["id"]]
            s.touch("board_section", old["id"])
        new["_item_ids"].append(item["id"])
        new["item_order"] = [*(new.get("item_order") or []), item["id"]]
        s.touch("board_section", new["id"])
    check_references(s, body, _ITEM_REFS)
    item.update(body)
    s.touch("board_item", item["id"])


def delete_board_item(s: Store, item: dict[str, Any]) -> None:
    section = s.get("board_section", item["board_section_id"])
    if section is not None:
        if item["id"] in section["_item_ids"]:
            section["_item_ids"].remove(item["id"])
        section["item_order"] = [i for i in section.get("item_order") or [] if i != item["id"]]
        s.touch("board_section", section["id"])
    s.remove("board_item", item["id"])


def render_board_item(s: Store, item: dict[str, Any]) -> dict[str, Any]:
    values = dict(item)
    target = s.get("dashboard", item.get("dashboard_id")) or s.get("look", item.get("look_id"))
    if item.get("dashboard_id"):
        values["url"] = f"/dashboards/{item['dashboard_id']}"
    elif item.get("look_id"):
        values["url"] = f"/looks/{item['look_id']}"
    else:
        values["url"] = item.get("custom_url")
    if target is not None:
        values["title"] = target.get("title")
        values["description"] = target.get("description")
        values["content_metadata_id"] = target.get("content_metadata_id")
        values["view_count"] = target.get("view_count", 0)
        folder = s.get("folder", target.get("folder_id"))
        values["location"] = folder["name"] if folder else None
    return sdk_types.render("BoardItem", values)


@route("POST", "/boards", "create_board", kind="board")
def serve_create_board(call: Call) -> dict[str, Any]:
    return render_board(call.store, create_board(call.store, call.body(), call.user_id))


@route("GET", "/boards", "all_boards")
def serve_all_boards(call: Call) -> list[dict[str, Any]]:
    return [render_board(call.store, b) for b in sort_rows(call.store.all("board"), None)]


@route("GET", "/boards/search", "search_boards")
def serve_search_boards(call: Call) -> list[dict[str, Any]]:
    """`favorited=true` finds none (the emulator keeps no favorites); `permission` (show or
    update) restricts nothing: the API user is an admin and may update every board."""

    def view(board: dict[str, Any]) -> dict[str, Any]:
        creator = call.store.get("user", board.get("user_id")) or {}
        return {
            **board,
            "creator_id": board.get("user_id"),
            "first_name": creator.get("first_name"),
            "last_name": creator.get("last_name"),
        }

    rows = call.store.all("board")
    if call.flag("favorited"):
        rows = []
    rows = search(
        rows, call.query, view, ignore=("favorited", "permission"), operation=call.operation
    )
    return [render_board(call.store, b) for b in rows]


@route("GET", "/boards/{board_id}", "board")
def serve_get_board(call: Call) -> dict[str, Any]:
    return render_board(call.store, require(call.store, "board", call.params["board_id"]))


@route("PATCH", "/boards/{board_id}", "update_board", kind="board")
def serve_update_board(call: Call) -> dict[str, Any]:
    board = require(call.store, "board", call.params["board_id"])
    update_board(call.store, board, call.body())
    return render_board(call.store, board)


@route("DELETE", "/boards/{board_id}", "delete_board")
def serve_delete_board(call: Call) -> Any:
    delete_board(call.store, require(call.store, "board", call.params["board_id"]))
    return NO_CONTENT


@route("POST", "/board_sections", "create_board_section", kind="board_section")
def serve_create_board_section(call: Call) -> dict[str, Any]:
    return render_board_section(call.store, create_board_section(call.store, call.body()))


@route("GET", "/board_sections", "all_board_sections")
def serve_all_board_sections(call: Call) -> list[dict[str, Any]]:
    rows = sort_rows(call.store.all("board_section"), call.query.get("sorts"))
    return [render_board_section(call.store, x) for x in rows]


@route("GET", "/board_sections/{board_section_id}", "board_section")
def serve_get_board_section(call: Call) -> dict[str, Any]:
    section = require(call.store, "board_section", call.params["board_section_id"])
    return render_board_section(call.store, section)


@route("PATCH", "/board_sections/{board_section_id}", "update_board_section", kind="board_section")
def serve_update_board_section(call: Call) -> dict[str, Any]:
    section = require(call.store, "board_section", call.params["board_section_id"])
    update_board_section(call.store, section, call.body())
    return render_board_section(call.store, section)


@route("DELETE", "/board_sections/{board_section_id}", "delete_board_section")
def serve_delete_board_section(call: Call) -> Any:
    delete_board_section(
        call.store, require(call.store, "board_section", call.params["board_section_id"])
    )
    return NO_CONTENT


@route("POST", "/board_items", "create_board_item", kind="board_item")
def serve_create_board_item(call: Call) -> dict[str, Any]:
    return render_board_item(call.store, create_board_item(call.store, call.body()))


@route("GET", "/board_items", "all_board_items")
def serve_all_board_items(call: Call) -> list[dict[str, Any]]:
    rows = call.store.all("board_item")
    section_id = call.query.get("board_section_id")
    if section_id:
        rows = [i for i in rows if i["board_section_id"] == section_id]
    return [render_board_item(call.store, i) for i in sort_rows(rows, call.query.get("sorts"))]


@route("GET", "/board_items/{board_item_id}", "board_item")
def serve_get_board_item(call: Call) -> dict[str, Any]:
    return render_board_item(
        call.store, require(call.store, "board_item", call.params["board_item_id"])
    )


@route("PATCH", "/board_items/{board_item_id}", "update_board_item", kind="board_item")
def serve_update_board_item(call: Call) -> dict[str, Any]:
    item = require(call.store, "board_item", call.params["board_item_id"])
    update_board_item(call.store, item, call.body())
    return render_board_item(call.store, item)


@route("DELETE", "/board_items/{board_item_id}", "delete_board_item")
def serve_delete_board_item(call: Call) -> Any:
    delete_board_item(call.store, require(call.store, "board_item", call.params["board_item_id"]))
    return NO_CONTENT
