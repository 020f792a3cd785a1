"""Call and create counters, so tests can assert "no duplicate creates" and "no writes"."""

import requests
from looker_sdk.sdk.api40 import models as m


def test_calls_are_counted_per_route_template_and_verb(sdk, looker_destination):
    dash = sdk.create_dashboard(m.WriteDashboard(title="A", folder_id="1"))
    sdk.dashboard(dash.id)
    sdk.dashboard(dash.id)
    calls = looker_destination.counters()["calls"]
    assert calls["GET /api/4.0/dashboards/{dashboard_id}"] == 2
    assert calls["POST /api/4.0/dashboards"] == 1
    assert calls["POST /api/4.0/login"] == 1


def test_creates_count_objects_by_kind(sdk, looker_destination):
    dash = sdk.create_dashboard(m.WriteDashboard(title="A", folder_id="1"))
    sdk.create_dashboard_element(m.WriteDashboardElement(dashboard_id=dash.id, type="text"))
    creates = looker_destination.counters()["creates"]
    assert (
        creates["dashboard"],
        creates["dashboard_element"],
        creates["dashboard_layout_component"],
    ) == (1, 1, 1)


def test_writes_exclude_reads_login_and_logout(sdk, looker_destination):
    with sdk:
        sdk.all_dashboards()
        sdk.me()
    assert looker_destination.counters()["writes"] == 0
    sdk.create_group(m.WriteGroup(name="G"))
    assert looker_destination.counters()["writes"] == 1


def test_failed_writes_still_count_as_writes(sdk, looker_destination):
    sdk.me()
    response = requests.post(
        f"{looker_destination.base_url}/api/4.0/groups", json={}, headers=sdk.auth.authenticate({})
    )
    assert response.status_code == 422
    counters = looker_destination.counters()
    assert counters["writes"] == 1 and counters["creates"] == {}


def test_counters_reset_over_http(sdk, looker_destination):
    sdk.me()
    looker_destination.control("POST", "/_emulator/counters/reset")
    assert looker_destination.control("GET", "/_emulator/counters") == {
        "calls": {},
        "creates": {},
        "writes": 0,
        "lost_answers": {},
        "clashes": {},
    }


def test_seeding_does_not_count(looker_source):
    assert looker_source.counters() == {
        "calls": {},
        "creates": {},
        "writes": 0,
        "lost_answers": {},
        "clashes": {},
    }
