"""Point-in-time restore from the command line: `restore --as-of` and `--backup` bring an
object back as an earlier backup held it; bad points in time get a clear message."""

import io

import pytest
from django.core.management import CommandError, call_command

from restoration.looker.instances import make_sdk
from restoration.models import RestorationSession
from restoration.versions import BackupRun
from tests.history.conftest import FAST, dashboard_state

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_cluster(monkeypatch):
    monkeypatch.setattr("restoration.management.commands.restore.cluster_alive", lambda: False)


def restore(*args: str) -> str:
    out = io.StringIO()
    call_command("restore", "--destination", "source", *args, "--wait", *FAST, stdout=out)
    return out.getvalue()


def test_as_of_restores_the_dashboard_as_it_was(changed_dashboard):
    d = changed_dashboard
    sdk = make_sdk("source")
    title, tiles, filters = dashboard_state(sdk, d.id)
    assert title != d.title and tiles[d.tile_id] != d.tile_title  # the change is live

    text = restore("--types", "dashboard", "--ids", d.id, "--as-of", d.between.isoformat())

    title, tiles, filters = dashboard_state(sdk, d.id)
    assert title == d.title
    assert tiles[d.tile_id] == d.tile_title
    assert filters[d.filter_id] == d.filter_default
    session = RestorationSession.objects.exclude(kind="extract").get()
    assert session.status == "completed"
    assert session.config["as_of"].startswith(d.between.isoformat()[:19])
    assert "Point in time" in text


def test_backup_run_restores_what_that_run_held(changed_dashboard):
    d = changed_dashboard
    restore("--types", "dashboard", "--ids", d.id, "--backup", str(d.first_run.pk))
    title, tiles, _ = dashboard_state(make_sdk("source"), d.id)
    assert (title, tiles[d.tile_id]) == (d.title, d.tile_title)
    session = RestorationSession.objects.exclude(kind="extract").get()
    assert session.config["backup_run"] == d.first_run.pk
    assert session.config["as_of"] is not None


def test_the_dry_run_of_a_point_in_time_shows_the_change_back(changed_dashboard):
    d = changed_dashboard
    restore("--types", "dashboard", "--ids", d.id, "--as-of", d.between.isoformat(), "--dry-run")
    session = RestorationSession.objects.exclude(kind="extract").get()
    row = session.dry_run_rows.get(content_id=d.id)
    assert row.action == "update"
    assert row.diff["title"] == [f"{d.title} (edited)", d.title]


def test_a_time_before_the_first_backup_is_refused(changed_dashboard):
    d = changed_dashboard
    before = d.first_run.taken_at.replace(year=d.first_run.taken_at.year - 1)
    with pytest.raises(CommandError, match="before the first backup"):
        restore("--as-of", before.isoformat())
    assert not RestorationSession.objects.exclude(kind="extract").exists()


def test_a_failed_backup_run_is_refused(changed_dashboard):
    failed = BackupRun.objects.create(
        kind="extract",
        status="failed",
        taken_at=changed_dashboard.second_run.taken_at,
        last_error="Could not log in",
    )
    with pytest.raises(CommandError, match=f"Backup run {failed.pk} .* failed .*Could not log in"):
        restore("--backup", str(failed.pk))


def test_an_unknown_backup_run_is_refused(changed_dashboard):
    with pytest.raises(CommandError, match="There is no backup run 999"):
        restore("--backup", "999")
