"""User attributes: definitions (the system ones every Looker ships, which cannot be
changed or deleted, and the instance's own, with unique names and labels), their values
for groups in precedence order and for single users, and the value a user ends up with
(user, else the first group by rank, else the default).

Group values are kept on the attribute as `_group_values` ([{id, group_id, value, rank}]
in precedence order) and user values as `_user_values` ({user_id: value}).
"""

from __future__ import annotations

from typing import Any

from .. import sdk_types
from ..errors import LookerError, already_exists, not_found, problem, validation_failed
from ..routing import NO_CONTENT, Call, route
from ..rules import check_references, merge_changes, require
from ..search import sort_rows
from ..store import Store
from .groups import user_group_ids
from .users import display_name, user_email

# The spec's UserAttribute.type description, plus "file" (its WriteUserAttribute text).
TYPES = (
    "string",
    "number",
    "datetime",
    "yesno",
    "zipcode",
    "advanced_filter_string",
    "advanced_filter_number",
    "file",
)

# name -> (label, type, how the value is read from the user)
SYSTEM_ATTRIBUTES: dict[str, tuple[str, str, Any]] = {
    "email": ("Email", "string", user_email),
    "name": ("Name", "string", display_name),
    "first_name": ("First Name", "string", lambda u: u.get("first_name")),
    "last_name": ("Last Name", "string", lambda u: u.get("last_name")),
    "locale": ("Locale", "string", lambda u: u.get("locale")),
    "number_format": ("Number Format", "string", lambda u: u.get("number_format") or "1,234.56"),
    "id": ("ID", "number", lambda u: u.get("id")),
}


def install_system_attributes(s: Store) -> None:
    """The attributes a new Looker instance has (is_system, is_permanent)."""
    for name, (label, kind, _value) in SYSTEM_ATTRIBUTES.items():
        s.insert(
            "user_attribute",
            {
                "id": s.next_id("user_attribute"),
                "name": name,
                "label": label,
                "type": kind,
                "default_value": None,
                "is_system": True,
                "is_permanent": True,
                "value_is_hidden": False,
                "user_can_view": True,
                "user_can_edit": name == "locale",
                "_group_values": [],
                "_user_values": {},
            },
        )


def _check_definition(s: Store, attr: dict[str, Any], exclude_id: str | None) -> None:
    problems = []
    for field in ("name", "label"):
        if attr.get(field) in (None, ""):
            problems.append(problem(field, "missing", "This field is required."))
            continue
        for other in s.all("user_attribute"):
            if other["id"] != exclude_id and other.get(field) == attr[field]:
                problems.append(
                    problem(field, "already_exists", f"A user attribute with this {field} exists.")
                )
                break
    if attr.get("type") not in TYPES:
        problems.append(problem("type", "invalid", "type must be one of " + ", ".join(TYPES)))
    if problems and all(p.code == "already_exists" for p in problems):
        raise already_exists(*problems, status=422)  # the spec's text: "fail with a 422"
    if problems:
        raise validation_failed(*problems)


def create_user_attribute(s: Store, body: dict[str, Any]) -> dict[str, Any]:
    attr = {
        "default_value": None,
        "value_is_hidden": False,
        "user_can_view": True,
        "user_can_edit": False,
        **body,
        "is_system": False,
        "is_permanent": False,
    }
    _check_definition(s, attr, None)
    attr["id"] = s.next_id("user_attribute")
    attr["_group_values"] = []
    attr["_user_values"] = {}
    return s.insert("user_attribute", attr)


def update_user_attribute(s: Store, attr: dict[str, Any], body: dict[str, Any]) -> None:
    changes = {k: v for k, v in body.items() if attr.get(k) != v}
    if attr.get("is_system") and changes:
        raise validation_failed(
            problem(next(iter(changes)), "invalid", "System user attributes cannot be changed.")
        )
    _check_definition(s, {**attr, **body}, attr["id"])
    merge_changes(attr, body)
    s.touch("user_attribute", attr["id"])


def render_user_attribute(attr: dict[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in attr.items() if not k.startswith("_")}
    return sdk_types.render("UserAttribute", values)


def render_group_value(s: Store, attr: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    hidden = bool(attr.get("value_is_hidden"))
    return sdk_types.render(
        "UserAttributeGroupValue",
        {
            **row,
            "user_attribute_id": attr["id"],
            "value_is_hidden": hidden,
            "value": None if hidden else row.get("value"),
        },
    )


def group_values(s: Store, attr: dict[str, Any]) -> list[dict[str, Any]]:
    """The attribute's group values in precedence order (groups that still exist)."""
    return [g for g in attr.get("_group_values", []) if s.exists("group", g.get("group_id"))]


def set_group_values(s: Store, attr: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """Replace every group value; ranks are all given or none are (then the order ranks)."""
    ranked = [r.get("rank") is not None for r in rows]
    if any(ranked) and not all(ranked):
        raise validation_failed(
            problem("rank", "invalid", "Give a rank to every group value or to none.")
        )
    problems = []
    for i, row in enumerate(rows):
        if not row.get("group_id"):
            problems.append(problem(f"[{i}].group_id", "missing", "This field is required."))
    if problems:
        raise validation_failed(*problems)
    for row in rows:
        check_references(s, row, {"group_id": "group"})
    if any(ranked):
        rows = sorted(rows, key=lambda r: r["rank"])
    existing = {g["group_id"]: g["id"] for g in attr.get("_group_values", [])}
    attr["_group_values"] = [
        {
            "id": existing.get(str(row["group_id"])) or s.next_id("user_attribute_group_value"),
            "group_id": str(row["group_id"]),
            "value": row.get("value"),
            "rank": i + 1,
        }
        for i, row in enumerate(rows)
    ]
    s.touch("user_attribute", attr["id"])


def set_group_value(s: Store, attr: dict[str, Any], group_id: str, value: Any) -> dict:
    rows = attr.setdefault("_group_values", [])
    for row in rows:
        if row["group_id"] == group_id:
            row["value"] = value
            break
    else:
        row = {
            "id": s.next_id("user_attribute_group_value"),
            "group_id": group_id,
            "value": value,
            "rank": len(rows) + 1,
        }
        rows.append(row)
    s.touch("user_attribute", attr["id"])
    return row


def user_values(
    s: Store, user: dict[str, Any], attrs: list[dict[str, Any]], all_values: bool, unset: bool
) -> list[dict[str, Any]]:
    """What user_attribute_user_values answers: per attribute the value found first
    (user, then groups by rank, then default), or every value on the path."""
    groups = set(user_group_ids(s, user))
    out = []
    for attr in attrs:
        found: list[tuple[str, Any, int | None]] = []
        if attr.get("is_system"):
            found.append(("system", SYSTEM_ATTRIBUTES[attr["name"]][2](user), None))
        elif user["id"] in attr.get("_user_values", {}):
            found.append(("user", attr["_user_values"][user["id"]], None))
        for row in group_values(s, attr):
            if row["group_id"] in groups:
                found.append((f"group:{row['group_id']}", row.get("value"), row.get("rank")))
        if attr.get("default_value") not in (None, ""):
            found.append(("default", attr["default_value"], None))
        if not found and unset:
            found.append((None, None, None))
        for source, value, rank in found if all_values else found[:1]:
            hidden = bool(attr.get("value_is_hidden"))
            out.append(
                sdk_types.render(
                    "UserAttributeWithValue",
                    {
                        "name": attr["name"],
                        "label": attr["label"],
                        "rank": rank,
                        "value": None if hidden or value is None else str(value),
                        "user_id": user["id"],
                        "user_can_edit": bool(attr.get("user_can_edit")),
                        "value_is_hidden": hidden,
                        "user_attribute_id": attr["id"],
                        "source": source,
                        "hidden_value_domain_whitelist": attr.get("hidden_value_domain_whitelist"),
                    },
                )
            )
    return out


@route("GET", "/user_attributes", "all_user_attributes")
def serve_all_user_attributes(call: Call) -> list[dict[str, Any]]:
    rows = sort_rows(call.store.all("user_attribute"), call.query.get("sorts"))
    return [render_user_attribute(a) for a in rows]


@route("POST", "/user_attributes", "create_user_attribute", kind="user_attribute")
def serve_create_user_attribute(call: Call) -> dict[str, Any]:
    return render_user_attribute(create_user_attribute(call.store, call.body()))


@route("GET", "/user_attributes/{user_attribute_id}", "user_attribute")
def serve_user_attribute(call: Call) -> dict[str, Any]:
    attr = require(call.store, "user_attribute", call.params["user_attribute_id"])
    return render_user_attribute(attr)


@route(
    "PATCH", "/user_attributes/{user_attribute_id}", "update_user_attribute", kind="user_attribute"
)
def serve_update_user_attribute(call: Call) -> dict[str, Any]:
    attr = require(call.store, "user_attribute", call.params["user_attribute_id"])
    update_user_attribute(call.store, attr, call.body())
    return render_user_attribute(attr)


@route("DELETE", "/user_attributes/{user_attribute_id}", "delete_user_attribute")
def serve_delete_user_attribute(call: Call) -> Any:
    attr = require(call.store, "user_attribute", call.params["user_attribute_id"])
    if attr.get("is_permanent"):
        raise LookerError(400, f"User attribute {attr['name']} is permanent and cannot be deleted.")
    call.store.remove("user_attribute", attr["id"])
    return NO_CONTENT


@route(
    "GET",
    "/user_attributes/{user_attribute_id}/group_values",
    "all_user_attribute_group_values",
)
def serve_all_group_values(call: Call) -> list[dict[str, Any]]:
    attr = require(call.store, "user_attribute", call.params["user_attribute_id"])
    return [render_group_value(call.store, attr, g) for g in group_values(call.store, attr)]


@route(
    "POST",
    "/user_attributes/{user_attribute_id}/group_values",
    "set_user_attribute_group_values",
    kind="user_attribute_group_value",
)
def serve_set_group_values(call: Call) -> list[dict[str, Any]]:
    attr = require(call.store, "user_attribute", call.params["user_attribute_id"])
    data = call.json()
    if not isinstance(data, list):
        raise LookerError(400, "Request body must be a JSON array of group values")
    problems: list[sdk_types.FieldProblem] = []
    rows = []
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            raise LookerError(400, "Each group value must be a JSON object")
        rows.append(sdk_types.clean(item, "UserAttributeGroupValue", problems, prefix=f"[{i}]."))
    if problems:
        raise validation_failed(*problems)
    for row in rows:
        call.check_rejections(row)
    set_group_values(call.store, attr, rows)
    return [render_group_value(call.store, attr, g) for g in group_values(call.store, attr)]


@route(
    "PATCH",
    "/groups/{group_id}/attribute_values/{user_attribute_id}",
    "update_user_attribute_group_value",
    kind="user_attribute_group_value",
)
def serve_update_group_value(call: Call) -> dict[str, Any]:
    group = require(call.store, "group", call.params["group_id"])
    attr = require(call.store, "user_attribute", call.params["user_attribute_id"])
    body = call.body()
    row = set_group_value(call.store, attr, group["id"], body.get("value"))
    return render_group_value(call.store, attr, row)


@route(
    "DELETE",
    "/groups/{group_id}/attribute_values/{user_attribute_id}",
    "delete_user_attribute_group_value",
)
def serve_delete_group_value(call: Call) -> Any:
    group = require(call.store, "group", call.params["group_id"])
    attr = require(call.store, "user_attribute", call.params["user_attribute_id"])
    rows = attr.get("_group_values", [])
    kept = [g for g in rows if g["group_id"] != group["id"]]
    if len(kept) == len(rows):
        raise not_found()
    for rank, row in enumerate(kept, start=1):
        row["rank"] = rank
    attr["_group_values"] = kept
    call.store.touch("user_attribute", attr["id"])
    return NO_CONTENT


@route("GET", "/users/{user_id}/attribute_values", "user_attribute_user_values")
def serve_user_values(call: Call) -> list[dict[str, Any]]:
    user = require(call.store, "user", call.params["user_id"])
    attrs = sort_rows(call.store.all("user_attribute"), None)
    wanted = call.id_list("user_attribute_ids")
    if wanted:
        attrs = [a for a in attrs if a["id"] in wanted]
    return user_values(
        call.store,
        user,
        attrs,
        bool(call.flag("all_values")),
        bool(call.flag("include_unset")),
    )


@route(
    "PATCH",
    "/users/{user_id}/attribute_values/{user_attribute_id}",
    "set_user_attribute_user_value",
    kind="user_attribute_user_value",
)
def serve_set_user_value(call: Call) -> dict[str, Any]:
    user = require(call.store, "user", call.params["user_id"])
    attr = require(call.store, "user_attribute", call.params["user_attribute_id"])
    body = call.body()
    attr.setdefault("_user_values", {})[user["id"]] = body.get("value")
    call.store.touch("user_attribute", attr["id"])
    return user_values(call.store, user, [attr], False, True)[0]


@route(
    "DELETE",
    "/users/{user_id}/attribute_values/{user_attribute_id}",
    "delete_user_attribute_user_value",
)
def serve_delete_user_value(call: Call) -> Any:
    user = require(call.store, "user", call.params["user_id"])
    attr = require(call.store, "user_attribute", call.params["user_attribute_id"])
    # Lenient: 204 whether or not the user had a value of their own (no evidence either way).
    if attr.get("_user_values", {}).pop(user["id"], None) is not None:
        call.store.touch("user_attribute", attr["id"])
    return NO_CONTENT
