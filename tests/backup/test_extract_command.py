"""manage.py extract and the django-q2 task that the web UI queues."""

import io

import pytest
from django.core.management import CommandError, call_command

from restoration import tasks
from restoration.backup import ExtractionOptions, create_extraction_session, launch_extraction
from restoration.backup.run import Extraction
from restoration.content_types import ContentType
from restoration.models import AuditEvent, ContentItem, RestorationSession, SessionStatus

pytestmark = pytest.mark.django_db

FAST = ["--rate-per-second", "10000", "--rate-per-minute", "600000"]


def test_the_command_backs_up_the_chosen_types_and_reports(source_ini):
    out = io.StringIO()
    call_command("extract", "--instance", "source", "--types", "dashboard,look", *FAST, stdout=out)
    text = out.getvalue()
    assert "Dashboards" in text and "Looks" in text
    assert "completed" in text
    types = set(ContentItem.objects.values_list("content_type", flat=True))
    assert types == {ContentType.DASHBOARD, ContentType.LOOK}


def test_the_command_names_an_unknown_type(source_ini):
    with pytest.raises(CommandError, match="unknown content type 'dashbord'"):
        call_command("extract", "--instance", "source", "--types", "dashbord")


def test_the_command_names_an_unknown_instance(source_ini):
    with pytest.raises(CommandError, match="'prod' is not a section"):
        call_command("extract", "--instance", "prod")


def test_the_command_fails_when_objects_could_not_be_read(source_ini, looker_source):
    looker_source.set_faults(
        error_rate=1, error_statuses=[500], route_pattern=r"^GET /api/4\.0/boards/\{board_id\}$"
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="run the command again"):
        call_command(
            "extract",
            "--instance",
            "source",
            "--types",
            "board",
            "--max-retries",
            "0",
            *FAST,
            stdout=io.StringIO(),
            stderr=err,
        )
    assert "Board" in err.getvalue()


def test_the_web_ui_queues_an_extraction_for_a_worker(
    source_ini, operator, django_capture_on_commit_callbacks
):
    options = ExtractionOptions(types=[ContentType.BOARD], rate_limit_per_second=1000)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        session = launch_extraction("source", options, user=operator)
    assert len(callbacks) == 1
    assert session.status == SessionStatus.PENDING
    assert AuditEvent.objects.filter(session=session, user=operator).exists()

    tasks.run_extraction(session.pk)  # what the django-q2 worker runs

    session.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED
    assert session.launched_by == operator
    assert ContentItem.objects.filter(content_type=ContentType.BOARD).count() == (
        session.created_count
    )


def test_a_finished_extraction_is_not_run_twice(source_ini):
    options = ExtractionOptions(types=[ContentType.BOARD], rate_limit_per_second=1000)
    session = launch_extraction("source", options)
    tasks.run_extraction(session.pk)
    calls = RestorationSession.objects.get(pk=session.pk).api_calls
    tasks.run_extraction(session.pk)
    assert RestorationSession.objects.get(pk=session.pk).api_calls == calls


def test_a_requeued_extraction_goes_to_the_extraction_task(source_ini, monkeypatch):
    queued = []
    monkeypatch.setattr(
        "django_q.tasks.async_task", lambda func, *args, **kw: queued.append((func, args))
    )
    session = create_extraction_session("source", ExtractionOptions())
    session.enqueue()  # what the stale-session reaper and the shutdown hand-back call
    assert queued == [("restoration.tasks.run_extraction", (session.pk,))]


def test_a_cancel_request_stops_the_extraction(source_ini, looker_source):
    looker_source.set_faults(latency_ms=20)
    session = create_extraction_session(
        "source", ExtractionOptions(workers=1, rate_limit_per_second=10000)
    )
    session.claim("test")

    def cancel_then_heartbeat(progress):
        session.request_cancel()  # an operator presses Cancel on the session page
        extraction.check_in()  # what the heartbeat thread does every second

    extraction = Extraction(session, worker="test", progress=cancel_then_heartbeat)
    extraction.run()

    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    assert ContentItem.objects.count() < 100


@pytest.mark.django_db(transaction=True)
def test_a_session_taken_over_by_another_worker_is_left_to_it(source_ini):
    # Committed rows: on PostgreSQL the heartbeat thread has a connection of its own, and
    # inside the test's transaction it could not see the session it beats for (nor the
    # take-over), as no worker in production ever is.
    session = create_extraction_session("source", ExtractionOptions(rate_limit_per_second=10000))
    session.claim("test")

    def reaped_and_resumed_elsewhere(progress):
        RestorationSession.objects.filter(pk=session.pk).update(worker="other:1")
        extraction._last_beat = float("-inf")  # a beat is due
        extraction.check_in()

    extraction = Extraction(session, worker="test", progress=reaped_and_resumed_elsewhere)
    extraction.run()

    session.refresh_from_db()
    assert session.status == SessionStatus.RUNNING and session.worker == "other:1"


def test_a_resumed_extraction_counts_from_zero(source_ini):
    options = ExtractionOptions(types=[ContentType.BOARD], rate_limit_per_second=1000)
    session = launch_extraction("source", options)
    tasks.run_extraction(session.pk)
    session.refresh_from_db()
    first = (session.planned_items, session.created_count, session.api_calls)
    # the reaper found its worker dead: failed and resumable
    RestorationSession.objects.filter(pk=session.pk).update(status=SessionStatus.FAILED)
    tasks.run_extraction(session.pk)
    session.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED
    assert session.resume_count == 1
    assert session.planned_items == first[0]
    assert session.created_count == 0 and session.skipped_count == first[1]
    assert session.checkpoints.count() == 1
