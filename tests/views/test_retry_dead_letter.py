"""POST /dead-letters/<id>/retry: one dead letter becomes a dlq_retry session."""

from restoration.models import RestorationSession, SessionKind
from tests.views.conftest import make_dead_letter, make_running_session


def test_it_starts_a_retry_session_and_shows_its_progress(operator_client, operator):
    item = make_dead_letter(make_running_session())
    response = operator_client.post(f"/dead-letters/{item.pk}/retry")
    retry = RestorationSession.objects.get(kind=SessionKind.DLQ_RETRY)
    assert response.status_code == 302 and response["Location"] == f"/sessions/{retry.pk}/"
    assert retry.metadata["dead_letter_ids"] == [item.pk] and retry.launched_by == operator


def test_auditors_are_refused(auditor_client):
    item = make_dead_letter(make_running_session())
    assert auditor_client.post(f"/dead-letters/{item.pk}/retry").status_code == 403
    assert not RestorationSession.objects.filter(kind=SessionKind.DLQ_RETRY).exists()


def test_a_missing_dead_letter_is_404(operator_client):
    assert operator_client.post("/dead-letters/999/retry").status_code == 404
