"""Interrupted sessions resume from their checkpoints and restore every item exactly once."""

import time

import pytest
from django.db.models import F

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


def test_what_a_session_created_before_a_crash_counts_as_created_after_its_resume(
    clean_run, looker_source, looker_destination
):
    baseline, creates = clean_run
    session = restore(fast_config(looker_source, looker_destination))
    # The worker died after creating the looks (their mappings were saved with each
    # create) but before the checkpoint that records them, and with it their counters.
    checkpoint = RestorationCheckpoint.objects.get(session=session, content_type=ContentType.LOOK)
    looks = checkpoint.checkpoint_data["outcomes"]
    assert looks.get("created", 0) >= 5
    assert (
        IDMapping.objects.filter(content_type=ContentType.LOOK, created_by_session=session).count()
        == looks["created"]
    )
    checkpoint.delete()
    done = sum(looks.values())
    ok = done - looks.get("failed", 0)
    RestorationSession.objects.filter(pk=session.pk).update(
        status="running",
        heartbeat_at=session.started_at,
        completed_at=None,
        total_items=F("total_items") - done,
        success_count=F("success_count") - ok,
        created_count=F("created_count") - looks.get("created", 0),
        updated_count=F("updated_count") - looks.get("updated", 0),
        skipped_count=F("skipped_count") - looks.get("skipped", 0),
        error_count=F("error_count") - looks.get("failed", 0),
    )
    reap_stale_sessions(stale_after=0)
    run_session(session.pk)
    session.refresh_from_db()

    assert looker_destination.counters()["creates"] == creates  # nothing made twice
    assert session.created_count == baseline.created_count
    assert session.skipped_count == baseline.skipped_count
    by_type = session.metadata["summary_by_type"][str(ContentType.LOOK.value)]
    assert by_type.get("created") == looks["created"]
    # The design's rule: total = successful + failed, skipped items being successful.
    assert session.success_count == session.created_count + session.updated_count + (
        session.skipped_count
    )
    assert session.total_items == session.success_count + session.error_count
