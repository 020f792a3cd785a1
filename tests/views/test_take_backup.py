"""POST /backup/take: start a backup (an extract session) of one looker.ini instance."""

import pytest
from django_q.models import OrmQ

from restoration.content_types import ContentType
from restoration.models import AuditEvent, RestorationSession, SessionKind, SessionStatus
from restoration.views.extract import take_backup

VALID = {
    "instance": "prod",
    "types": [str(int(ContentType.DASHBOARD)), str(int(ContentType.FOLDER))],
    "workers": "2",
    "incremental": "on",
    "rate_limit_per_second": "5",
    "rate_limit_per_minute": "200",
}


def test_it_records_a_pending_extract_session_and_opens_its_page(
    operator_client, operator, looker_ini_file, django_capture_on_commit_callbacks, settings
):
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post("/backup/take", VALID)
    session = RestorationSession.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/sessions/{session.pk}/"
    assert session.kind == SessionKind.EXTRACT and session.status == SessionStatus.PENDING
    assert session.source_section == "prod"
    assert session.source_instance == "https://prod.looker.example.com"
    assert session.launched_by == operator
    options = session.metadata["extraction"]
    # Stored in dependency order, whatever order the boxes were ticked in.
    assert options["types"] == [int(ContentType.FOLDER), int(ContentType.DASHBOARD)]
    assert options["workers"] == 2 and options["incremental"] is True
    assert (options["rate_limit_per_second"], options["rate_limit_per_minute"]) == (5, 200)
    assert AuditEvent.objects.filter(session=session, user=operator).exists()
    if not settings.Q_CLUSTER.get("redis"):
        assert OrmQ.objects.count() == 1  # queued for a worker
    page = operator_client.get(response["Location"]).content.decode()
    assert "Backup of prod" in page and "queued" in page


def test_no_type_ticked_backs_up_every_type(operator_client, looker_ini_file):
    from restoration.backup.readers import EXTRACTABLE_TYPES

    operator_client.post("/backup/take", {**VALID, "types": []})
    session = RestorationSession.objects.get()
    assert session.metadata["extraction"]["types"] == [int(t) for t in EXTRACTABLE_TYPES]


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("workers", "0", "greater than or equal to 1"),
        ("workers", "99", "less than or equal to 32"),
        ("rate_limit_per_minute", "nope", "Enter a whole number"),
        ("instance", "nowhere", "Select a valid choice"),
    ],
)
def test_bad_input_is_reported_next_to_its_field_and_nothing_starts(
    operator_client, looker_ini_file, field, value, message
):
    response = operator_client.post("/backup/take", {**VALID, field: value})
    body = response.content.decode()
    assert response.status_code == 200
    assert RestorationSession.objects.count() == 0
    error_list = body.index(f'id="id_{field}_error"')
    assert message in body[error_list : error_list + 300]
    assert 'value="200"' in body or field == "rate_limit_per_minute"  # what was typed stays


def test_it_is_a_state_change_for_run_extract_only(auditor_client, looker_ini_file):
    assert take_backup.state_changing and take_backup.permission == "restoration.run_extract"
    assert auditor_client.post("/backup/take", VALID).status_code == 403
    assert auditor_client.get("/backup/take").status_code == 405
    assert RestorationSession.objects.count() == 0
