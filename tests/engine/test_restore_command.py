"""manage.py restore: launching, waiting with a progress bar, resuming, bad options."""

import io
import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from restoration.content_types import ContentType
from restoration.models import AuditEvent, RestorationSession

pytestmark = pytest.mark.django_db(transaction=True)

FAST = ["--rate-limit-per-second", "10000", "--rate-limit-per-minute", "600000"]


@pytest.fixture(autouse=True)
def no_cluster(monkeypatch):
    monkeypatch.setattr("restoration.management.commands.restore.cluster_alive", lambda: False)


def test_it_restores_the_chosen_types_and_waits_with_a_progress_bar(backup, looker_destination):
    out = io.StringIO()
    call_command(
        "restore",
        "--destination",
        "destination",
        "--source",
        "source",
        "--types",
        "user",
        "group",
        "folder",
        "--wait",
        *FAST,
        stdout=out,
    )
    text = out.getvalue()
    assert "No task cluster is running" in text
    assert "100%" in text and "completed" in text
    session = RestorationSession.objects.exclude(kind="extract").get()
    assert session.status == "completed"
    assert set(session.metadata["plan"]["per_type"]) == {
        str(ContentType.USER.value),
        str(ContentType.GROUP.value),
        str(ContentType.FOLDER.value),
    }
    assert looker_destination.counters()["creates"]["group"] == 7


def test_a_dry_run_by_ids_writes_nothing(backup, looker_destination):
    out = io.StringIO()
    # Into an empty instance, dashboards alone lack their LookML models: the dry run says so.
    with pytest.raises(CommandError, match="2 item\\(s\\) failed"):
        call_command(
            "restore",
            "--destination",
            "destination",
            "--source",
            "source",
            "--types",
            "dashboard",
            "--ids",
            "3",
            "4",
            "--dry-run",
            "--wait",
            *FAST,
            stdout=out,
        )
    session = RestorationSession.objects.exclude(kind="extract").get()
    assert session.kind == "dry_run" and session.planned_items == 2
    assert {i["action"] for i in session.dry_run_items()} == {"fail"}
    reasons = [i["reason"] for i in session.dry_run_items()]
    assert all("is absent on the destination" in r for r in reasons), reasons
    assert looker_destination.counters()["writes"] == 0


def test_it_exits_non_zero_when_items_failed(backup):
    with pytest.raises(CommandError, match="item\\(s\\) failed") as raised:
        call_command(
            "restore",
            "--destination",
            "destination",
            "--source",
            "source",
            "--types",
            "dashboard",
            "--ids",
            "3",
            "--wait",
            *FAST,
            stdout=io.StringIO(),
        )
    assert raised.value.returncode == 1


def test_without_wait_it_only_queues(backup):
    out = io.StringIO()
    call_command("restore", "--destination", "destination", *FAST, stdout=out)
    session = RestorationSession.objects.exclude(kind="extract").get()
    assert session.status == "pending"
    assert f"Session {session.pk}" in out.getvalue()


def test_it_resumes_a_cancelled_session(backup):
    call_command(
        "restore", "--destination", "destination", "--types", "group", *FAST, stdout=io.StringIO()
    )
    session = RestorationSession.objects.exclude(kind="extract").get()
    session.request_cancel()
    call_command("restore", "--resume", session.pk, "--wait", stdout=io.StringIO())
    session.refresh_from_db()
    assert session.status == "completed"


def test_a_resume_from_the_command_line_is_recorded_in_the_audit_log(backup):
    call_command(
        "restore", "--destination", "destination", "--types", "group", *FAST, stdout=io.StringIO()
    )
    session = RestorationSession.objects.exclude(kind="extract").get()
    session.request_cancel()
    call_command("restore", "--resume", session.pk, stdout=io.StringIO())
    resumes = AuditEvent.objects.filter(action=AuditEvent.Action.RESUME, session=session)
    assert [(e.user, e.description.split()[0]) for e in resumes] == [(None, "Resumed")]


def test_keep_extra_reaches_the_session_config(looker_ini, transactional_db):
    call_command("restore", "--destination", "destination", *FAST, stdout=io.StringIO())
    call_command(
        "restore", "--destination", "destination", "--keep-extra", *FAST, stdout=io.StringIO()
    )
    exact, kept = RestorationSession.objects.exclude(kind="extract").order_by("started_at")
    assert exact.restoration_config.keep_extra is False  # exact restore is the default
    assert kept.restoration_config.keep_extra is True


def test_verify_reaches_the_session_config(looker_ini, transactional_db):
    call_command("restore", "--destination", "destination", *FAST, stdout=io.StringIO())
    call_command("restore", "--destination", "destination", "--verify", *FAST, stdout=io.StringIO())
    plain, full = RestorationSession.objects.exclude(kind="extract").order_by("started_at")
    assert plain.restoration_config.verify is False
    assert full.restoration_config.verify is True


@pytest.mark.parametrize(
    "args, message",
    [
        (["--types", "dashbord"], "unknown content type 'dashbord'"),
        (["--workers", "99"], "workers"),
        (["--since", "yesterday"], "--since: Enter a real date as YYYY-MM-DD \\('yesterday'\\)"),
        (["--since", "2026-13-45"], "--since: Enter a real date as YYYY-MM-DD \\('2026-13-45'\\)"),
        (["--until", "2026-02-30"], "--until: Enter a real date"),
        (["--workers", "many"], "--workers: Input should be a valid integer"),
        (["--types", "explore"], "--types: Cannot be restored .*: Explore"),
        (["--ids", "no-such-id"], "--ids: Not in the backup: no-such-id"),
    ],
)
def test_bad_options_are_named(looker_ini, transactional_db, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("restore", "--destination", "destination", *args)


def test_an_unknown_section_is_named(looker_ini, transactional_db):
    with pytest.raises(CommandError, match="prod"):
        call_command("restore", "--destination", "prod")


def test_resuming_a_finished_session_is_refused(backup):
    call_command(
        "restore",
        "--destination",
        "destination",
        "--types",
        "group",
        "--wait",
        *FAST,
        stdout=io.StringIO(),
    )
    session = RestorationSession.objects.exclude(kind="extract").get()
    with pytest.raises(CommandError, match="only failed or cancelled"):
        call_command("restore", "--resume", session.pk)


def test_bad_arguments_never_print_a_traceback(looker_ini, transactional_db, tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
        "LOOKER_INI": str(settings.LOOKER_INI),
        "RESTOREADMIN_DATA_DIR": str(tmp_path / "data"),
    }

    def manage(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert manage("migrate", "-v0").returncode == 0
    for args in (["--since", "2026-13-45"], ["--ids", "no-such-id"], ["--types", "explore"]):
        done = manage("restore", "--destination", "destination", *args)
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr
        assert done.stderr.startswith("CommandError: Invalid restore options:"), done.stderr


@pytest.mark.parametrize(
    "form, args",
    [
        ({"content_ids": "404, 405"}, ["--ids", "404", "405"]),
        ({"workers": "99"}, ["--workers", "99"]),
        ({"max_retries": "many"}, ["--max-retries", "many"]),
        (
            {"date_from": "2026-02-01", "date_to": "2026-01-01"},
            ["--since", "2026-02-01", "--until", "2026-01-01"],
        ),
    ],
)
def test_the_command_refuses_what_the_form_refuses_with_the_same_message(
    looker_ini, transactional_db, form, args
):
    from restoration.forms import LaunchForm, configured_instances

    instances, _ = configured_instances()
    values = {
        "destination": "destination",
        "workers": "4",
        "rate_limit_per_second": "5",
        "rate_limit_per_minute": "200",
        "checkpoint_interval": "50",
        "max_retries": "3",
        "dry_run": "on",
        **form,
    }
    bound = LaunchForm(values, instances=instances, type_counts={})
    assert not bound.is_valid()
    (form_message,) = [m for errors in bound.errors.values() for m in errors]
    with pytest.raises(CommandError) as refused:
        call_command("restore", "--destination", "destination", "--dry-run", *args)
    assert form_message in str(refused.value)


def test_wait_exits_non_zero_on_completed_with_errors(backup):
    with pytest.raises(CommandError, match="item\\(s\\) failed") as raised:
        call_command(
            "restore", "--destination", "destination", "--source", "source",
            "--types", "dashboard", "--ids", "3", "--wait", *FAST, stdout=io.StringIO(),
        )  # fmt: skip
    assert raised.value.returncode == 1
    session = RestorationSession.objects.exclude(kind="extract").get()
    assert session.status == "completed_with_errors"


def test_wait_in_this_process_waits_for_the_session_writing_into_the_same_looker(backup):
    import threading

    from django.db import connections

    busy = RestorationSession.objects.create(
        destination_instance=settings_destination(), status="pending"
    )
    assert busy.hold_destination()
    RestorationSession.objects.filter(pk=busy.pk).update(status="running")

    def finish_later() -> None:
        time.sleep(2)
        try:
            RestorationSession.objects.get(pk=busy.pk).finish("completed")
        finally:
            connections.close_all()

    threading.Thread(target=finish_later).start()
    out = io.StringIO()
    call_command(
        "restore", "--destination", "destination", "--source", "source",
        "--types", "group", "--wait", *FAST, stdout=out,
    )  # fmt: skip
    session = RestorationSession.objects.exclude(kind="extract").exclude(pk=busy.pk).get()
    assert f"Waiting for session {busy.pk} into the same Looker" in out.getvalue()
    assert session.status == "completed" and session.waiting_for_id is None
    assert session.running_since > RestorationSession.objects.get(pk=busy.pk).completed_at


def settings_destination() -> str:
    from restoration.looker.instances import get_instance

    return get_instance("destination").base_url
