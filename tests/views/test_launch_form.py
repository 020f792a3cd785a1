"""GET /sessions/new: the launch form, instances as name + URL, counts per type, pre-fill."""

import re

from restoration.content_types import ContentType
from tests.views.conftest import make_content


def test_it_lists_instances_by_name_and_url_never_secrets(operator_client, looker_ini_file):
    response = operator_client.get("/sessions/new")
    body = response.content.decode()
    assert response.status_code == 200
    assert "prod — https://prod.looker.example.com" in body
    assert "staging — https://staging.looker.example.com" in body
    assert "TOPSECRET" not in body and "client_id" not in body


def test_it_shows_counts_from_the_backup(operator_client, looker_ini_file):
    make_content("1", ContentType.DASHBOARD)
    make_content("2", ContentType.DASHBOARD)
    body = operator_client.get("/sessions/new").content.decode()
    assert "Dashboard (2)" in body


def test_it_prefills_from_a_restore_this_link(operator_client, looker_ini_file):
    body = operator_client.get("/sessions/new?content_types=1&content_ids=42").content.decode()
    assert re.search(r'<input type="checkbox" name="content_types" value="1"[^>]*checked', body)
    assert not re.search(r'<input type="checkbox" name="content_types" value="2"[^>]*checked', body)
    assert re.search(r">\s*42</textarea>", body)


def test_it_explains_a_missing_looker_ini(operator_client, settings, tmp_path):
    settings.LOOKER_INI = str(tmp_path / "absent.ini")
    body = operator_client.get("/sessions/new").content.decode()
    assert "names no Looker instance" in body


def test_auditors_see_the_form_without_a_submit_button(auditor_client, looker_ini_file):
    body = auditor_client.get("/sessions/new").content.decode()
    assert "launching needs" in body
    assert ">Continue</button>" not in body


def test_the_demo_offers_a_faster_pace_for_its_local_emulators(
    operator_client, looker_ini_file, settings
):
    settings.DEMO_MODE = True
    body = operator_client.get("/sessions/new").content.decode()
    assert 'name="rate_limit_per_second" value="50"' in body
    assert 'name="rate_limit_per_minute" value="3000"' in body


def test_outside_the_demo_the_design_defaults_apply(operator_client, looker_ini_file, settings):
    settings.DEMO_MODE = False
    body = operator_client.get("/sessions/new").content.decode()
    assert 'name="rate_limit_per_minute" value="120"' in body


def test_the_source_starts_at_the_instance_the_latest_backup_came_from(
    operator_client, looker_ini_file
):
    from restoration.models import SessionKind, SessionStatus
    from tests.views.conftest import make_session

    make_session(kind=SessionKind.EXTRACT, status=SessionStatus.COMPLETED, source_section="prod")
    body = operator_client.get("/sessions/new").content.decode()
    source = body[body.index('name="source"') :]
    source = source[: source.index("</select>")]
    assert re.search(r'<option value="prod" selected>', source)
    destination = body[body.index('name="destination"') :]
    destination = destination[: destination.index("</select>")]
    assert "selected" not in destination.replace('value="" selected', "")  # still a choice


def test_without_a_backup_session_the_source_is_the_destination(operator_client, looker_ini_file):
    body = operator_client.get("/sessions/new").content.decode()
    source = body[body.index('name="source"') :]
    assert re.search(r'<option value="" selected>Same as the destination', source)


def test_it_warns_that_launches_wait_while_no_task_cluster_runs(operator_client, looker_ini_file):
    body = operator_client.get("/sessions/new").content.decode()
    assert 'data-testid="no-cluster"' in body and "No task cluster is running" in body


def test_it_says_nothing_about_the_cluster_while_one_runs(
    operator_client, looker_ini_file, monkeypatch
):
    monkeypatch.setattr(
        "restoration.views.launch.cluster_health", lambda: {"ok": True, "alive": 1, "clusters": []}
    )
    body = operator_client.get("/sessions/new").content.decode()
    assert 'data-testid="no-cluster"' not in body


def test_a_link_can_ask_for_objects_deleted_before_the_backup(operator_client, looker_ini_file):
    body = operator_client.get(
        "/sessions/new?content_types=5&content_ids=7&include_deleted=on"
    ).content.decode()
    assert re.search(r'<input type="checkbox" name="include_deleted"[^>]* checked>', body)
