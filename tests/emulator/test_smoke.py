"""The emulator answers the real looker_sdk: login, CRUD and Looker-shaped errors."""

import looker_sdk
import pytest
from looker_sdk import error
from looker_sdk.sdk.api40 import models as m

from tests.emulator.sdk_client import sdk_for


def test_it_serves_the_demo_instance_to_the_sdk(looker_source):
    sdk = sdk_for(looker_source)
    assert sdk.me().id == "1"
    assert len(sdk.all_dashboards()) == 29  # 30 seeded, one of them in the trash


def test_it_creates_a_dashboard_with_a_default_layout(looker_destination):
    sdk = sdk_for(looker_destination)
    dash = sdk.create_dashboard(m.WriteDashboard(title="Sales", folder_id="1"))
    assert dash.id == "1"
    assert [lay.type for lay in dash.dashboard_layouts] == ["newspaper"]
    assert looker_destination.counters()["creates"] == {
        "dashboard": 1,
        "content_metadata": 1,
        "dashboard_layout": 1,
    }


def test_it_answers_a_duplicate_title_with_looker_validation_error(looker_destination):
    sdk = sdk_for(looker_destination)
    sdk.create_dashboard(m.WriteDashboard(title="Sales", folder_id="1"))
    with pytest.raises(error.SDKError) as exc:
        sdk.create_dashboard(m.WriteDashboard(title="Sales", folder_id="1"))
    assert exc.value.errors[0].code == "already_exists"
    assert "/422/post/dashboards" in exc.value.documentation_url


def test_two_emulators_run_side_by_side(looker_source, looker_destination):
    assert looker_source.base_url != looker_destination.base_url
    assert len(sdk_for(looker_source).all_looks()) > len(sdk_for(looker_destination).all_looks())


def test_init40_reads_its_settings_from_the_environment(looker_destination, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no looker.ini here: the environment is enough
    monkeypatch.setenv("LOOKERSDK_BASE_URL", looker_destination.base_url)
    monkeypatch.setenv("LOOKERSDK_CLIENT_ID", looker_destination.client_id)
    monkeypatch.setenv("LOOKERSDK_CLIENT_SECRET", looker_destination.client_secret)
    monkeypatch.setenv("LOOKERSDK_VERIFY_SSL", "false")
    sdk = looker_sdk.init40()
    assert sdk.me().display_name == "Looker API"
