"""Alerts on the emulator through the real SDK: the spec's rules, search, following.

looker-sdk 26.12's `create_alert`/`update_alert` fail to serialise their nested models
before sending, so clients (and the engine) send the same body as JSON with `sdk.post` /
`sdk.put`; the first test pins that, so the workaround can go when the SDK is fixed.
"""

from __future__ import annotations

from typing import Any

import pytest
from looker_sdk import error
from looker_sdk.sdk.api40 import models as m

from tests.emulator.sdk_client import sdk_for


@pytest.fixture
def tile(sdk):
    dash = sdk.create_dashboard(m.WriteDashboard(title="Inventory", folder_id="1"))
    return sdk.create_dashboard_element(
        m.WriteDashboardElement(dashboard_id=dash.id, type="text", title_text="On hand")
    )


def alert_body(tile_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "dashboard_element_id": tile_id,
        "cron": "0 5 * * *",
        "comparison_type": "LESS_THAN",
        "threshold": 1000,
        "field": {"title": "Number on Hand", "name": "inventory_items.number_on_hand"},
        "destinations": [{"destination_type": "EMAIL", "email_address": "ops@example.com"}],
        **changes,
    }


def create(sdk, body: dict[str, Any]) -> m.Alert:
    return sdk.post("/alerts", m.Alert, body=body)


def rejected_fields(sdk, body: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(error.SDKError) as exc:
        create(sdk, body)
    return [(e.field, e.code) for e in exc.value.errors or []]


def test_the_sdks_create_alert_cannot_send_its_nested_models(sdk, tile):
    body = m.WriteAlert(
        comparison_type=m.ComparisonType.LESS_THAN,
        cron="0 5 * * *",
        destinations=[m.AlertDestination(destination_type=m.DestinationType.EMAIL)],
        field=m.AlertField(title="On hand", name="inventory_items.number_on_hand"),
        owner_id="1",
        threshold=1,
        dashboard_element_id=tile.id,
    )
    with pytest.raises(AttributeError):
        sdk.create_alert(body)
    assert sdk.search_alerts(all_owners=True) == []


def test_rule_alert_required_fields(sdk, tile):
    alert = create(sdk, alert_body(tile.id))
    assert alert.owner_id == "1" and alert.field.name == "inventory_items.number_on_hand"
    assert alert.investigative_content_id == tile.dashboard_id
    body = alert_body(tile.id)
    for name in ("field", "destinations", "comparison_type", "threshold", "cron"):
        body.pop(name)
    assert sorted(rejected_fields(sdk, body)) == [
        ("comparison_type", "missing"),
        ("cron", "missing"),
        ("destinations", "missing"),
        ("field", "missing"),
        ("threshold", "missing"),
    ]
    assert len(sdk.search_alerts(all_owners=True)) == 1


def test_rule_alert_comparison_type_is_one_of_the_documented(sdk, tile):
    assert rejected_fields(sdk, alert_body(tile.id, comparison_type="ABOVE")) == [
        ("comparison_type", "invalid")
    ]
    assert create(sdk, alert_body(tile.id, comparison_type="CHANGES_BY")).comparison_type


@pytest.mark.parametrize(
    ("cron", "accepted"),
    [
        ("0 5 * * *", True),
        ("*/15 * * * *", True),
        ("0,30 9 * * 1-5", True),
        ("*/10 * * * *", False),
        ("* * * * *", False),
        ("0,50 * * * *", False),
        ("0 5 * *", False),
    ],
)
def test_rule_alert_cron_at_least_15_minutes(sdk, tile, cron, accepted):
    if accepted:
        assert create(sdk, alert_body(tile.id, cron=cron)).cron == cron
    else:
        assert rejected_fields(sdk, alert_body(tile.id, cron=cron)) == [("cron", "invalid")]
        assert sdk.search_alerts(all_owners=True) == []


def test_rule_alert_destinations_of_one_type(sdk, tile):
    mixed = [
        {"destination_type": "EMAIL", "email_address": "ops@example.com"},
        {"destination_type": "ACTION_HUB", "action_hub_integration_id": "1::slack"},
    ]
    assert rejected_fields(sdk, alert_body(tile.id, destinations=mixed)) == [
        ("destinations", "invalid")
    ]


def test_rule_alert_dashboard_element_must_exist(sdk, tile):
    assert rejected_fields(sdk, alert_body("999")) == [("dashboard_element_id", "missing")]


def test_rule_alert_owner_not_checked(sdk, tile):
    assert create(sdk, alert_body(tile.id, owner_id="4242")).owner_id == "4242"


def test_rule_alert_update_replaces_required_fields(sdk, tile):
    alert = create(sdk, alert_body(tile.id, custom_title="Low stock"))
    body = alert_body(tile.id, owner_id="1", threshold=5)
    updated = sdk.put(f"/alerts/{alert.id}", m.Alert, body=body)
    assert updated.threshold == 5 and updated.custom_title is None
    with pytest.raises(error.SDKError) as exc:
        sdk.put(f"/alerts/{alert.id}", m.Alert, body=alert_body(tile.id))
    assert [(e.field, e.code) for e in exc.value.errors] == [("owner_id", "missing")]
    assert sdk.get_alert(alert.id).threshold == 5


def test_rule_alert_patch_only_select_fields(sdk, tile):
    alert = create(sdk, alert_body(tile.id))
    sdk.update_alert_field(alert.id, m.AlertPatch(is_disabled=True, disabled_reason="Copied"))
    sdk.patch(f"/alerts/{alert.id}", m.Alert, body={"cron": "* * * * *", "threshold": 7})
    again = sdk.get_alert(alert.id)
    assert (again.is_disabled, again.disabled_reason) == (True, "Copied")
    assert (again.cron, again.threshold) == ("0 5 * * *", 7)


def test_rule_alert_search_own_unless_all_owners(sdk, tile):
    mine = create(sdk, alert_body(tile.id))
    create(sdk, alert_body(tile.id, owner_id="4242", is_disabled=True))
    assert [a.id for a in sdk.search_alerts()] == [mine.id]
    assert len(sdk.search_alerts(all_owners=True)) == 2
    assert len(sdk.search_alerts(all_owners=True, disabled=True)) == 1
    assert len(sdk.search_alerts(all_owners=True, frequency="daily")) == 2
    assert len(sdk.search_alerts(all_owners=True, limit=1, offset=1)) == 1
    assert sdk.search_alerts(all_owners=True, condition_met=True) == []


def test_rule_alert_follow_is_per_caller(sdk, tile, looker_destination):
    alert = create(sdk, alert_body(tile.id))
    user = sdk.create_user(m.WriteUser(first_name="Fran", last_name="Follower"))
    assert sdk.get_alert(alert.id).followed is False
    sdk.follow_alert(alert.id)
    assert sdk.get_alert(alert.id).followed is True
    other = sdk_for(looker_destination)
    other.auth.login_user(user.id)
    assert other.get_alert(alert.id).followed is False
    other.follow_alert(alert.id)
    other.unfollow_alert(alert.id)
    other.follow_alert(alert.id)
    other.auth.logout()
    stored = looker_destination.store.get("alert", alert.id)
    assert stored["_follower_ids"] == ["1", user.id]


def test_rule_login_user_runs_as_that_user(sdk, looker_destination):
    user = sdk.create_user(m.WriteUser(first_name="Sue", last_name="Do"))
    other = sdk_for(looker_destination)
    other.auth.login_user(user.id)
    assert other.me().id == user.id
    other.auth.logout()
    with pytest.raises(error.SDKError):
        sdk_for(looker_destination).auth.login_user("4242")


def test_deleting_an_alert(sdk, tile):
    alert = create(sdk, alert_body(tile.id))
    sdk.delete_alert(alert.id)
    with pytest.raises(error.SDKError):
        sdk.get_alert(alert.id)


def test_the_demo_has_alerts_with_followers(demo_sdk, looker_source):
    alerts = demo_sdk.search_alerts(all_owners=True)
    assert len(alerts) == 8
    assert all(a.dashboard_element_id and a.owner_id for a in alerts)
    assert sum(len(a["_follower_ids"]) for a in looker_source.store.all("alert")) >= 8
