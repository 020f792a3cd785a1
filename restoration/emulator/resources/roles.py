"""Roles, permission sets and model sets, and who holds a role: `/roles`,
`/permission_sets`, `/model_sets`, `/permissions`, a role's groups and users, and a
user's roles.
"""

from __future__ import annotations

from typing import Any

from .. import sdk_types
from ..errors import LookerError, problem, validation_failed
from ..permissions import PERMISSIONS
from ..routing import NO_CONTENT, Call, route
from ..rules import (
    check_references,
    check_unique_name,
    forbid_built_in,
    merge_changes,
    require,
    require_fields,
    same_name,
)
from ..search import search, sort_rows
from ..store import Store
from .groups import render_group, user_group_ids
from .users import render_user


def user_role_ids(s: Store, user: dict[str, Any], direct_only: bool = False) -> list[str]:
    roles = [r for r in user.get("role_ids", []) if s.exists("role", r)]
    if direct_only:
        return roles
    groups = set(user_group_ids(s, user))
    for role in s.all("role"):
        if role["id"] not in roles and groups.intersection(role.get("_group_ids", [])):
            roles.append(role["id"])
    return roles


def validate_permissions(permissions: Any) -> None:
    unknown = [p for p in permissions or [] if p not in PERMISSIONS]
    if unknown:
        raise validation_failed(
            problem(
                "permissions", "invalid", f"Unknown permissions: {', '.join(map(str, unknown))}."
            )
        )


def create_permission_set(s: Store, body: dict[str, Any], **extra: Any) -> dict[str, Any]:
    require_fields(body, "name")
    check_unique_name(s, "permission_set", body["name"])
    validate_permissions(body.get("permissions"))
    obj = {"permissions": [], "built_in": False, "all_access": False, **body, **extra}
    return s.insert("permission_set", obj)


def update_permission_set(s: Store, obj: dict[str, Any], body: dict[str, Any]) -> None:
    forbid_built_in(obj)
    if "name" in body:
        require_fields(body, "name")
        check_unique_name(s, "permission_set", body["name"], obj["id"])
    validate_permissions(body.get("permissions"))
    merge_changes(obj, body)
    s.touch("permission_set", obj["id"])


def create_model_set(s: Store, body: dict[str, Any], **extra: Any) -> dict[str, Any]:
    require_fields(body, "name")
    check_unique_name(s, "model_set", body["name"])
    obj = {"models": [], "built_in": False, "all_access": False, **body, **extra}
    return s.insert("model_set", obj)


def update_model_set(s: Store, obj: dict[str, Any], body: dict[str, Any]) -> None:
    forbid_built_in(obj)
    if "name" in body:
        require_fields(body, "name")
        check_unique_name(s, "model_set", body["name"], obj["id"])
    merge_changes(obj, body)
    s.touch("model_set", obj["id"])


def render_set(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    model = "PermissionSet" if kind == "permission_set" else "ModelSet"
    return sdk_types.render(model, {**obj, "url": f"/api/4.0/{kind}s/{obj['id']}"})


_ROLE_REFS = {"permission_set_id": "permission_set", "model_set_id": "model_set"}


def create_role(s: Store, body: dict[str, Any], **extra: Any) -> dict[str, Any]:
    _role_nested_sets(s, body)
    require_fields(body, "name")
    check_unique_name(s, "role", body["name"])
    check_references(s, body, _ROLE_REFS)
    obj = {"permission_set_id": None, "model_set_id": None, "_group_ids": [], **body, **extra}
    return s.insert("role", obj)


def _role_nested_sets(s: Store, body: dict[str, Any]) -> None:
    """A role body may carry nested sets instead of ids; Looker matches them by name."""
    for key, kind in (("permission_set", "permission_set"), ("model_set", "model_set")):
        nested = body.pop(key, None)
        if nested and not body.get(f"{key}_id"):
            match = next(
                (o for o in s.all(kind) if same_name(o.get("name"), nested.get("name"))), None
            )
            if match is None:
                raise validation_failed(problem(f"{key}_id", "missing", f"{key} does not exist."))
            body[f"{key}_id"] = match["id"]


def update_role(s: Store, role: dict[str, Any], body: dict[str, Any]) -> None:
    forbid_built_in(role)
    _role_nested_sets(s, body)
    if "name" in body:
        require_fields(body, "name")
        check_unique_name(s, "role", body["name"], role["id"])
    check_references(s, body, _ROLE_REFS)
    merge_changes(role, body)
    s.touch("role", role["id"])


def render_role(s: Store, role: dict[str, Any]) -> dict[str, Any]:
    ps = s.get("permission_set", role.get("permission_set_id"))
    ms = s.get("model_set", role.get("model_set_id"))
    values = dict(role)
    values["permission_set"] = render_set("permission_set", ps) if ps else None
    values["model_set"] = render_set("model_set", ms) if ms else None
    values["url"] = f"/api/4.0/roles/{role['id']}"
    values["users_url"] = f"/api/4.0/roles/{role['id']}/users"
    values["internal"] = False
    return sdk_types.render("Role", values)


def delete_role(s: Store, role: dict[str, Any]) -> None:
    forbid_built_in(role)
    for user in s.all("user"):
        if role["id"] in user.get("role_ids", []):
            user["role_ids"].remove(role["id"])
            s.touch("user", user["id"])
    s.remove("role", role["id"])


@route("GET", "/users/{user_id}/roles", "user_roles")
def serve_user_roles(call: Call) -> list[dict[str, Any]]:
    user = require(call.store, "user", call.params["user_id"])
    role_ids = user_role_ids(call.store, user, bool(call.flag("direct_association_only")))
    return [render_role(call.store, call.store.get("role", r)) for r in role_ids]


def _id_array(call: Call, kind: str, field: str) -> list[str]:
    data = call.json()
    if not isinstance(data, list):
        raise LookerError(400, "Request body must be a JSON array of ids")
    ids = [str(v) for v in data if v is not None]
    problems = [
        problem(field, "missing", f"{kind.capitalize()} {i} does not exist.")
        for i in ids
        if not call.store.exists(kind, i)
    ]
    if problems:
        raise validation_failed(*problems)
    return list(dict.fromkeys(ids))


@route("PUT", "/users/{user_id}/roles", "set_user_roles", kind="user")
def serve_set_user_roles(call: Call) -> list[dict[str, Any]]:
    user = require(call.store, "user", call.params["user_id"])
    user["role_ids"] = _id_array(call, "role", "role_ids")
    call.store.touch("user", user["id"])
    return [render_role(call.store, call.store.get("role", r)) for r in user["role_ids"]]


@route("POST", "/roles", "create_role", kind="role")
def serve_create_role(call: Call) -> dict[str, Any]:
    return render_role(call.store, create_role(call.store, call.body()))


@route("GET", "/roles", "all_roles")
def serve_all_roles(call: Call) -> list[dict[str, Any]]:
    rows = call.store.all("role")
    ids = call.id_list("ids")
    if ids is not None:
        rows = [r for r in rows if r["id"] in ids]
    return [render_role(call.store, r) for r in sort_rows(rows, None)]


def _role_view(role: dict[str, Any]) -> dict[str, Any]:
    return {
        **role,
        "built_in": bool(role.get("_built_in")),
        "model_set_ids": role.get("model_set_id"),
        "permission_set_ids": role.get("permission_set_id"),
    }


@route("GET", "/roles/search", "search_roles")
def serve_search_roles(call: Call) -> list[dict[str, Any]]:
    rows = search(call.store.all("role"), call.query, _role_view, operation=call.operation)
    return [render_role(call.store, r) for r in rows]


@route("GET", "/roles/{role_id}", "role")
def serve_get_role(call: Call) -> dict[str, Any]:
    return render_role(call.store, require(call.store, "role", call.params["role_id"]))


@route("PATCH", "/roles/{role_id}", "update_role", kind="role")
def serve_update_role(call: Call) -> dict[str, Any]:
    role = require(call.store, "role", call.params["role_id"])
    update_role(call.store, role, call.body())
    return render_role(call.store, role)


@route("DELETE", "/roles/{role_id}", "delete_role")
def serve_delete_role(call: Call) -> Any:
    delete_role(call.store, require(call.store, "role", call.params["role_id"]))
    return NO_CONTENT


@route("GET", "/roles/{role_id}/groups", "role_groups")
def serve_role_groups(call: Call) -> list[dict[str, Any]]:
    role = require(call.store, "role", call.params["role_id"])
    groups = [call.store.get("group", g) for g in role["_group_ids"]]
    return [render_group(call.store, g, call.user_id) for g in groups if g is not None]


@route("PUT", "/roles/{role_id}/groups", "set_role_groups", kind="role")
def serve_set_role_groups(call: Call) -> list[dict[str, Any]]:
    role = require(call.store, "role", call.params["role_id"])
    role["_group_ids"] = _id_array(call, "group", "group_ids")
    call.store.touch("role", role["id"])
    return [
        render_group(call.store, call.store.get("group", g), call.user_id)
        for g in role["_group_ids"]
    ]


@route("GET", "/roles/{role_id}/users", "role_users")
def serve_role_users(call: Call) -> list[dict[str, Any]]:
    role = require(call.store, "role", call.params["role_id"])
    direct = bool(call.flag("direct_association_only"))
    rows = [u for u in call.store.all("user") if role["id"] in user_role_ids(call.store, u, direct)]
    return [render_user(call.store, u) for u in sort_rows(rows, None)]


@route("PUT", "/roles/{role_id}/users", "set_role_users", kind="role")
def serve_set_role_users(call: Call) -> list[dict[str, Any]]:
    role = require(call.store, "role", call.params["role_id"])
    user_ids = _id_array(call, "user", "user_ids")
    for user in call.store.all("user"):
        has = role["id"] in user["role_ids"]
        if user["id"] in user_ids and not has:
            user["role_ids"].append(role["id"])
            call.store.touch("user", user["id"])
        elif user["id"] not in user_ids and has:
            user["role_ids"].remove(role["id"])
            call.store.touch("user", user["id"])
    return [render_user(call.store, call.store.get("user", u)) for u in user_ids]


def _set_routes(kind: str, label: str) -> None:
    base = f"/{kind}s"
    id_name = f"{kind}_id"
    create_fn = create_permission_set if kind == "permission_set" else create_model_set
    update_fn = update_permission_set if kind == "permission_set" else update_model_set

    def _create(call: Call) -> dict[str, Any]:
        return render_set(kind, create_fn(call.store, call.body()))

    def _all(call: Call) -> list[dict[str, Any]]:
        return [render_set(kind, o) for o in sort_rows(call.store.all(kind), None)]

    def _search(call: Call) -> list[dict[str, Any]]:
        rows = search(call.store.all(kind), call.query, operation=call.operation)
        return [render_set(kind, o) for o in rows]

    def _get(call: Call) -> dict[str, Any]:
        return render_set(kind, require(call.store, kind, call.params[id_name]))

    def _update(call: Call) -> dict[str, Any]:
        obj = require(call.store, kind, call.params[id_name])
        forbid_built_in(obj)
        update_fn(call.store, obj, call.body())
        return render_set(kind, obj)

    def _delete(call: Call) -> Any:
        obj = require(call.store, kind, call.params[id_name])
        forbid_built_in(obj)
        for role in call.store.all("role"):
            if role.get(id_name) == obj["id"]:
                raise LookerError(405, f"{label} is used by role {role['name']}.")
        call.store.remove(kind, obj["id"])
        return NO_CONTENT

    route("POST", base, f"create_{kind}", kind=kind)(_create)
    route("GET", base, f"all_{kind}s")(_all)
    route("GET", f"{base}/search", f"search_{kind}s")(_search)
    route("GET", f"{base}/{{{id_name}}}", kind)(_get)
    route("PATCH", f"{base}/{{{id_name}}}", f"update_{kind}", kind=kind)(_update)
    route("DELETE", f"{base}/{{{id_name}}}", f"delete_{kind}")(_delete)


_set_routes("permission_set", "Permission set")


_set_routes("model_set", "Model set")


@route("GET", "/permissions", "all_permissions")
def serve_all_permissions(call: Call) -> list[dict[str, Any]]:
    return [
        sdk_types.render(
            "Permission",
            {
                "permission": name,
                "parent": parent,
                "description": name.replace("_", " ").capitalize(),
            },
        )
        for name, parent in PERMISSIONS.items()
    ]
