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
