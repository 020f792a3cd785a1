"""Scheduled plans: what they deliver (a dashboard, a Look or a query) mapped, owner
mapped by email, destinations kept; restored disabled across instances unless asked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from looker_sdk.sdk.api40 import models as m

from restoration.engine.api import ItemFailed, finds_lost_answer, retried_as_is
from restoration.engine.content.base import (
    CT,
    ContentKind,
    Outcome,
    body_dict,
    created_by_key,
    text_id,
    write_fields,
)
from restoration.engine.content.queries import check_model, tile_query_id

if TYPE_CHECKING:
    from restoration.engine.destination import DestinationState
    from restoration.engine.plan import PlanEntry
    from restoration.engine.restorer import Restorer


def plan_target(obj: dict[str, Any]) -> tuple[str, str | None]:
    """What a plan delivers: ("dashboard_id", "12"), ("look_id", ...), ..."""
    for name in ("dashboard_id", "look_id", "lookml_dashboard_id", "query_id"):
        if obj.get(name):
            return (name, text_id(obj[name]))
    return ("", None)


class ScheduledPlanKind(ContentKind):
    content_type = CT.SCHEDULED_PLAN
    label = "scheduled plan"
    stamp_fields = write_fields(m.WriteScheduledPlan) | {"updated_at"}

    def still_restorable(self, r: Restorer, data: dict[str, Any]) -> None:
        if data.get("query") and not (
            data.get("dashboard_id") or data.get("look_id") or data.get("lookml_dashboard_id")
        ):
            check_model(r, data["query"])

    def listing(self, state: DestinationState) -> list[dict[str, Any]]:
        return state.listed("all_scheduled_plans", all_users=True)

    def natural_key(self, obj: dict[str, Any]) -> Any:
        return (obj.get("name"), text_id(obj.get("user_id")), plan_target(obj))

    def search_by_key(self, key: Any) -> tuple[str, dict[str, Any]]:
        name, owner, (target, target_id) = key
        params: dict[str, Any] = {"all_users": True}
        if name:
            params["name"] = name
        if owner:
            params["user_id"] = owner
        if target in ("dashboard_id", "look_id", "lookml_dashboard_id"):
            params[target] = target_id
        return ("search_scheduled_plans", params)

    def restore(self, r: Restorer, entry: PlanEntry, data: dict[str, Any]) -> Outcome:
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
        owner = r.ref(CT.USER, data.get("user_id"), required=False)
        if owner:
            wanted["user_id"] = owner
        if data.get("dashboard_id"):
            wanted["dashboard_id"] = r.ref(CT.DASHBOARD, data["dashboard_id"])
        if data.get("look_id"):
            wanted["look_id"] = r.ref(CT.LOOK, data["look_id"])
        if r.config.schedules_disabled:
            wanted["enabled"] = False
        destinations = [
            {k: v for k, v in d.items() if k not in ("id", "scheduled_plan_id")}
            for d in data.get("scheduled_plan_destination") or []
        ]
        if destinations:
            wanted["scheduled_plan_destination"] = destinations
        key = self.natural_key(wanted)
        dest_id, deleted = r.locate(CT.SCHEDULED_PLAN, entry.content_id, key)
        if data.get("query_id") and not (
            data.get("dashboard_id") or data.get("look_id") or data.get("lookml_dashboard_id")
        ):
            if data.get("query"):
                check_model(r, data["query"])
                current = r.state.index(CT.SCHEDULED_PLAN).by_id.get(dest_id or "")
                wanted["query_id"] = (
                    text_id(current.get("query_id"))
                    if current and dest_id
                    else tile_query_id(r, data, data["query"])
                )
            elif r.same_instance:
                wanted["query_id"] = str(data["query_id"])
            else:
                raise ItemFailed(
                    f"{what} runs query {data['query_id']}, which the backup does not hold",
                    error_type="MissingReference",
                )
        current = r.state.index(CT.SCHEDULED_PLAN).by_id.get(dest_id or "")
        if current is not None and destinations:
            current = {
                **current,
                "scheduled_plan_destination": [
                    {k: v for k, v in d.items() if k not in ("id", "scheduled_plan_id")}
                    for d in current.get("scheduled_plan_destination") or []
                ],
            }
        outcome, _ = r.upsert(
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
        if r.config.schedules_disabled and data.get("enabled"):
            outcome.notes.append("restored disabled")
        return outcome


# -- writes whose answer was lost (restoration.engine.api) -----------------------------
finds_lost_answer("create_scheduled_plan")(created_by_key(CT.SCHEDULED_PLAN))
retried_as_is(
    "PATCH sets the fields it names (the destinations list as a whole)", "update_scheduled_plan"
)
