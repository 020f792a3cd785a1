"""The stale-session reaper: it resumes sessions whose worker stopped beating, only those."""

from datetime import timedelta

import pytest
from django.utils import timezone

from restoration import tasks
from restoration.models import RestorationSession

pytestmark = pytest.mark.django_db


def running(beat_seconds_ago: float) -> RestorationSession:
    return RestorationSession.objects.create(
        destination_instance="https://looker.example.com",
        status="running",
        worker="host:1:2",
        heartbeat_at=timezone.now() - timedelta(seconds=beat_seconds_ago),
    )


def test_it_fails_and_requeues_a_silent_session(settings, django_capture_on_commit_callbacks):
    settings.RESTORE_STALE_AFTER_SECONDS = 60
    silent, alive = running(600), running(5)
    with django_capture_on_commit_callbacks() as queued:
        assert tasks.reap_stale_sessions() == 1
    silent.refresh_from_db()
    alive.refresh_from_db()
    assert silent.status == "pending" and silent.resume_count == 1
    assert "stopped beating" in silent.last_error
    assert alive.status == "running"
    assert len(queued) == 1


def test_a_session_that_beats_in_the_meantime_is_left_alone(monkeypatch):
    from restoration.workers import reaper

    stale = running(600)
    original = RestorationSession.objects.stale

    def stale_then_beat(cutoff):
        found = list(original(cutoff))
        RestorationSession.objects.filter(pk=stale.pk).update(heartbeat_at=timezone.now())
        return found

    monkeypatch.setattr(RestorationSession.objects, "stale", stale_then_beat)
    assert reaper.reap_stale_sessions(stale_after=60) == []
    stale.refresh_from_db()
    assert stale.status == "running"


def test_a_session_cancelled_while_queued_never_runs(looker_ini):
    from restoration.engine import run_session

    session = RestorationSession.objects.create(
        destination_instance="https://looker.example.com", destination_section="destination"
    )
    assert session.request_cancel()
    run_session(session.pk)
    session.refresh_from_db()
    assert session.status == "cancelled" and session.worker == ""


def pending(queued_seconds_ago: float, **fields) -> RestorationSession:
    return RestorationSession.objects.create(
        destination_instance="https://looker.example.com",
        started_at=timezone.now() - timedelta(seconds=queued_seconds_ago),
        **fields,
    )


def test_a_session_whose_queued_task_was_lost_is_queued_again(
    settings, django_capture_on_commit_callbacks
):
    settings.RESTORE_PENDING_REQUEUE_SECONDS = 300
    lost = pending(900)
    resumed_long_ago = pending(
        9000, heartbeat_at=timezone.now() - timedelta(seconds=900), resume_count=1
    )
    just_queued = pending(10)
    just_resumed = pending(9000, heartbeat_at=timezone.now() - timedelta(seconds=10))
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert tasks.reap_stale_sessions() == 2
    assert len(queued) == 2
    for session in (lost, resumed_long_ago, just_queued, just_resumed):
        session.refresh_from_db()
        assert session.status == "pending"
    # Queued again means queued now: the next pass leaves them be.
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert tasks.reap_stale_sessions() == 0
    assert queued == []


def test_a_resumed_session_counts_as_queued_when_resumed(settings):
    settings.RESTORE_PENDING_REQUEUE_SECONDS = 300
    session = pending(9000, status="failed", heartbeat_at=timezone.now() - timedelta(hours=2))
    assert session.resume()
    from restoration.workers.reaper import requeue_unclaimed_sessions

    assert requeue_unclaimed_sessions() == []


def test_a_duplicate_task_for_one_session_does_no_work(
    looker_ini, looker_source, looker_destination, transactional_db
):
    """The reaper may queue a session whose first task is only late: both tasks run, the
    compare-and-set claim lets one of them restore and the other exit."""
    from restoration.content_types import ContentType as CT
    from restoration.engine import run_session
    from tests.engine.conftest import fast_config, take_backup

    take_backup("source")
    session = RestorationSession.objects.launch(
        fast_config(looker_source, looker_destination, content_types=[CT.GROUP]),
        destination_section="destination",
        source_section="source",
    )
    import threading

    threads = [threading.Thread(target=run_session, args=(session.pk,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    session.refresh_from_db()
    assert session.status == "completed", session.last_error
    groups = [g["name"] for g in looker_source.store.all("group")]
    created = looker_destination.counters()["creates"].get("group", 0)
    assert created == session.created_count > 0
    assert created <= len(groups)
    restored = [g["name"] for g in looker_destination.store.all("group")]
    assert len(restored) == len(set(restored))  # nobody restored twice
