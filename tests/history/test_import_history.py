"""Importing lookervault files oldest first builds the same history as the backups they
came from; a file older than the newest backup is refused, and nothing is written."""

import io
import sqlite3
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from restoration.looker.instances import make_sdk
from restoration.models import ContentItem
from restoration.versions import BackupRun, ContentBlob, ContentVersion
from tests.history.conftest import change_dashboard, take_backup
from tests.test_import_backup import LOOKERVAULT_DDL

pytestmark = pytest.mark.django_db

COLUMNS = (
    "id, content_type, name, owner_id, owner_email, created_at, updated_at, synced_at, "
    "deleted_at, content_size, content_data, folder_id"
)


def lookervault_file(path: Path) -> Path:
    """content_items as lookervault would write it after the same backup."""
    db = sqlite3.connect(path)
    db.executescript(LOOKERVAULT_DDL)
    for item in ContentItem.objects.order_by("row_id"):
        stamp = lambda t: t.isoformat() if t else None  # noqa: E731
        db.execute(
            f"INSERT INTO content_items ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                item.content_id,
                item.content_type,
                item.name,
                item.owner_id,
                item.owner_email,
                stamp(item.created_at) or "",
                stamp(item.updated_at) or "",
                stamp(item.synced_at),
                stamp(item.deleted_at),
                item.content_size,
                bytes(item.content_data),
                item.folder_id,
            ),
        )
    db.commit()
    db.close()
    return path


def history() -> dict[tuple[int, str], list[tuple[str, bool]]]:
    """Each object's versions in order, as (content hash, deleted)."""
    out: dict[tuple[int, str], list[tuple[str, bool]]] = {}
    for v in ContentVersion.objects.order_by("content_type", "content_id", "valid_from"):
        out.setdefault((v.content_type, v.content_id), []).append((v.blob_hash, v.deleted))
    return out


def forget_everything() -> None:
    ContentVersion.objects.all().delete()
    ContentBlob.objects.all().delete()
    BackupRun.objects.all().delete()
    ContentItem.objects.all().delete()


def test_importing_daily_files_in_date_order_builds_the_same_history(looker_ini, tmp_path):
    take_backup("source")
    day1 = lookervault_file(tmp_path / "day1.db")
    sdk = make_sdk("source")
    dashboards = sdk.all_dashboards(fields="id")
    change_dashboard(sdk, dashboards[0].id)
    sdk.delete_dashboard(dashboards[1].id)
    take_backup("source")
    day2 = lookervault_file(tmp_path / "day2.db")
    extracted = history()
    kept_bytes = set(ContentBlob.objects.values_list("hash", flat=True))
    assert extracted[(1, str(dashboards[1].id))][-1][1] is True  # the deletion is a version
    assert len(extracted[(1, str(dashboards[0].id))]) == 2

    forget_everything()
    for path in (day1, day2):
        call_command("import_backup", str(path), "--no-progress", stdout=io.StringIO())

    assert history() == extracted
    assert set(ContentBlob.objects.values_list("hash", flat=True)) == kept_bytes
    runs = list(BackupRun.objects.order_by("taken_at").values_list("kind", "status"))
    assert runs == [("import", "completed"), ("import", "completed")]


def test_importing_the_same_file_twice_adds_no_version(looker_ini, tmp_path):
    take_backup("source")
    day1 = lookervault_file(tmp_path / "day1.db")
    forget_everything()
    call_command("import_backup", str(day1), "--no-progress", stdout=io.StringIO())
    versions = ContentVersion.objects.count()
    call_command("import_backup", str(day1), "--no-progress", stdout=io.StringIO())
    assert ContentVersion.objects.count() == versions
    assert ContentBlob.objects.count() == 0


def test_a_file_older_than_the_newest_backup_is_refused(looker_ini, tmp_path):
    take_backup("source")
    day1 = lookervault_file(tmp_path / "day1.db")
    take_backup("source")
    before = (ContentVersion.objects.count(), ContentItem.objects.count())
    with pytest.raises(CommandError, match="before the newest backup in the history"):
        call_command(
            "import_backup",
            str(day1),
            "--no-progress",
            "--taken-at",
            "2001-01-01T00:00:00",
            stdout=io.StringIO(),
        )
    assert (ContentVersion.objects.count(), ContentItem.objects.count()) == before
