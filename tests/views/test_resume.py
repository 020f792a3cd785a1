"""POST /sessions/<id>/resume."""

from django.utils import timezone

from restoration.models import AuditEvent, SessionStatus
from tests.views.conftest import make_running_session, make_session


def test_it_queues_a_failed_session_again(
    operator_client, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(
        "restoration.models.RestorationSession.enqueue", lambda self: queued.append(self.pk)
    )
    session = make_session(status=SessionStatus.FAILED, completed_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(f"/sessions/{session.pk}/resume", follow=True)
    session.refresh_from_db()
    assert session.status == SessionStatus.PENDING and session.resume_count == 1
    assert queued == [session.pk]
    assert "Resumed" in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.RESUME, session=session).exists()


def test_it_refuses_to_resume_a_running_session(operator_client):
    session = make_running_session()
    response = operator_client.post(f"/sessions/{session.pk}/resume", follow=True)
    assert "cannot be resumed" in response.content.decode()
    session.refresh_from_db()
    assert session.status == SessionStatus.RUNNING and session.resume_count == 0


def test_auditors_are_refused(auditor_client):
    session = make_session(status=SessionStatus.CANCELLED)
    assert auditor_client.post(f"/sessions/{session.pk}/resume").status_code == 403
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
