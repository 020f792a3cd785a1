"""GET /audit/: who did what, newest first, filterable."""

from restoration.models import AuditEvent
from tests.views.conftest import make_session


def test_it_lists_events_with_who_when_and_what(
    auditor_client, operator, django_assert_max_num_queries
):
    session = make_session()
    AuditEvent.objects.create(
        user=operator,
        action=AuditEvent.Action.DELETE_DEAD_LETTERS,
        description="Deleted 3 selected dead letters",
        count=3,
    )
    AuditEvent.objects.create(
        user=operator,
        action=AuditEvent.Action.LAUNCH,
        session=session,
        description="Restore into X",
    )
    with django_assert_max_num_queries(8):
        body = auditor_client.get("/audit/").content.decode()
    assert "Deleted 3 selected dead letters" in body and "olivia" in body
    assert f"/sessions/{session.pk}/" in body


def test_it_filters_by_action(auditor_client, operator):
    AuditEvent.objects.create(
        user=operator, action=AuditEvent.Action.CLEAR_MAPPINGS, description="Cleared all mappings"
    )
    AuditEvent.objects.create(
        user=operator, action=AuditEvent.Action.LAUNCH, description="Restore into X"
    )
    body = auditor_client.get("/audit/?action=clear_mappings").content.decode()
    assert "Cleared all mappings" in body and "Restore into X" not in body


def test_outsiders_are_refused(outsider_client):
    assert outsider_client.get("/audit/").status_code == 403


def test_instances_are_named_and_deleted_dead_letters_listed(auditor_client, looker_ini_file):
    AuditEvent.objects.create(
        action=AuditEvent.Action.CANCEL,
        description="Cancelled restore into https://staging.looker.example.com",
    )
    AuditEvent.objects.create(
        action=AuditEvent.Action.DELETE_DEAD_LETTERS,
        description="Deleted all dead letters matching error_type=X",
        count=2,
        details={"items": [[1, 2, "50"], [2, 1, "7"]], "truncated": False},
    )
    body = auditor_client.get("/audit/").content.decode()
    assert (
        'Cancelled restore into staging <span class="instance-url muted">'
        "https://staging.looker.example.com</span>"
    ) in body
    assert "<summary>Which dead letters</summary>Look 50, Dashboard 7</details>" in body
