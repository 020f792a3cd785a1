"""Injected faults: latency, rate limit, random 5xx, hangs, dropped connections and
deterministic rejections, set at start or at run time through /_emulator/faults."""

import threading
import time

import pytest
import requests
from looker_sdk import error
from looker_sdk.sdk.api40 import models as m

from tests.emulator.sdk_client import configure_model, sdk_for


def test_latency_slows_every_call(sdk, looker_destination):
    sdk.me()
    looker_destination.set_faults(latency_ms=60, jitter_ms=20)
    began = time.perf_counter()
    sdk.all_folders()
    assert time.perf_counter() - began >= 0.06


def test_faults_can_be_given_at_start(emulator_factory):
    emulator = emulator_factory(
        faults={"error_rate": 1.0, "error_statuses": [503], "route_pattern": "dashboards"}
    )
    sdk = sdk_for(emulator)
    assert sdk.me().id == "1"  # outside the route pattern
    with pytest.raises(error.SDKError) as exc:
        sdk.all_dashboards()
    assert "/503/" in exc.value.documentation_url


def test_the_rate_limit_answers_429_with_retry_after(looker_destination):
    looker_destination.set_faults(rate_limit_per_second=2, retry_after=1.5)
    answers = [requests.get(f"{looker_destination.base_url}/api/4.0/versions") for _ in range(5)]
    limited = [a for a in answers if a.status_code == 429]
    assert limited and limited[0].headers["Retry-After"] == "1.5"
    assert limited[0].json()["documentation_url"].endswith("/429/get/versions")


def test_a_hang_outlasts_the_client_timeout(looker_destination):
    sdk = sdk_for(looker_destination, timeout=1)
    sdk.me()
    looker_destination.set_faults(hang_rate=1.0, hang_seconds=3)
    began = time.perf_counter()
    with pytest.raises(error.SDKError) as exc:
        sdk.all_folders()
    assert time.perf_counter() - began < 2.5
    assert "timed out" in str(exc.value).lower()


def test_a_dropped_connection_gets_no_answer(looker_destination):
    looker_destination.set_faults(drop_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{looker_destination.base_url}/api/4.0/versions")


def test_a_dropped_write_is_not_applied(sdk, looker_destination):
    sdk.me()
    looker_destination.set_faults(drop_rate=1.0, route_pattern="POST")
    with pytest.raises(error.SDKError):
        sdk.create_folder(m.CreateFolder(name="Lost", parent_id="1"))
    looker_destination.set_faults(clear=True)
    assert sdk.search_folders(name="Lost") == []


def test_rejections_refuse_matching_objects_only(sdk, looker_destination):
    looker_destination.set_faults(
        rejections=[{"kind": "dashboard", "field": "title", "pattern": "^Bad", "status": 422}]
    )
    with pytest.raises(error.SDKError) as exc:
        sdk.create_dashboard(m.WriteDashboard(title="Bad one", folder_id="1"))
    assert exc.value.errors[0].field == "title"
    assert sdk.create_dashboard(m.WriteDashboard(title="Good one", folder_id="1")).id


def test_rejections_can_answer_any_status(sdk, looker_destination):
    looker_destination.set_faults(
        rejections=[{"kind": "look", "field": "title", "pattern": "x", "status": 500}]
    )
    configure_model(sdk)
    query = sdk.create_query(m.WriteQuery(model="thelook", view="users"))
    with pytest.raises(error.SDKError) as exc:
        sdk.create_look(m.WriteLookWithQuery(title="xx", folder_id="1", query_id=query.id))
    assert "/500/post/looks" in exc.value.documentation_url


def test_the_control_api_sets_and_clears_faults_over_http(looker_destination):
    settings = looker_destination.control(
        "POST", "/_emulator/faults", {"error_rate": 1, "error_statuses": [502]}
    )
    assert settings["error_rate"] == 1
    assert requests.get(f"{looker_destination.base_url}/api/4.0/versions").status_code == 502
    looker_destination.control("POST", "/_emulator/faults", {"clear": True})
    assert looker_destination.control("GET", "/_emulator/faults")["error_rate"] == 0
    assert requests.get(f"{looker_destination.base_url}/api/4.0/versions").status_code == 200


def test_unknown_fault_settings_are_refused(looker_destination):
    response = requests.post(
        f"{looker_destination.base_url}/_emulator/faults", json={"lattency_ms": 5}
    )
    assert response.status_code == 400
    assert "lattency_ms" in response.json()["message"]


def test_a_hanging_call_does_not_block_the_others(looker_destination):
    looker_destination.set_faults(
        hang_rate=1.0, hang_seconds=2, route_pattern="GET /api/4.0/versions"
    )
    timeouts = []

    def call_the_hanging_route() -> None:
        try:
            requests.get(f"{looker_destination.base_url}/api/4.0/versions", timeout=0.5)
        except requests.Timeout as exc:
            timeouts.append(exc)

    worker = threading.Thread(target=call_the_hanging_route, daemon=True)
    began = time.perf_counter()
    worker.start()
    assert sdk_for(looker_destination).me().id == "1"
    assert time.perf_counter() - began < 1.5
    worker.join(timeout=3)
    assert timeouts
