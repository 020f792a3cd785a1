"""Groups: create, rename, delete, members (users and groups inside groups) and the
group memberships a user inherits through nested groups.
"""

from __future__ import annotations

from typing import Any

from .. import sdk_types
from ..errors import LookerError, not_found
from ..routing import NO_CONTENT, Call, route
from ..rules import check_unique_name, merge_changes, require, require_fields
from ..search import paginate, search, sort_rows
from ..store import Store
from .users import render_user


def user_group_ids(s: Store, user: dict[str, Any]) -> list[str]:
    """Groups the user belongs to, directly or through groups inside groups."""
    direct = [g for g in user.get("_group_ids", []) if s.exists("group", g)]
    result, todo = list(direct), list(direct)
    parents: dict[str, list[str]] = {}
    for group in s.all("group"):
        for child in group.get("_group_ids", []):
            parents.setdefault(child, []).append(group["id"])
    while todo:
        for parent in parents.get(todo.pop(), []):
            if parent not in result:
                result.append(parent)
                todo.append(parent)
    return result


def create_group(s: Store, body: dict[str, Any]) -> dict[str, Any]:
    require_fields(body, "name")
    check_unique_name(s, "group", body["name"])
    group = {
        "can_add_to_content_metadata": True,
        "external_group_id": None,
        "externally_managed": False,
        "include_by_default": False,
        "_group_ids": [],
        **body,
    }
    return s.insert("group", group)


def update_group(s: Store, group: dict[str, Any], body: dict[str, Any]) -> None:
    if "name" in body:
        require_fields(body, "name")
        check_unique_name(s, "group", body["name"], group["id"])
    merge_changes(group, body)
    s.touch("group", group["id"])


def render_group(s: Store, group: dict[str, Any], me: str | None = None) -> dict[str, Any]:
    members = [u for u in s.all("user") if group["id"] in u.get("_group_ids", [])]
    values = dict(group)
    values["user_count"] = len(members)
    values["contains_current_user"] = any(u["id"] == me for u in members)
    return sdk_types.render("Group", values)


def forbid_all_users(group: dict[str, Any], what: str) -> None:
    """The "All Users" group can't be deleted and nobody leaves it (Looker's docs); the
    answer is 403, a status the spec declares for both calls."""
    if group.get("_built_in"):
        raise LookerError(403, f"The {group['name']} group {what}.")


def delete_group(s: Store, group: dict[str, Any]) -> None:
    forbid_all_users(group, "can't be deleted")
    for user in s.all("user"):
        if group["id"] in user.get("_group_ids", []):
            user["_group_ids"].remove(group["id"])
            s.touch("user", user["id"])
    for other in s.all("group") + s.all("role"):
        if group["id"] in other.get("_group_ids", []):
            other["_group_ids"].remove(group["id"])
            s.touch("role" if "permission_set_id" in other else "group", other["id"])
    for access in s.all("content_metadata_access"):
        if access.get("group_id") == group["id"]:
            s.remove("content_metadata_access", access["id"])
    s.remove("group", group["id"])


def add_group_to_group(s: Store, parent: dict[str, Any], child_id: str) -> dict[str, Any]:
    child = s.get("group", child_id)
    if child is None:
        raise not_found()
    if child["id"] == parent["id"] or parent["id"] in _group_descendants(s, child["id"]):
        raise LookerError(400, "A group can't contain itself.")
    if child["id"] not in parent["_group_ids"]:
        parent["_group_ids"].append(child["id"])
        s.touch("group", parent["id"])
    return child


def _group_descendants(s: Store, group_id: str) -> set[str]:
    out, todo = set(), [group_id]
    while todo:
        group = s.get("group", todo.pop())
        for child in (group or {}).get("_group_ids", []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


@route("POST", "/groups", "create_group", kind="group")
def serve_create_group(call: Call) -> dict[str, Any]:
    return render_group(call.store, create_group(call.store, call.body()), call.user_id)


@route("GET", "/groups", "all_groups")
def serve_all_groups(call: Call) -> list[dict[str, Any]]:
    rows = call.store.all("group")
    ids = call.id_list("ids")
    if ids is not None:
        rows = [g for g in rows if g["id"] in ids]
    rows = paginate(sort_rows(rows, call.query.get("sorts")), call.query)
    return [render_group(call.store, g, call.user_id) for g in rows]


def _group_view(group: dict[str, Any]) -> dict[str, Any]:
    """No group is externally orphaned: the emulator has no external group source."""
    return {"externally_orphaned": False, **group}


@route("GET", "/groups/search", "search_groups")
def serve_search_groups(call: Call) -> list[dict[str, Any]]:
    return [
        render_group(call.store, g, call.user_id)
        for g in search(call.store.all("group"), call.query, _group_view, operation=call.operation)
    ]


@route("GET", "/groups/{group_id}", "group")
def serve_get_group(call: Call) -> dict[str, Any]:
    return render_group(
        call.store, require(call.store, "group", call.params["group_id"]), call.user_id
    )


@route("PATCH", "/groups/{group_id}", "update_group", kind="group")
def serve_update_group(call: Call) -> dict[str, Any]:
    group = require(call.store, "group", call.params["group_id"])
    update_group(call.store, group, call.body())
    return render_group(call.store, group, call.user_id)


@route("DELETE", "/groups/{group_id}", "delete_group")
def serve_delete_group(call: Call) -> Any:
    delete_group(call.store, require(call.store, "group", call.params["group_id"]))
    return NO_CONTENT


@route("GET", "/groups/{group_id}/users", "all_group_users")
def serve_all_group_users(call: Call) -> list[dict[str, Any]]:
    group = require(call.store, "group", call.params["group_id"])
    rows = [u for u in call.store.all("user") if group["id"] in u.get("_group_ids", [])]
    rows = paginate(sort_rows(rows, call.query.get("sorts")), call.query)
    return [render_user(call.store, u) for u in rows]


@route("POST", "/groups/{group_id}/users", "add_group_user", kind="group_user")
def serve_add_group_user(call: Call) -> dict[str, Any]:
    group = require(call.store, "group", call.params["group_id"])
    body = call.body()
    if not body.get("user_id"):
        raise LookerError(400, "user_id is required")
    user = require(call.store, "user", body["user_id"])
    if group["id"] not in user["_group_ids"]:
        user["_group_ids"].append(group["id"])
        call.store.touch("user", user["id"])
    return render_user(call.store, user)


@route("DELETE", "/groups/{group_id}/users/{user_id}", "delete_group_user")
def serve_delete_group_user(call: Call) -> Any:
    group = require(call.store, "group", call.params["group_id"])
    user = require(call.store, "user", call.params["user_id"])
    if group["id"] not in user["_group_ids"]:
        raise not_found()
    forbid_all_users(group, "contains every user: nobody can be removed from it")
    user["_group_ids"].remove(group["id"])
    call.store.touch("user", user["id"])
    return NO_CONTENT


@route("GET", "/groups/{group_id}/groups", "all_group_groups")
def serve_all_group_groups(call: Call) -> list[dict[str, Any]]:
    group = require(call.store, "group", call.params["group_id"])
    children = [call.store.get("group", g) for g in group["_group_ids"]]
    return [render_group(call.store, g, call.user_id) for g in children if g is not None]


@route("POST", "/groups/{group_id}/groups", "add_group_group", kind="group_group")
def serve_add_group_group(call: Call) -> dict[str, Any]:
    group = require(call.store, "group", call.params["group_id"])
    body = call.body()
    if not body.get("group_id"):
        raise LookerError(400, "group_id is required")
    child = add_group_to_group(call.store, group, body["group_id"])
    return render_group(call.store, child, call.user_id)


@route("DELETE", "/groups/{group_id}/groups/{deleting_group_id}", "delete_group_from_group")
def serve_delete_group_from_group(call: Call) -> Any:
    group = require(call.store, "group", call.params["group_id"])
    child_id = call.params["deleting_group_id"]
    if child_id not in group["_group_ids"]:
        raise not_found()
    group["_group_ids"].remove(child_id)
    call.store.touch("group", group["id"])
    return NO_CONTENT
