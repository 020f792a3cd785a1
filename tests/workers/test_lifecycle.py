"""workers.lifecycle: one claim and one heartbeat for restore and backup sessions alike."""

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from restoration import tasks
from restoration.backup import ExtractionOptions, create_extraction_session
from restoration.config import RestorationConfig
from restoration.models import RestorationSession, SessionKind, SessionStatus
from restoration.workers import shutdown
from restoration.workers.lifecycle import Heartbeat, StopReason, worker_name

pytestmark = pytest.mark.django_db

UNREACHABLE = "http://127.0.0.1:9"


@pytest.fixture
def queued(monkeypatch) -> list[str]:
    calls: list[str] = []
    monkeypatch.setattr(RestorationSession, "enqueue", lambda self: calls.append(self.pk))
    return calls


@pytest.fixture
def stopping_worker():
    shutdown.stopping.set()
    yield
    shutdown.stopping.clear()


@pytest.fixture
def source_ini(tmp_path, settings):
    ini = tmp_path / "looker.ini"
    ini.write_text(f"[source]\nbase_url={UNREACHABLE}\nclient_id=x\nclient_secret=y\n")
    settings.LOOKER_INI = str(ini)


def pending(kind: str) -> RestorationSession:
    config = RestorationConfig(destination_instance=UNREACHABLE)
    return RestorationSession.objects.create(
        kind=kind,
        destination_instance=UNREACHABLE,
        destination_section="source",
        source_section="source",
        config=config.model_dump(mode="json"),
        metadata={"extraction": {}} if kind == SessionKind.EXTRACT else {},
    )


def run_task(session: RestorationSession) -> None:
    if session.kind == SessionKind.EXTRACT:
        tasks.run_extraction(session.pk)
    else:
        tasks.run_session(session.pk)


@pytest.mark.parametrize("kind", [SessionKind.RESTORE, SessionKind.EXTRACT])
def test_a_session_cancelled_while_pending_stays_cancelled_when_its_task_runs(kind, queued):
    session = pending(kind)
    assert session.request_cancel()
    run_task(session)
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    assert (session.worker, session.api_calls, session.last_error) == ("", 0, "")
    assert queued == []


@pytest.mark.parametrize("kind", [SessionKind.RESTORE, SessionKind.EXTRACT])
def test_a_stopping_worker_passes_a_pending_session_on_for_either_kind(
    kind, queued, stopping_worker
):
    session = pending(kind)
    run_task(session)
    session.refresh_from_db()
    assert session.status == SessionStatus.PENDING and session.worker == ""
    assert queued == [session.pk]


def test_a_backup_claims_with_the_same_worker_name_as_a_restore(source_ini, settings):
    # No beat during the run: a heartbeat thread's own connection cannot see this test's
    # uncommitted session row on PostgreSQL.
    settings.RESTORE_HEARTBEAT_SECONDS = 3600
    session = create_extraction_session("source", ExtractionOptions(max_retries=0))
    tasks.run_extraction(session.pk)  # the instance is unreachable: it fails, after a claim
    session.refresh_from_db()
    assert session.status == SessionStatus.FAILED
    assert session.worker == worker_name()  # host:pid:thread


def claimed(worker: str = "host:1:1") -> tuple[RestorationSession, Heartbeat]:
    session = pending(SessionKind.RESTORE)
    assert session.claim(worker)
    return session, Heartbeat(session, worker, threading.RLock())


def test_the_heartbeat_stops_the_run_for_a_cancel_request():
    session, heart = claimed()
    RestorationSession.objects.get(pk=session.pk).request_cancel()
    heart.check_in()
    assert heart.stop.is_set() and heart.reason == StopReason.CANCEL


def test_the_heartbeat_stops_the_run_for_a_worker_shutdown(stopping_worker):
    _, heart = claimed()
    heart.check_in()
    assert heart.stop.is_set() and heart.reason == StopReason.SHUTDOWN


def test_the_heartbeat_beats_when_due_and_keeps_running():
    session, heart = claimed()
    RestorationSession.objects.filter(pk=session.pk).update(
        heartbeat_at=timezone.now() - timedelta(minutes=5)
    )
    heart.last_beat = float("-inf")
    heart.check_in()
    session.refresh_from_db()
    assert timezone.now() - session.heartbeat_at < timedelta(seconds=30)
    assert not heart.stop.is_set() and heart.reason is None


def test_the_heartbeat_stops_when_another_worker_took_the_session_over():
    session, heart = claimed()
    RestorationSession.objects.filter(pk=session.pk).update(worker="other:2:3")
    heart.last_beat = float("-inf")
    heart.check_in()
    assert heart.reason == StopReason.TAKEN_OVER


def test_the_first_stop_reason_is_the_one_kept():
    _, heart = claimed()
    heart.stop_for(StopReason.CANCEL)
    heart.stop_for(StopReason.SHUTDOWN)
    assert heart.reason == StopReason.CANCEL


def test_no_cluster_means_not_alive(settings, tmp_path):
    from restoration.workers.clusters import cluster_alive

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    if settings.REDIS_URL:
        pytest.skip("the Redis pass shares one cache with the clusters of other tests")
    assert cluster_alive() is False
