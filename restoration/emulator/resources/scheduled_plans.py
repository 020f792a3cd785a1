"""Scheduled plans and their destinations: validation, the caller's plans, plans by
dashboard, Look, LookML dashboard and folder; secrets never answered.
"""

from __future__ import annotations

import json
from typing import Any

from .. import sdk_types
from ..errors import problem, validation_failed
from ..routing import NO_CONTENT, Call, route
from ..rules import check_references, merge_changes, now, require
from ..search import search, sort_rows
from ..store import Store
from .users import display_name

_PLAN_REFS = {
    "user_id": "user",
    "look_id": "look",
    "dashboard_id": "dashboard",
    "query_id": "query",
}


def _check_plan(s: Store, plan: dict[str, Any]) -> None:
    problems = []
    if plan.get("name") in (None, ""):
        problems.append(problem("name", "missing", "This field is required."))
    targets = [
        k for k in ("look_id", "dashboard_id", "lookml_dashboard_id", "query_id") if plan.get(k)
    ]
    if len(targets) != 1:
        problems.append(
            problem(
                "look_id",
                "missing",
                "Exactly one of look_id, dashboard_id, lookml_dashboard_id or query_id is required.",
            )
        )
    if not plan.get("run_once") and not plan.get("crontab") and not plan.get("datagroup"):
        problems.append(problem("crontab", "missing", "A crontab or a datagroup is required."))
    destinations = plan.get("scheduled_plan_destination") or []
    if not destinations:
        problems.append(
            problem(
                "scheduled_plan_destination", "missing", "At least one destination is required."
            )
        )
    for i, dest in enumerate(destinations):
        for field in ("type", "format"):
            if not dest.get(field):
                problems.append(
                    problem(
                        f"scheduled_plan_destination[{i}].{field}",
                        "missing",
                        "This field is required.",
                    )
                )
        if dest.get("type") == "email" and not dest.get("address"):
            problems.append(
                problem(
                    f"scheduled_plan_destination[{i}].address", "missing", "This field is required."
                )
            )
        problems += _destination_problems(plan, i, dest)
    if plan.get("look_id"):
        # Spec, create_scheduled_plan: "When `look_id` is set, `require_no_results`,
        # `require_results`, and `require_change` are all required."
        for field in ("require_results", "require_no_results", "require_change"):
            if plan.get(field) is None:
                problems.append(problem(field, "missing", "Required for a plan on a Look."))
    if plan.get("crontab") and plan.get("datagroup"):
        # Spec, ScheduledPlan.datagroup: "can't be used with cron string".
        problems.append(
            problem("datagroup", "invalid", "A datagroup can't be used with a crontab.")
        )
    if problems:
        raise validation_failed(*problems)
    check_references(s, plan, _PLAN_REFS)


# Spec, ScheduledPlanDestination.parameters / secret_parameters: "For Amazon S3, this requires
# keys and values for access_key_id and region" / "a key and value for secret_access_key";
# "For SFTP, ... username" / "password".
_DESTINATION_KEYS = {
    "s3": (("access_key_id", "region"), ("secret_access_key",)),
    "sftp": (("username",), ("password",)),
}


def _json_object(text: Any) -> dict[str, Any] | None:
    if isinstance(text, dict):
        return text
    try:
        value = json.loads(text) if text else {}
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _destination_problems(plan: dict[str, Any], i: int, dest: dict[str, Any]) -> list:
    where = f"scheduled_plan_destination[{i}]"
    problems = []
    is_dashboard = bool(plan.get("dashboard_id") or plan.get("lookml_dashboard_id"))
    if dest.get("format") == "wysiwyg_pdf" and not is_dashboard:
        # Spec, create_scheduled_plan: "`wysiwyg_pdf` is only valid for dashboards".
        problems.append(
            problem(f"{where}.format", "invalid", "wysiwyg_pdf is only valid for dashboards.")
        )
    needed = _DESTINATION_KEYS.get(str(dest.get("type")))
    if needed:
        for field, keys in zip(("parameters", "secret_parameters"), needed, strict=True):
            values = _json_object(dest.get(field))
            if values is None:
                problems.append(problem(f"{where}.{field}", "invalid", "Must be a JSON object."))
                continue
            missing = [k for k in keys if not values.get(k)]
            if missing:
                problems.append(
                    problem(f"{where}.{field}", "missing", f"Requires {', '.join(missing)}.")
                )
    return problems


def _plan_destinations(s: Store, plan_id: str, destinations: list[dict[str, Any]]) -> list[dict]:
    out = []
    for dest in destinations:
        dest = {k: v for k, v in dest.items() if k not in ("id", "scheduled_plan_id")}
        out.append(
            {**dest, "id": s.next_id("scheduled_plan_destination"), "scheduled_plan_id": plan_id}
        )
    return out


def create_scheduled_plan(s: Store, body: dict[str, Any], user_id: str | None) -> dict[str, Any]:
    plan = {"enabled": True, "run_as_recipient": False, "user_id": user_id, **body}
    _check_plan(s, plan)
    plan["id"] = s.next_id("scheduled_plan")
    plan["created_at"] = plan["updated_at"] = now()
    plan["scheduled_plan_destination"] = _plan_destinations(
        s, plan["id"], plan.get("scheduled_plan_destination") or []
    )
    return s.insert("scheduled_plan", plan)


def update_scheduled_plan(s: Store, plan: dict[str, Any], body: dict[str, Any]) -> None:
    merged = {**plan, **body}
    _check_plan(s, merged)
    if "scheduled_plan_destination" in body:
        body["scheduled_plan_destination"] = _plan_destinations(
            s, plan["id"], body["scheduled_plan_destination"] or []
        )
    merge_changes(plan, body)
    s.touch("scheduled_plan", plan["id"])


def render_scheduled_plan(s: Store, plan: dict[str, Any]) -> dict[str, Any]:
    values = dict(plan)
    target = s.get("dashboard", plan.get("dashboard_id")) or s.get("look", plan.get("look_id"))
    values["title"] = target.get("title") if target else None
    user = s.get("user", plan.get("user_id"))
    values["user"] = (
        sdk_types.render(
            "UserPublic",
            {
                "id": user["id"],
                "first_name": user.get("first_name"),
                "last_name": user.get("last_name"),
                "display_name": display_name(user),
                "avatar_url": f"https://gravatar.example.com/avatar/{user['id']}?s=156&d=blank",
                "url": f"/api/4.0/users/{user['id']}",
            },
        )
        if user
        else None
    )
    values["scheduled_plan_destination"] = [
        # Looker never answers with secrets.
        sdk_types.render("ScheduledPlanDestination", {**d, "secret_parameters": None})
        for d in plan.get("scheduled_plan_destination") or []
    ]
    return sdk_types.render("ScheduledPlan", values)


def _plans_for(call: Call, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Looker lists the caller's own plans unless all_users or user_id says otherwise."""
    if call.flag("all_users"):
        pass
    elif call.query.get("user_id"):
        rows = [p for p in rows if p.get("user_id") == call.query["user_id"]]
    else:
        rows = [p for p in rows if p.get("user_id") == call.user_id]
    return [render_scheduled_plan(call.store, p) for p in sort_rows(rows, None)]


@route("POST", "/scheduled_plans", "create_scheduled_plan", kind="scheduled_plan")
def serve_create_scheduled_plan(call: Call) -> dict[str, Any]:
    plan = create_scheduled_plan(call.store, call.body(), call.user_id)
    return render_scheduled_plan(call.store, plan)


@route("GET", "/scheduled_plans", "all_scheduled_plans")
def serve_all_scheduled_plans(call: Call) -> list[dict[str, Any]]:
    return _plans_for(call, call.store.all("scheduled_plan"))


@route("GET", "/scheduled_plans/search", "search_scheduled_plans")
def serve_search_scheduled_plans(call: Call) -> list[dict[str, Any]]:
    def view(plan: dict[str, Any]) -> dict[str, Any]:
        dests = plan.get("scheduled_plan_destination") or []
        owner = call.store.get("user", plan.get("user_id")) or {}
        return {
            **plan,
            "user_first_name": owner.get("first_name"),
            "user_last_name": owner.get("last_name"),
            "recipient": [x.get("address") for x in dests],
            "destination_type": [x.get("type") for x in dests],
            "delivery_format": [x.get("format") for x in dests],
        }

    # user_id and all_users choose whose plans (_plans_for), as on all_scheduled_plans.
    ignore = ("user_id", "all_users")
    plans = call.store.all("scheduled_plan")
    rows = {p["id"] for p in search(plans, call.query, view, ignore, call.operation)}
    return _plans_for(call, [p for p in call.store.all("scheduled_plan") if p["id"] in rows])


@route("GET", "/scheduled_plans/{scheduled_plan_id}", "scheduled_plan")
def serve_get_scheduled_plan(call: Call) -> dict[str, Any]:
    plan = require(call.store, "scheduled_plan", call.params["scheduled_plan_id"])
    return render_scheduled_plan(call.store, plan)


@route(
    "PATCH", "/scheduled_plans/{scheduled_plan_id}", "update_scheduled_plan", kind="scheduled_plan"
)
def serve_update_scheduled_plan(call: Call) -> dict[str, Any]:
    plan = require(call.store, "scheduled_plan", call.params["scheduled_plan_id"])
    update_scheduled_plan(call.store, plan, call.body())
    return render_scheduled_plan(call.store, plan)


@route("DELETE", "/scheduled_plans/{scheduled_plan_id}", "delete_scheduled_plan")
def serve_delete_scheduled_plan(call: Call) -> Any:
    plan = require(call.store, "scheduled_plan", call.params["scheduled_plan_id"])
    call.store.remove("scheduled_plan", plan["id"])
    return NO_CONTENT


def _plans_by(field: str, param: str, kind: str | None, operation: str, path: str) -> None:
    def handler(call: Call) -> list[dict[str, Any]]:
        target = call.params[param]
        if kind is not None:
            require(call.store, kind, target)
        if field == "folder_id":
            dash_ids = {
                x["id"] for x in call.store.all("dashboard") if x.get("folder_id") == target
            }
            look_ids = {x["id"] for x in call.store.all("look") if x.get("folder_id") == target}
            rows = [
                p
                for p in call.store.all("scheduled_plan")
                if p.get("dashboard_id") in dash_ids or p.get("look_id") in look_ids
            ]
            return [render_scheduled_plan(call.store, p) for p in sort_rows(rows, None)]
        rows = [p for p in call.store.all("scheduled_plan") if p.get(field) == target]
        return _plans_for(call, rows)

    route("GET", path, operation)(handler)


_plans_by(
    "dashboard_id",
    "dashboard_id",
    "dashboard",
    "scheduled_plans_for_dashboard",
    "/scheduled_plans/dashboard/{dashboard_id}",
)


_plans_by(
    "look_id", "look_id", "look", "scheduled_plans_for_look", "/scheduled_plans/look/{look_id}"
)


_plans_by(
    "lookml_dashboard_id",
    "lookml_dashboard_id",
    None,
    "scheduled_plans_for_lookml_dashboard",
    "/scheduled_plans/lookml_dashboard/{lookml_dashboard_id}",
)


_plans_by(
    "folder_id",
    "space_id",
    "folder",
    "scheduled_plans_for_space",
    "/scheduled_plans/space/{space_id}",
)
