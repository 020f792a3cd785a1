"""Restoration sessions: create, update, launch, claim, beat, cancel, resume, hand back, finish."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.brokers.orm import ORM as OrmBroker
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from restoration.config import RestorationConfig
from restoration.models import AuditEvent, RestorationSession, SessionKind, SessionStatus

pytestmark = pytest.mark.django_db

DEST = "https://dest.looker.example:19999"


def new_session(**fields) -> RestorationSession:
    return RestorationSession.objects.create(
        destination_instance=fields.pop("destination_instance", DEST), **fields
    )


def test_a_new_session_has_the_design_defaults():
    session = new_session()
    session.refresh_from_db()
    assert len(session.id) == 36
    assert session.status == SessionStatus.PENDING
    assert session.kind == SessionKind.RESTORE
    assert (session.total_items, session.success_count, session.error_count) == (0, 0, 0)
    assert session.completed_at is None


def test_update_restoration_session_writes_only_the_named_fields():
    session = new_session()
    stale_copy = RestorationSession.objects.get(pk=session.pk)
    session.add_counts(success_count=3)
    stale_copy.update_restoration_session(status=SessionStatus.RUNNING, worker="host:1")
    session.refresh_from_db()
    assert session.status == SessionStatus.RUNNING
    assert session.worker == "host:1"
    assert session.success_count == 3  # the stale copy did not overwrite the counter


def test_an_unknown_status_is_refused_in_python():
    session = new_session()
    with pytest.raises(ValueError, match="Invalid status: 'paused'"):
        session.update_restoration_session(status="paused")


def test_an_unknown_status_is_refused_by_the_database():
    session = new_session()
    with pytest.raises(IntegrityError), transaction.atomic():
        RestorationSession.objects.filter(pk=session.pk).update(status="paused")


def test_an_unknown_kind_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        new_session(kind="rollback")


def test_add_counts_adds_in_sql_without_losing_concurrent_increments():
    session = new_session()
    other_copy = RestorationSession.objects.get(pk=session.pk)
    session.add_counts(total_items=2, success_count=2)
    other_copy.add_counts(total_items=1, error_count=1, skipped_count=0)
    session.refresh_from_db()
    assert (session.total_items, session.success_count, session.error_count) == (3, 2, 1)


def test_claim_moves_pending_to_running_once():
    session = new_session()
    assert session.claim("host-a:1") is True
    assert session.status == SessionStatus.RUNNING and session.worker == "host-a:1"
    assert RestorationSession.objects.get(pk=session.pk).claim("host-b:2") is False
    session.refresh_from_db()
    assert session.worker == "host-a:1"


@pytest.mark.parametrize("status", [SessionStatus.FAILED, SessionStatus.CANCELLED])
def test_claim_refuses_a_finished_session_until_it_is_resumed(status):
    session = new_session(status=status, completed_at=timezone.now())
    assert session.claim("host:1") is False
    assert RestorationSession.objects.get(pk=session.pk).status == status
    assert session.resume() is True
    assert session.claim("host:1") is True
    assert session.completed_at is None


def test_beat_fails_once_the_session_is_no_longer_this_workers():
    session = new_session()
    session.claim("host:1")
    assert session.beat("host:1") is True
    assert session.beat("host:2") is False
    session.finish(SessionStatus.CANCELLED)
    assert session.beat("host:1") is False


def test_stale_finds_running_sessions_whose_heartbeat_stopped():
    now = timezone.now()
    quiet = new_session(status=SessionStatus.RUNNING, heartbeat_at=now - timedelta(minutes=10))
    new_session(status=SessionStatus.RUNNING, heartbeat_at=now)
    never_beat = new_session(status=SessionStatus.RUNNING, started_at=now - timedelta(hours=1))
    new_session(status=SessionStatus.FAILED, heartbeat_at=now - timedelta(hours=1))
    stale = RestorationSession.objects.stale(now - timedelta(minutes=5))
    assert set(stale) == {quiet, never_beat}


def test_request_cancel_cancels_a_pending_session_at_once():
    session = new_session()
    assert session.request_cancel() is True
    assert session.status == SessionStatus.CANCELLED
    assert session.completed_at is not None


def test_request_cancel_asks_a_running_worker_to_stop():
    session = new_session()
    session.claim("host:1")
    assert session.request_cancel() is True
    assert session.status == SessionStatus.RUNNING
    assert session.cancel_requested()


def test_request_cancel_of_a_finished_session_changes_nothing():
    session = new_session()
    session.finish(SessionStatus.COMPLETED)
    assert session.request_cancel() is False
    assert session.status == SessionStatus.COMPLETED
    assert not session.cancel_requested()


def test_finish_records_the_summary_and_the_error():
    session = new_session(metadata={"plan": {"per_type": {"1": 4}}})
    session.finish(SessionStatus.FAILED, error="destination unreachable", summary={"ok": 0})
    session.refresh_from_db()
    assert session.status == SessionStatus.FAILED
    assert session.last_error == "destination unreachable"
    assert session.metadata == {"plan": {"per_type": {"1": 4}}, "summary": {"ok": 0}}
    assert session.is_finished and session.is_resumable


def test_finish_refuses_a_status_that_is_not_final():
    with pytest.raises(ValueError, match="not a finished status"):
        new_session().finish(SessionStatus.RUNNING)


def take_queued_tasks(session_id: str) -> list[dict]:
    """This session's tasks in the django-q2 queue (ORM or Redis broker), removed from it.

    Redis outlives the test database, so a task left there would reach a later cluster.
    """
    broker = get_broker()
    if isinstance(broker, OrmBroker):
        return [q.task for q in OrmQ.objects.all() if q.task["args"] == (session_id,)]
    tasks = []
    for package in broker.connection.lrange(broker.list_key, 0, -1):
        task = SignedPackage.loads(package)
        if task["args"] == (session_id,):
            tasks.append(task)
            broker.connection.lrem(broker.list_key, 0, package)
    return tasks


def test_launch_records_a_pending_session_an_audit_event_and_queues_it(
    operator, django_capture_on_commit_callbacks
):
    config = RestorationConfig(destination_instance=DEST, dry_run=True, workers=2)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        session = RestorationSession.objects.launch(
            config, destination_section="destination", source_section="source", user=operator
        )
    assert callbacks == [session.enqueue]
    session.refresh_from_db()
    assert session.kind == SessionKind.DRY_RUN
    assert session.status == SessionStatus.PENDING
    assert session.launched_by == operator
    assert session.source_instance == DEST  # same-instance restore when no source is given
    assert session.restoration_config == config
    event = AuditEvent.objects.get(session=session)
    assert event.action == AuditEvent.Action.LAUNCH and event.user == operator
    queued = take_queued_tasks(session.pk)
    assert [t["func"] for t in queued] == ["restoration.tasks.run_session"]


def test_launch_queues_nothing_when_the_transaction_rolls_back(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            RestorationSession.objects.launch(
                RestorationConfig(destination_instance=DEST), destination_section="destination"
            )
            raise RuntimeError("form failed after launch")
    assert callbacks == []
    assert not RestorationSession.objects.exists()


def test_sessions_are_indexed_by_the_design_names():
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, "restoration_sessions")
    assert "idx_restoration_session_status" in indexes
    assert "idx_restoration_sess_started" in indexes


def test_request_cancel_writes_one_audit_event_for_whoever_asked(django_user_model):
    user = django_user_model.objects.create_user("ops")
    session = new_session()
    assert session.request_cancel(user) is True
    assert session.request_cancel(user) is False  # already cancelled: nothing to record
    event = AuditEvent.objects.get()
    assert (event.action, event.user, event.session) == (AuditEvent.Action.CANCEL, user, session)


def test_resume_writes_one_audit_event_however_often_it_is_asked():
    session = new_session(status=SessionStatus.FAILED, completed_at=timezone.now())
    assert session.resume() is True
    assert session.resume() is False
    event = AuditEvent.objects.get()
    assert (event.action, event.user) == (AuditEvent.Action.RESUME, None)


def test_hand_back_leaves_a_session_another_worker_runs_alone():
    session = new_session()
    session.claim("host:1")
    assert session.hand_back("host:2") is False
    assert session.hand_back("host:1") is True
    assert session.status == SessionStatus.PENDING and session.resume_count == 1


def test_finish_with_failed_items_is_completed_with_errors():
    session = new_session(status=SessionStatus.RUNNING, error_count=3)
    session.finish(SessionStatus.COMPLETED)
    session.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED_WITH_ERRORS
    assert session.is_finished and not session.is_resumable
    assert session.status_tone == "warn"
    clean = new_session(status=SessionStatus.RUNNING)
    clean.finish(SessionStatus.COMPLETED)
    clean.refresh_from_db()
    assert clean.status == SessionStatus.COMPLETED and clean.status_tone == "ok"


def test_one_writing_session_holds_a_destination_at_a_time():
    first = new_session(status=SessionStatus.PENDING, kind=SessionKind.RESTORE)
    second = new_session(status=SessionStatus.PENDING, kind=SessionKind.DLQ_RETRY)
    assert first.hold_destination()
    assert not second.hold_destination()
    second.refresh_from_db()
    assert second.waiting_for_id == first.pk and second.running_since is None
    # The same base URL spelled with a trailing slash is the same Looker.
    third = new_session(status=SessionStatus.PENDING, destination_instance=DEST + "/")
    assert not third.hold_destination()
    # A dry run never waits, and does not take the destination.
    dry = new_session(status=SessionStatus.PENDING, kind=SessionKind.DRY_RUN)
    assert dry.hold_destination()
    # Another Looker is free.
    elsewhere = new_session(
        status=SessionStatus.PENDING, destination_instance="https://other.example"
    )
    assert elsewhere.hold_destination()
    # The holder ends: the next takes the destination and stops waiting.
    first.finish(SessionStatus.FAILED, error="boom")
    assert second.hold_destination()
    second.refresh_from_db()
    assert second.waiting_for_id is None and second.running_since is not None


def test_a_handed_back_holder_keeps_its_destination_until_it_resumes():
    holder = new_session(status=SessionStatus.PENDING)
    assert holder.hold_destination()
    RestorationSession.objects.filter(pk=holder.pk).update(status=SessionStatus.RUNNING)
    RestorationSession.objects.filter(pk=holder.pk).update(status=SessionStatus.PENDING)
    other = new_session(status=SessionStatus.PENDING)
    assert not other.hold_destination()
    assert holder.hold_destination()  # the holder itself comes back in


def test_the_end_of_the_holder_queues_the_sessions_that_wait_for_it(
    django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(RestorationSession, "enqueue", lambda self: queued.append(self.pk))
    holder = new_session(status=SessionStatus.PENDING)
    waiting = new_session(status=SessionStatus.PENDING)
    assert holder.hold_destination() and not waiting.hold_destination()
    with django_capture_on_commit_callbacks(execute=True):
        holder.finish(SessionStatus.COMPLETED)
    assert queued == [waiting.pk]


def test_a_launch_token_launches_once(monkeypatch):
    monkeypatch.setattr(RestorationSession, "enqueue", lambda self: None)
    config = RestorationConfig(destination_instance=DEST)
    first = RestorationSession.objects.launch(
        config, destination_section="dest", launch_token="3f1c1d4e-0000-4000-8000-000000000001"
    )
    again = RestorationSession.objects.launch(
        config, destination_section="dest", launch_token="3f1c1d4e-0000-4000-8000-000000000001"
    )
    assert again.pk == first.pk
    assert RestorationSession.objects.count() == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LAUNCH).count() == 1
