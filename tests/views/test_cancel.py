"""POST /sessions/<id>/cancel."""

from restoration.models import AuditEvent, SessionStatus
from tests.views.conftest import make_running_session, make_session


def test_it_requests_cancel_of_a_running_session(operator_client, operator):
    session = make_running_session()
    response = operator_client.post(f"/sessions/{session.pk}/cancel", follow=True)
    session.refresh_from_db()
    assert session.cancel_requested_at is not None
    assert "Cancel requested" in response.content.decode()
    event = AuditEvent.objects.get(action=AuditEvent.Action.CANCEL)
    assert event.user == operator and event.session == session


def test_it_cancels_a_pending_session_at_once(operator_client):
    session = make_session(status=SessionStatus.PENDING)
    operator_client.post(f"/sessions/{session.pk}/cancel")
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED


def test_it_explains_when_the_session_already_finished(operator_client):
    session = make_session(status=SessionStatus.COMPLETED)
    response = operator_client.post(f"/sessions/{session.pk}/cancel", follow=True)
    assert "cannot be cancelled" in response.content.decode()
    assert not AuditEvent.objects.exists()


def test_it_rejects_get(operator_client):
    session = make_running_session()
    assert operator_client.get(f"/sessions/{session.pk}/cancel").status_code == 405


def test_auditors_are_refused(auditor_client):
    session = make_running_session()
    assert auditor_client.post(f"/sessions/{session.pk}/cancel").status_code == 403
    session.refresh_from_db()
    assert session.cancel_requested_at is None
