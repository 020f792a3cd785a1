"""The instance kept in a SQLite state file survives a restart; reset re-seeds."""

import pytest
import requests
from looker_sdk import error
from looker_sdk.sdk.api40 import models as m

from restoration.emulator import LookerEmulator
from tests.emulator.sdk_client import sdk_for


def test_the_instance_survives_a_restart(tmp_path):
    state = str(tmp_path / "looker.sqlite")
    first = LookerEmulator(state_file=state).start()
    sdk = sdk_for(first)
    dash = sdk.create_dashboard(m.WriteDashboard(title="Kept", folder_id="1"))
    port = first.port
    first.stop()

    second = LookerEmulator(state_file=state).start(port=port)
    try:
        # The SDK's token from before the restart is still good, as on a real instance.
        again = sdk.dashboard(dash.id)
        assert again.title == "Kept" and len(again.dashboard_layouts) == 1
        assert sdk.create_dashboard(m.WriteDashboard(title="Next", folder_id="1")).id == str(
            int(dash.id) + 1
        )
        with pytest.raises(error.SDKError):  # the title index was rebuilt from the file
            sdk.create_dashboard(m.WriteDashboard(title="Kept", folder_id="1"))
    finally:
        second.stop()


def test_a_state_file_is_seeded_only_once(tmp_path):
    state = str(tmp_path / "looker.sqlite")
    first = LookerEmulator(seed="demo", state_file=state)
    first.store.remove("dashboard", "1")
    first.store.flush()
    first.stop()
    second = LookerEmulator(seed="demo", state_file=state)
    try:
        assert second.store.get("dashboard", "1") is None
        assert len(second.store.all("dashboard")) == 29
    finally:
        second.stop()


def test_reset_returns_to_the_seed(looker_source):
    sdk = sdk_for(looker_source)
    sdk.delete_dashboard("1")
    looker_source.control("POST", "/_emulator/reset")
    assert sdk_for(looker_source).dashboard("1").id == "1"


def test_reset_can_empty_the_instance(looker_source):
    looker_source.control("POST", "/_emulator/reset", {"seed": "empty"})
    sdk = sdk_for(looker_source)
    assert sdk.all_dashboards() == []
    assert requests.get(f"{looker_source.base_url}/_emulator/counters").json()["writes"] == 0
