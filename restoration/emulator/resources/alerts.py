"""Alerts on dashboard tiles: create, replace (PUT), change select fields (PATCH), delete,
search (the caller's own, or every owner's), and following; the rules the spec's
descriptions state (required fields, comparison types, one destination type per alert,
a cron at least 15 minutes apart, the tile must exist).

Followers are kept as `_follower_ids`: Looker answers only whether the caller follows
(`followed`), so another user's follow is seen by logging in as that user.
"""

from __future__ import annotations

from typing import Any

from .. import sdk_types
from ..errors import LookerError, problem, validation_failed
from ..routing import NO_CONTENT, Call, route
from ..rules import check_references, now, require
from ..search import paginate
from ..store import Store
from .users import display_name

# The tile must exist; the owner is not checked (no evidence either way: lenient).
_REFS = {"dashboard_element_id": "dashboard_element"}
_CRON_FIELDS = 5
_MINUTES_APART = 15


def _cron_minutes(text: str) -> set[int] | None:
    """The minutes of an hour a cron's minute field fires at; None when unreadable."""
    out: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if body == "*":
                low, high = 0, 59
            elif "-" in body:
                a, b = body.split("-", 1)
                low, high = int(a), int(b)
            else:
                low = int(body)
                high = 59 if step_text else low
        except ValueError:
            return None
        if step < 1 or not 0 <= low <= high <= 59:
            return None
        out.update(range(low, high + 1, step))
    return out


def cron_problem(cron: Any) -> sdk_types.FieldProblem | None:
    """A Vixie cron with five fields whose runs are at least 15 minutes apart (spec:
    "At minimum, it has to be longer than 15 minute intervals")."""
    if not isinstance(cron, str) or len(cron.split()) != _CRON_FIELDS:
        return problem("cron", "invalid", "cron must be a crontab with five fields.")
    minute, hour = cron.split()[:2]
    minutes = _cron_minutes(minute)
    if minutes is None or not minutes:
        return problem("cron", "invalid", "cron's minute field cannot be read.")
    ordered = sorted(minutes)
    # The gap from the last run of one hour to the first of the next counts only when
    # the alert runs in consecutive hours; a single-minute field runs hourly at most.
    gaps = [b - a for a, b in zip(ordered, ordered[1:], strict=False)]
    if hour == "*" or "/" in hour or "-" in hour or "," in hour:
        gaps.append(ordered[0] + 60 - ordered[-1])
    if gaps and min(gaps) < _MINUTES_APART:
        return problem("cron", "invalid", "cron must run at intervals of at least 15 minutes.")
    return None


def _check_alert(s: Store, alert: dict[str, Any]) -> None:
    problems = []
    if "cron" in alert and (bad := cron_problem(alert.get("cron"))) is not None:
        problems.append(bad)
    types = {d.get("destination_type") for d in alert.get("destinations") or []}
    if len(types) > 1:
        problems.append(
            problem(
                "destinations",
                "invalid",
                "Destinations must all be of the same type.",
            )
        )
    if problems:
        raise validation_failed(*problems)
    check_references(s, alert, _REFS)


def _clean(call: Call, model_name: str, *, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """The body checked against an SDK model; `optional` names required fields the
    operation's description leaves out (create_alert: the owner defaults to the caller)."""
    data = call.json()
    if not isinstance(data, dict):
        raise LookerError(400, "Request body must be a JSON object")
    problems: list[sdk_types.FieldProblem] = []
    cleaned = sdk_types.clean(data, model_name, problems)
    problems = [p for p in problems if not (p.code == "missing" and p.field in optional)]
    if problems:
        raise validation_failed(*problems)
    call.check_rejections(cleaned)
    return cleaned


def create_alert(s: Store, body: dict[str, Any], user_id: str | None) -> dict[str, Any]:
    alert = {
        "is_disabled": False,
        "is_public": False,
        "show_custom_url": False,
        **body,
        "owner_id": body.get("owner_id") or user_id,
    }
    _check_alert(s, alert)
    alert["id"] = s.next_id("alert")
    alert["created_at"] = now()
    alert["_follower_ids"] = []
    if alert.get("dashboard_element_id") and not alert.get("investigative_content_id"):
        element = s.get("dashboard_element", alert["dashboard_element_id"])
        alert["investigative_content_type"] = "dashboard"
        alert["investigative_content_id"] = element.get("dashboard_id")
    return s.insert("alert", alert)


def replace_alert(s: Store, alert: dict[str, Any], body: dict[str, Any]) -> None:
    """PUT: every writable field replaced; followers and id stay."""
    kept = {k: v for k, v in alert.items() if k.startswith("_") or k in ("id", "created_at")}
    candidate = {"is_disabled": False, "is_public": False, **body, **kept}
    _check_alert(s, candidate)
    alert.clear()
    alert.update(candidate)
    s.touch("alert", alert["id"])


def patch_alert(s: Store, alert: dict[str, Any], body: dict[str, Any]) -> None:
    alert.update(body)
    s.touch("alert", alert["id"])


def follow_alert(s: Store, alert: dict[str, Any], user_id: str | None) -> None:
    if user_id is not None and user_id not in alert["_follower_ids"]:
        alert["_follower_ids"].append(user_id)
        s.touch("alert", alert["id"])


def render_alert(s: Store, alert: dict[str, Any], me: str | None) -> dict[str, Any]:
    values = {k: v for k, v in alert.items() if not k.startswith("_")}
    owner = s.get("user", alert.get("owner_id"))
    values["owner_display_name"] = display_name(owner) if owner else None
    values["followed"] = me in alert.get("_follower_ids", [])
    values["followable"] = True
    dash = s.get("dashboard", alert.get("investigative_content_id"))
    values["investigative_content_title"] = dash.get("title") if dash else None
    return sdk_types.render("Alert", values)


def frequency(cron: str) -> str:
    """How search_alerts' `frequency` names a cron: monthly, weekly, daily, hourly, minutes."""
    minute, hour, day, _month, weekday = (cron.split() + ["*"] * 5)[:5]
    if not minute.isdigit():
        return "minutes"
    if not hour.isdigit():
        return "hourly"
    if day != "*":
        return "monthly"
    if weekday != "*":
        return "weekly"
    return "daily"


@route("POST", "/alerts", "create_alert", kind="alert")
def serve_create_alert(call: Call) -> dict[str, Any]:
    alert = create_alert(
        call.store, _clean(call, "WriteAlert", optional=("owner_id",)), call.user_id
    )
    return render_alert(call.store, alert, call.user_id)


@route("GET", "/alerts/search", "search_alerts")
def serve_search_alerts(call: Call) -> list[dict[str, Any]]:
    rows = call.store.all("alert")
    if not call.flag("all_owners"):
        rows = [a for a in rows if a.get("owner_id") == call.user_id]
    disabled = call.flag("disabled")
    if disabled is not None:
        rows = [a for a in rows if bool(a.get("is_disabled")) == disabled]
    if call.query.get("frequency"):
        wanted = call.query["frequency"].lower()
        rows = [a for a in rows if frequency(a.get("cron") or "") == wanted]
    # The emulator never runs an alert: none has met its condition or has a last run.
    if (
        call.flag("condition_met")
        or call.query.get("last_run_start")
        or call.query.get("last_run_end")
    ):
        rows = []
    rows = sorted(rows, key=lambda a: int(a["id"]) if str(a["id"]).isdigit() else 0)
    group_by = call.query.get("group_by")
    if group_by == "dashboard":
        rows.sort(key=lambda a: str(a.get("investigative_content_id") or ""))
    elif group_by == "owner":
        rows.sort(key=lambda a: str(a.get("owner_id") or ""))
    elif group_by:
        raise LookerError(400, "group_by must be dashboard or owner")
    return [render_alert(call.store, a, call.user_id) for a in paginate(rows, call.query)]


@route("GET", "/alerts/{alert_id}", "get_alert")
def serve_get_alert(call: Call) -> dict[str, Any]:
    alert = require(call.store, "alert", call.params["alert_id"])
    return render_alert(call.store, alert, call.user_id)


@route("PUT", "/alerts/{alert_id}", "update_alert", kind="alert")
def serve_update_alert(call: Call) -> dict[str, Any]:
    alert = require(call.store, "alert", call.params["alert_id"])
    replace_alert(call.store, alert, _clean(call, "WriteAlert"))
    return render_alert(call.store, alert, call.user_id)


@route("PATCH", "/alerts/{alert_id}", "update_alert_field", kind="alert")
def serve_update_alert_field(call: Call) -> dict[str, Any]:
    alert = require(call.store, "alert", call.params["alert_id"])
    patch_alert(call.store, alert, _clean(call, "AlertPatch"))
    return render_alert(call.store, alert, call.user_id)


@route("DELETE", "/alerts/{alert_id}", "delete_alert")
def serve_delete_alert(call: Call) -> Any:
    alert = require(call.store, "alert", call.params["alert_id"])
    call.store.remove("alert", alert["id"])
    return NO_CONTENT


@route("POST", "/alerts/{alert_id}/follow", "follow_alert")
def serve_follow_alert(call: Call) -> Any:
    follow_alert(call.store, require(call.store, "alert", call.params["alert_id"]), call.user_id)
    return NO_CONTENT


@route("DELETE", "/alerts/{alert_id}/follow", "unfollow_alert")
def serve_unfollow_alert(call: Call) -> Any:
    alert = require(call.store, "alert", call.params["alert_id"])
    if call.user_id in alert["_follower_ids"]:
        alert["_follower_ids"].remove(call.user_id)
        call.store.touch("alert", alert["id"])
    return NO_CONTENT
