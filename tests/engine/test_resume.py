"""Interrupted sessions resume from their checkpoints and restore every item exactly once."""

import time

import pytest

from restoration.content_types import ContentType
from restoration.engine import run_session
from restoration.engine.restorer import Restorer
from restoration.models import IDMapping, RestorationCheckpoint, RestorationSession
from restoration.workers.reaper import reap_stale_sessions
from tests.engine.conftest import fast_config, restore
from tests.fixtures_emulator import write_looker_ini

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def clean_run(backup, looker_source, emulator_factory, looker_destination, tmp_path, settings):
    """What a restore without interruption creates, on an emulator of its own."""
    clean = emulator_factory(seed=None)
    settings.LOOKER_INI = str(
        write_looker_ini(
            tmp_path / "all.ini", source=looker_source, destination=looker_destination, clean=clean
        )
    )
    session = restore(fast_config(looker_source, clean), destination="clean")
    return session, clean.counters()["creates"]


def test_a_cancelled_session_resumes_and_creates_each_object_once(
    clean_run, looker_source, looker_destination, monkeypatch
):
    baseline, creates = clean_run
    session = RestorationSession.objects.launch(
        fast_config(looker_source, looker_destination, workers=2),
        destination_section="destination",
        source_section="source",
    )
    # The operator presses Cancel while the 40th item is being restored. (From a worker
    # thread under the engine's database lock: the in-memory test database cannot take
    # writes from two threads at once, a file database can.)
    restore_item = Restorer.restore
    seen = {"n": 0, "at": None}

    def restore_and_cancel(self, entry, blob):
        seen["n"] += 1
        if seen["n"] == 40:
            with self.db_lock:
                assert RestorationSession.objects.get(pk=session.pk).request_cancel()
            seen["at"] = time.monotonic()
        return restore_item(self, entry, blob)

    monkeypatch.setattr(Restorer, "restore", restore_and_cancel)
    run_session(session.pk)
    stopped_after = time.monotonic() - seen["at"]
    session.refresh_from_db()
    assert session.status == "cancelled"
    assert stopped_after < 5  # honoured within seconds
    assert 0 < session.total_items < baseline.total_items

    monkeypatch.setattr(Restorer, "restore", restore_item)
    assert session.resume()
    run_session(session.pk)
    session.refresh_from_db()
    assert session.status == "completed", session.last_error
    assert session.resume_count == 1
    assert session.total_items == session.planned_items == baseline.total_items
    assert session.created_count == baseline.created_count
    assert looker_destination.counters()["creates"] == creates
    # The summary covers both runs, not just the resumed part.
    summary = session.metadata["summary"]
    assert sum(summary["content_type_breakdown"].values()) == baseline.total_items
    assert summary["error_breakdown"] == baseline.metadata["summary"]["error_breakdown"]
    by_type = session.metadata["summary_by_type"]
    assert sum(t.get("created", 0) for t in by_type.values()) == baseline.created_count


def test_a_crash_between_a_create_and_its_checkpoint_or_mapping_creates_nothing_twice(
    clean_run, looker_source, looker_destination
):
    _, creates = clean_run
    session = restore(fast_config(looker_source, looker_destination))
    assert looker_destination.counters()["creates"] == creates

    # The worker died after creating dashboards and looks: no checkpoint recorded them,
    # and for the dashboards not even the mapping was saved.
    RestorationCheckpoint.objects.filter(
        session=session, content_type__in=[ContentType.DASHBOARD, ContentType.LOOK]
    ).delete()
    IDMapping.objects.filter(content_type=ContentType.DASHBOARD).delete()
    RestorationSession.objects.filter(pk=session.pk).update(
        status="running", heartbeat_at=session.started_at, completed_at=None
    )

    reaped = reap_stale_sessions(stale_after=0)
    assert [s.pk for s in reaped] == [session.pk]
    session.refresh_from_db()
    assert session.status == "pending" and "stopped beating" in session.last_error
    run_session(session.pk)  # what the queued task does
    session.refresh_from_db()
    assert session.status == "completed"
    assert looker_destination.counters()["creates"] == creates
    assert IDMapping.objects.filter(content_type=ContentType.DASHBOARD).count() >= 10
