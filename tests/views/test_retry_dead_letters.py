"""POST /dead-letters/retry: ticked rows, or all matching a filter, retried as one session."""

from restoration.models import RestorationSession, SessionKind
from tests.views.conftest import make_dead_letter, make_running_session


def test_it_retries_the_ticked_rows(operator_client):
    session = make_running_session()
    a, b, _c = (make_dead_letter(session, content_id=str(i)) for i in range(3))
    response = operator_client.post("/dead-letters/retry", {"ids": [a.pk, b.pk]})
    retry = RestorationSession.objects.get(kind=SessionKind.DLQ_RETRY)
    assert response["Location"] == f"/sessions/{retry.pk}/"
    assert retry.metadata["dead_letter_ids"] == sorted([a.pk, b.pk])


def test_it_retries_all_matching_the_filter(operator_client):
    session = make_running_session()
    wanted = [
        make_dead_letter(session, content_id=str(i), error_type="ConnectionError") for i in range(3)
    ]
    make_dead_letter(session, content_id="9", error_type="LookerValidationError")
    operator_client.post(
        "/dead-letters/retry",
        {"all_matching": "yes", "error_type": "ConnectionError", "ids": [wanted[0].pk]},
    )
    retry = RestorationSession.objects.get(kind=SessionKind.DLQ_RETRY)
    assert retry.metadata["dead_letter_ids"] == sorted(d.pk for d in wanted)


def test_an_empty_selection_is_explained(operator_client):
    make_dead_letter(make_running_session())
    response = operator_client.post("/dead-letters/retry", {}, follow=True)
    assert "No dead letters selected" in response.content.decode()
    assert not RestorationSession.objects.filter(kind=SessionKind.DLQ_RETRY).exists()


def test_auditors_are_refused(auditor_client):
    item = make_dead_letter(make_running_session())
    assert auditor_client.post("/dead-letters/retry", {"ids": [item.pk]}).status_code == 403
