"""POST /sessions/launch: pydantic validation next to fields, confirmation of real restores, launch."""

import re

import pytest

from restoration.content_types import ContentType
from restoration.models import AuditEvent, RestorationSession, SessionKind
from tests.views.conftest import make_content

VALID = {
    "destination": "staging",
    "source": "prod",
    "workers": "4",
    "rate_limit_per_second": "5",
    "rate_limit_per_minute": "200",
    "checkpoint_interval": "50",
    "max_retries": "3",
    "disable_schedules": "",
}


@pytest.fixture
def backup(db):
    for i in range(3):
        make_content(str(i + 1), ContentType.DASHBOARD, name=f"Dashboard {i + 1}")
    make_content("9", ContentType.LOOK, name="A look")


def test_a_dry_run_launches_at_once(operator_client, looker_ini_file, backup, operator):
    response = operator_client.post("/sessions/launch", {**VALID, "dry_run": "on"})
    session = RestorationSession.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/sessions/{session.pk}/"
    assert session.kind == SessionKind.DRY_RUN
    assert session.destination_instance == "https://staging.looker.example.com"
    assert session.destination_section == "staging" and session.source_section == "prod"
    assert session.config["workers"] == 4 and session.config["rate_limit_per_minute"] == 200
    assert session.launched_by == operator
    assert "TOPSECRET" not in str(session.config)


def test_a_real_restore_asks_for_confirmation_with_what_it_touches(
    operator_client, looker_ini_file, backup
):
    response = operator_client.post("/sessions/launch", {**VALID, "content_types": ["1"]})
    body = response.content.decode()
    assert response.status_code == 200
    assert "3 items" in body and "https://staging.looker.example.com" in body
    assert 'name="confirmed" value="yes"' in body
    assert not RestorationSession.objects.exists()


def confirmation_token(client, values: dict) -> str:
    """The token the confirmation page carries for its Restore button."""
    body = client.post("/sessions/launch", values).content.decode()
    found = re.search(r'name="launch_token" value="([0-9a-f-]{36})"', body)
    assert found, body
    return found.group(1)


def test_confirming_launches_the_restore(operator_client, looker_ini_file, backup):
    values = {**VALID, "content_types": ["1"]}
    token = confirmation_token(operator_client, values)
    response = operator_client.post(
        "/sessions/launch", {**values, "confirmed": "yes", "launch_token": token}
    )
    session = RestorationSession.objects.get()
    assert response.status_code == 302
    assert session.kind == SessionKind.RESTORE and session.config["content_types"] == [1]
    assert AuditEvent.objects.filter(session=session, action=AuditEvent.Action.LAUNCH).exists()


def test_keep_extra_is_asked_for_and_confirmed(operator_client, looker_ini_file, backup):
    response = operator_client.post("/sessions/launch", {**VALID, "keep_extra": "on"})
    assert (
        "tiles, filters, sections and items the backup lacks are kept" in response.content.decode()
    )
    for values in ({**VALID, "keep_extra": "on"}, VALID):
        token = confirmation_token(operator_client, values)
        operator_client.post(
            "/sessions/launch", {**values, "confirmed": "yes", "launch_token": token}
        )
    kept, exact = RestorationSession.objects.order_by("started_at")
    assert kept.config["keep_extra"] is True
    assert exact.config["keep_extra"] is False  # by default a restore ends equal to the backup


def test_verify_is_asked_for_and_confirmed(operator_client, looker_ini_file, backup):
    response = operator_client.post("/sessions/launch", {**VALID, "verify": "on"})
    assert "compared in full all the same" in response.content.decode()
    for values in ({**VALID, "verify": "on"}, VALID):
        token = confirmation_token(operator_client, values)
        operator_client.post(
            "/sessions/launch", {**values, "confirmed": "yes", "launch_token": token}
        )
    full, plain = RestorationSession.objects.order_by("started_at")
    assert full.config["verify"] is True
    assert plain.config["verify"] is False  # by default unchanged items are skipped


def test_edit_goes_back_to_the_filled_form(operator_client, looker_ini_file, backup):
    response = operator_client.post("/sessions/launch", {**VALID, "workers": "6", "edit": "yes"})
    assert 'name="workers" value="6"' in response.content.decode()
    assert not RestorationSession.objects.exists()


def test_pydantic_errors_appear_next_to_their_fields(operator_client, looker_ini_file, backup):
    response = operator_client.post(
        "/sessions/launch", {**VALID, "workers": "99", "max_retries": "many", "dry_run": "on"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert not RestorationSession.objects.exists()
    # Each message sits in the field group of its own field (Django's as_field_group).
    workers_group = body[
        body.index('for="id_workers"') : body.index('for="id_rate_limit_per_second"')
    ]
    assert "less than or equal to 32" in workers_group
    retries_group = body[body.index('for="id_max_retries"') :]
    assert "valid integer" in retries_group
    assert 'value="many"' in body  # nothing typed is lost


def test_a_reversed_date_range_is_refused_on_the_date_field(
    operator_client, looker_ini_file, backup
):
    response = operator_client.post(
        "/sessions/launch",
        {**VALID, "dry_run": "on", "date_from": "2026-02-01", "date_to": "2026-01-01"},
    )
    body = response.content.decode()
    assert "the start is after the end" in body.lower()
    assert not RestorationSession.objects.exists()


def test_unknown_content_ids_are_listed_back(operator_client, looker_ini_file, backup):
    response = operator_client.post(
        "/sessions/launch",
        {**VALID, "dry_run": "on", "content_types": ["1"], "content_ids": "1, 2, 404 405"},
    )
    body = response.content.decode()
    assert "Not in the backup: 404, 405" in body
    assert not RestorationSession.objects.exists()


def test_an_unknown_destination_is_refused(operator_client, looker_ini_file, backup):
    response = operator_client.post(
        "/sessions/launch", {**VALID, "destination": "nowhere", "dry_run": "on"}
    )
    assert "Select a valid choice" in response.content.decode()
    assert not RestorationSession.objects.exists()


def test_it_rejects_get(operator_client, looker_ini_file):
    assert operator_client.get("/sessions/launch").status_code == 405


def test_auditors_are_refused(auditor_client, looker_ini_file, backup):
    response = auditor_client.post("/sessions/launch", {**VALID, "dry_run": "on"})
    assert response.status_code == 403
    assert not RestorationSession.objects.exists()


def test_it_requires_csrf(operator, looker_ini_file, backup):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    assert client.post("/sessions/launch", {**VALID, "dry_run": "on"}).status_code == 403


def test_the_confirmation_counts_what_was_chosen_without_a_stray_comma(
    operator_client, looker_ini_file, backup
):
    body = operator_client.post(
        "/sessions/launch", {**VALID, "content_types": [str(int(ContentType.LOOK))]}
    ).content.decode()
    # One Look chosen: not the backup's totals, and no comma after the last type.
    assert 'data-testid="chosen-types">Content types: Look (1)</li>' in body
    assert "Restore 1 item into" in body


def test_the_confirmation_of_every_type_lists_what_each_holds(
    operator_client, looker_ini_file, backup
):
    body = operator_client.post("/sessions/launch", VALID).content.decode()
    assert "Content types: all — Look (1), Dashboard (3)</li>" in body


def test_the_confirmation_recalls_the_latest_dry_run_of_the_same_selection(
    operator_client, looker_ini_file, backup
):
    chosen = {**VALID, "content_types": ["1"]}
    operator_client.post("/sessions/launch", {**chosen, "dry_run": "on"})
    dry_run = RestorationSession.objects.get()
    dry_run.status, dry_run.created_count, dry_run.error_count = "completed", 1, 2
    dry_run.save()
    # Workers and rate limits do not change what a restore does: still the same selection.
    body = operator_client.post("/sessions/launch", {**chosen, "workers": "8"}).content.decode()
    assert f"/sessions/{dry_run.pk}/?plan=fail" in body
    assert "1 would be created" in body and "2 would fail" in body

    # Another selection has had no dry run.
    body = operator_client.post("/sessions/launch", VALID).content.decode()
    assert "No dry run of this selection yet" in body
    assert 'name="dry_run_first" value="yes"' in body


def test_dry_run_first_launches_the_same_selection_as_a_dry_run(
    operator_client, looker_ini_file, backup
):
    response = operator_client.post(
        "/sessions/launch", {**VALID, "content_types": ["1"], "dry_run_first": "yes"}
    )
    session = RestorationSession.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/sessions/{session.pk}/"
    assert session.kind == SessionKind.DRY_RUN and session.config["content_types"] == [1]


def test_the_confirmation_warns_when_no_task_cluster_runs(operator_client, looker_ini_file, backup):
    body = operator_client.post("/sessions/launch", VALID).content.decode()
    assert 'data-testid="no-cluster"' in body


def test_posting_one_confirmation_twice_starts_one_session(
    operator_client, looker_ini_file, backup
):
    values = {**VALID, "content_types": ["1"]}
    token = confirmation_token(operator_client, values)
    confirmed = {**values, "confirmed": "yes", "launch_token": token}
    first = operator_client.post("/sessions/launch", confirmed)
    again = operator_client.post("/sessions/launch", confirmed, follow=True)  # back + resubmit
    session = RestorationSession.objects.get()
    assert first["Location"] == f"/sessions/{session.pk}/"
    assert again.redirect_chain[-1][0] == f"/sessions/{session.pk}/"
    assert "This confirmation already launched this session." in again.content.decode()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LAUNCH).count() == 1


def test_each_confirmation_page_has_its_own_token(operator_client, looker_ini_file, backup):
    values = {**VALID, "content_types": ["1"]}
    tokens = {confirmation_token(operator_client, values) for _ in range(2)}
    assert len(tokens) == 2
    for token in tokens:
        operator_client.post(
            "/sessions/launch", {**values, "confirmed": "yes", "launch_token": token}
        )
    assert RestorationSession.objects.count() == 2


def test_a_confirmation_without_its_token_asks_again(operator_client, looker_ini_file, backup):
    response = operator_client.post(
        "/sessions/launch",
        {**VALID, "content_types": ["1"], "confirmed": "yes", "launch_token": "forged"},
    )
    assert response.status_code == 200
    assert 'name="launch_token"' in response.content.decode()
    assert not RestorationSession.objects.exists()


def test_the_confirmation_says_which_session_it_will_wait_for(
    operator_client, looker_ini_file, backup
):
    from restoration.models import DestinationLock, SessionStatus
    from tests.views.conftest import make_session

    running = make_session(status=SessionStatus.RUNNING, kind=SessionKind.RESTORE)
    assert DestinationLock.objects.take(running) is None
    body = operator_client.post("/sessions/launch", {**VALID, "content_types": ["1"]}).content
    text = body.decode()
    assert (
        f'Session <a href="/sessions/{running.pk}/">{running.pk}</a> is writing into this Looker'
        in text
    )
