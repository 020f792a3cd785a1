"""A worker that is shutting down takes no new session: it passes the task on, so the
session is not claimed here only to be handed back (and counted resumed) moments later."""

import pytest

from restoration.config import RestorationConfig
from restoration.engine import run_session
from restoration.models import RestorationSession, SessionStatus
from restoration.workers import shutdown


@pytest.fixture
def stopping_worker():
    shutdown.stopping.set()
    yield
    shutdown.stopping.clear()


@pytest.fixture
def queued(monkeypatch) -> list[str]:
    calls: list[str] = []
    monkeypatch.setattr(RestorationSession, "enqueue", lambda self: calls.append(self.pk))
    return calls


@pytest.mark.django_db
def test_a_stopping_worker_leaves_a_pending_session_pending_and_queues_it_again(
    stopping_worker, queued
):
    config = RestorationConfig(destination_instance="http://127.0.0.1:9")
    session = RestorationSession.objects.create(
        destination_instance=config.destination_instance,
        destination_section="nowhere",
        config=config.model_dump(mode="json"),
    )
    run_session(session.pk)
    session.refresh_from_db()
    assert session.status == SessionStatus.PENDING
    assert session.resume_count == 0 and session.worker == ""
    assert queued == [session.pk]


@pytest.mark.django_db
def test_a_stopping_worker_does_not_queue_a_session_that_is_no_longer_pending(
    stopping_worker, queued
):
    session = RestorationSession.objects.create(
        destination_instance="http://127.0.0.1:9", status=SessionStatus.COMPLETED
    )
    run_session(session.pk)
    session.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED
    assert queued == []
