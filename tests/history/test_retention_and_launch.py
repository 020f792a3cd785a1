"""Retention and the launch of a point-in-time restore never cross: the check "a pending
or running restore needs this version" and the delete happen under the history lock that
a launch takes too, so a launch either comes first (its versions stay) or waits for
retention and is refused with the reason (never a restore that silently lacks objects).
And when a version is gone anyway, the engine says which one and why."""

from __future__ import annotations

import io
import threading
import time
from datetime import datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection, connections

from restoration.config import RestorationConfig
from restoration.models import (
    AuditEvent,
    DeadLetterItem,
    RestorationSession,
    SessionStatus,
    encode_blob,
)
from restoration.versions import (
    HISTORY_LOCK_KEY,
    ContentBlob,
    ContentVersion,
    PointInTimeError,
    restoring_points_in_time,
    retention_gap,
)
from tests.history.conftest import FAST

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_cluster(monkeypatch):
    monkeypatch.setattr("restoration.management.commands.restore.cluster_alive", lambda: False)


def older_version(d) -> ContentVersion:
    older, _latest = ContentVersion.objects.of_object(1, d.id).order_by("valid_from")
    return older


def trim_everything_superseded(d) -> int:
    """Retention as a schedule of 'keep 7 days' would run it 8 days after the second backup."""
    return ContentVersion.objects.apply_retention(7, now=d.second_run.taken_at + timedelta(days=8))


def launch(d) -> RestorationSession:
    config = RestorationConfig(destination_instance="https://source", as_of=d.between)
    return RestorationSession.objects.launch(config, destination_section="source")


def restore(*args: str) -> str:
    out = io.StringIO()
    call_command("restore", "--destination", "source", *args, "--wait", *FAST, stdout=out)
    return out.getvalue()


def waiting_for_the_history_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND objid = %s",
            [HISTORY_LOCK_KEY],
        )
        return cursor.fetchone()[0] > 0


def test_a_launch_while_retention_decides_waits_for_it_and_is_refused(
    changed_dashboard, monkeypatch
):
    """The launch comes between retention's read of the protected points in time and its
    delete (a hook there, no sleeps): it cannot commit before retention does, and then finds
    its point in time trimmed."""
    d = changed_dashboard
    older = older_version(d)
    outcome: dict[str, BaseException | RestorationSession] = {}

    def launch_elsewhere() -> None:
        try:
            outcome["launch"] = launch(d)
        except BaseException as exc:  # noqa: BLE001 - the test reads what happened
            outcome["launch"] = exc
        finally:
            connections.close_all()

    other = threading.Thread(target=launch_elsewhere)

    def read_then_let_a_launch_in() -> list:
        protected = restoring_points_in_time()
        assert protected == []  # nothing pending yet: the old version is not protected
        other.start()
        if connection.vendor == "postgresql":
            # The other connection blocks on the history lock until we commit.
            deadline = time.monotonic() + 20
            while not waiting_for_the_history_lock():
                assert time.monotonic() < deadline, "the launch never waited for the lock"
                assert other.is_alive(), f"the launch did not wait: {outcome}"
                time.sleep(0.01)
        else:
            # SQLite: our transaction holds the database's write lock since BEGIN
            # IMMEDIATE; the in-memory test database refuses the other writer at once
            # (a database file makes it wait on the busy timeout instead).
            other.join(timeout=30)
            assert isinstance(outcome["launch"], OperationalError), outcome
        return protected

    monkeypatch.setattr("restoration.versions.restoring_points_in_time", read_then_let_a_launch_in)
    assert trim_everything_superseded(d) >= 1
    other.join(timeout=30)
    assert not other.is_alive()

    assert not ContentVersion.objects.filter(pk=older.pk).exists()
    if connection.vendor != "postgresql":  # the operator tries again once it is refused
        with pytest.raises(PointInTimeError) as refused:
            launch(d)
        outcome["launch"] = refused.value
    assert isinstance(outcome["launch"], PointInTimeError), outcome
    assert "Retention on" in str(outcome["launch"])
    assert "no longer complete" in str(outcome["launch"])
    assert not RestorationSession.objects.exclude(kind="extract").exists()


def test_a_launch_before_retention_keeps_its_versions(changed_dashboard):
    d = changed_dashboard
    older = older_version(d)
    session = launch(d)
    assert session.status == SessionStatus.PENDING

    trim_everything_superseded(d)

    assert ContentVersion.objects.filter(pk=older.pk).exists()
    assert ContentBlob.objects.filter(hash=older.blob_hash).exists()
    event = AuditEvent.objects.get(action="apply_retention")
    assert [datetime.fromisoformat(t) for t in event.details["protected_points_in_time"]] == [
        d.between
    ]
    assert retention_gap(d.between) is None  # kept: that moment is still whole


def test_retention_reads_the_protected_points_inside_its_transaction(
    changed_dashboard, monkeypatch
):
    seen = []

    def inside() -> list:
        seen.append(connection.in_atomic_block)
        return []

    monkeypatch.setattr("restoration.versions.restoring_points_in_time", inside)
    trim_everything_superseded(changed_dashboard)
    assert seen == [True]


def test_a_trimmed_point_in_time_is_refused_by_the_command_with_the_reason(changed_dashboard):
    d = changed_dashboard
    trim_everything_superseded(d)
    with pytest.raises(CommandError, match=r"--as-of: Retention on .* no longer complete"):
        restore("--types", "dashboard", "--ids", d.id, "--as-of", d.between.isoformat())
    with pytest.raises(CommandError, match=r"--backup: Retention on"):
        restore("--types", "dashboard", "--ids", d.id, "--backup", str(d.first_run.pk))
    assert not RestorationSession.objects.exclude(kind="extract").exists()
    # The latest backup is whole: a point in time after the cutoff still launches.
    assert retention_gap(d.second_run.taken_at + timedelta(days=8)) is None


def test_a_session_resumed_after_retention_trimmed_it_fails_saying_why(changed_dashboard):
    d = changed_dashboard
    session = launch(d)
    session.finish(SessionStatus.FAILED, error="stopped before it began")
    trim_everything_superseded(d)  # no longer pending: not protected

    with pytest.raises(CommandError, match="Session failed: Retention on"):
        call_command("restore", "--resume", session.pk, "--wait", stdout=io.StringIO())
    session.refresh_from_db()
    assert session.status == SessionStatus.FAILED
    assert "no longer complete" in session.last_error
    assert session.total_items == 0  # nothing half-restored


@pytest.mark.parametrize("lost", ["version", "bytes"])
def test_a_version_gone_during_the_run_fails_its_item_naming_the_version(
    changed_dashboard, monkeypatch, lost
):
    """Anyway (a manual delete, drift): the item fails with the version and the reason,
    not a stack trace about an empty blob; the rest of the restore goes on."""
    d = changed_dashboard
    older = older_version(d)
    from restoration.engine import runner

    real_load = runner.load_blobs

    def lose_it_first(entries):
        if any(e.content_id == d.id for e in entries):
            if lost == "version":
                ContentVersion.objects.filter(pk=older.pk).delete()
            ContentBlob.objects.filter(hash=older.blob_hash).delete()
        return real_load(entries)

    monkeypatch.setattr(runner, "load_blobs", lose_it_first)
    with pytest.raises(CommandError, match="1 item"):
        restore("--types", "dashboard", "--as-of", d.between.isoformat())

    session = RestorationSession.objects.exclude(kind="extract").get()
    assert session.status == SessionStatus.COMPLETED_WITH_ERRORS
    assert session.error_count == 1 and session.total_items > 1
    letter = DeadLetterItem.objects.get(session=session)
    assert letter.content_id == d.id and letter.error_type == "VersionMissing"
    assert f"Dashboard {d.id}" in letter.error_message
    assert older.blob_hash[:12] in letter.error_message
    if lost == "version":
        assert "was deleted from the backup history" in letter.error_message
    else:
        assert f"backup run {older.run_id}" in letter.error_message
        assert "has no stored bytes" in letter.error_message
    assert "Traceback" not in letter.error_message


@pytest.mark.parametrize("option", ["--as-of", "--backup"])
def test_retention_between_the_commands_check_and_its_launch_is_refused_too(
    changed_dashboard, monkeypatch, option
):
    d = changed_dashboard
    real_problems = RestorationConfig.launch_problems

    def checked_then_trimmed(config):
        problems = real_problems(config)
        trim_everything_superseded(d)
        return problems

    monkeypatch.setattr(RestorationConfig, "launch_problems", checked_then_trimmed)
    point = d.between.isoformat() if option == "--as-of" else str(d.first_run.pk)
    with pytest.raises(CommandError, match=rf"{option}: Retention on .* no longer complete"):
        restore("--types", "dashboard", option, point)
    assert not RestorationSession.objects.exclude(kind="extract").exists()


def test_a_dead_letter_retry_of_a_trimmed_point_in_time_still_launches(changed_dashboard):
    """It restores the dead letters' own bytes: retention has nothing of it to refuse."""
    d = changed_dashboard
    origin = launch(d)
    origin.finish(SessionStatus.COMPLETED)
    letter = DeadLetterItem.objects.create(
        session=origin,
        content_id=d.id,
        content_type=1,
        content_data=encode_blob({"id": d.id, "title": d.title}),
        error_message="dashboard: Validation Failed",
        error_type="LookerValidationError",
        retry_count=0,
    )
    trim_everything_superseded(d)

    retry = DeadLetterItem.objects.filter(pk=letter.pk).retry()

    assert retry.kind == "dlq_retry" and retry.status == SessionStatus.PENDING
    assert retry.restoration_config.as_of == origin.restoration_config.as_of
