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
    from restoration.engine import reaper

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
