"""`manage.py import_backup`: a lookervault SQLite backup into content_items."""

import io
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest
from django.core.management import CommandError, call_command

from restoration.content_types import ContentType
from restoration.models import AuditEvent, ContentItem, encode_blob
from tests.emulator.spec import SPEC_PATH

pytestmark = pytest.mark.django_db

# lookervault's content_items, schema v4, as lookervault creates it (plus a column
# of a later version, which the import must ignore).
LOOKERVAULT_DDL = """
CREATE TABLE content_items (
    id TEXT NOT NULL,
    content_type INTEGER NOT NULL,
    name TEXT NOT NULL,
    owner_id TEXT,
    owner_email TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    synced_at TEXT NOT NULL,
    deleted_at TEXT,
    content_size INTEGER NOT NULL,
    content_data BLOB NOT NULL,
    folder_id TEXT,
    extra_from_a_later_version TEXT,
    PRIMARY KEY (id, content_type)
);
CREATE TABLE sync_checkpoints (id INTEGER PRIMARY KEY, content_type INTEGER);
"""


def backup_row(content_id, content_type=ContentType.DASHBOARD, **overrides):
    data = overrides.pop("data", {"id": content_id, "title": f"Title {content_id}"})
    blob = overrides.pop("blob", None) or msgspec.msgpack.encode(data)
    row = {
        "id": content_id,
        "content_type": int(content_type),
        "name": f"Title {content_id}",
        "owner_id": "3",
        "owner_email": "ann@example.com",
        "created_at": "2025-01-02T03:04:05",
        "updated_at": "2025-06-01T10:00:00+00:00",
        "synced_at": "2026-11-01T00:00:00.123456",
        "deleted_at": None,
        "content_size": len(blob),
        "content_data": blob,
        "folder_id": "9",
    }
    row.update(overrides)
    return row


def write_backup(path: Path, rows) -> Path:
    connection = sqlite3.connect(path)
    connection.executescript(LOOKERVAULT_DDL)
    for row in rows:
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        connection.execute(
            f"INSERT INTO content_items ({columns}) VALUES ({marks})", list(row.values())
        )
    connection.commit()
    connection.close()
    return path


def run_import(path: Path, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_backup", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_imports_every_column(tmp_path):
    path = write_backup(
        tmp_path / "backup.db",
        [backup_row("12", deleted_at="2026-10-01T00:00:00Z", data={"id": "12", "tiles": [1]})],
    )
    out, _ = run_import(path)
    assert "Imported 1 of 1 rows" in out
    item = ContentItem.objects.get_content("12", ContentType.DASHBOARD)
    assert item.name == "Title 12"
    assert (item.owner_id, item.owner_email, item.folder_id) == ("3", "ann@example.com", "9")
    assert item.created_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert item.updated_at == datetime(2025, 6, 1, 10, tzinfo=UTC)
    assert item.synced_at == datetime(2026, 11, 1, 0, 0, 0, 123456, tzinfo=UTC)
    assert item.deleted_at == datetime(2026, 10, 1, tzinfo=UTC)
    assert item.decoded() == {"id": "12", "tiles": [1]}
    assert item.content_size == len(encode_blob({"id": "12", "tiles": [1]}))


def test_it_says_how_many_rows_lookervault_marked_deleted_and_what_that_means(tmp_path):
    rows = [backup_row("1"), backup_row("2", deleted_at="2026-10-01T00:00:00Z")]
    rows.append(backup_row("3", deleted_at="2026-10-02T00:00:00Z"))
    out, _ = run_import(write_backup(tmp_path / "backup.db", rows))
    assert "2 row(s) carry lookervault's deleted_at" in out
    assert "restore --include-deleted" in out
    event = AuditEvent.objects.get(action=AuditEvent.Action.IMPORT_BACKUP)
    assert event.details["marked_deleted"] == 2


def test_it_says_nothing_of_deletions_when_no_row_is_marked(tmp_path):
    out, _ = run_import(write_backup(tmp_path / "backup.db", [backup_row("1")]))
    assert "deleted_at" not in out


def test_the_same_id_in_two_types_makes_two_items(tmp_path):
    path = write_backup(
        tmp_path / "b.db", [backup_row("1", ContentType.LOOK), backup_row("1", ContentType.USER)]
    )
    run_import(path)
    assert ContentItem.objects.filter(content_id="1").count() == 2


def test_importing_twice_updates_instead_of_duplicating(tmp_path):
    run_import(write_backup(tmp_path / "first.db", [backup_row("1"), backup_row("2")]))
    second = write_backup(
        tmp_path / "second.db",
        [backup_row("2", name="Renamed", data={"id": "2", "title": "Renamed"}), backup_row("3")],
    )
    out, _ = run_import(second)
    assert "2 new or changed since the latest backup" in out
    out, _ = run_import(second)
    assert "0 new or changed since the latest backup" in out
    assert ContentItem.objects.count() == 3
    item = ContentItem.objects.get_content("2", ContentType.DASHBOARD)
    assert item.name == "Renamed" and item.decoded()["title"] == "Renamed"


def test_a_row_whose_blob_does_not_decode_is_reported_and_skipped(tmp_path):
    run_import(write_backup(tmp_path / "good.db", [backup_row("5", data={"id": "5", "v": 1})]))
    path = write_backup(
        tmp_path / "bad.db",
        [
            backup_row("4"),
            backup_row("5", blob=b"\xc1not messagepack", name="Corrupted"),
            backup_row("6", ContentType.LOOK, blob=msgspec.msgpack.encode([1, 2, 3])),
            backup_row("7"),
        ],
    )
    out, err = run_import(path)
    assert "Imported 2 of 4 rows" in out
    assert "skipped: Dashboard 5 is not valid MessagePack" in err
    assert "skipped: Look 6 holds a list, not a Looker object" in err
    assert "Skipped 2 unreadable row(s)" in err
    # What we already held for dashboard 5 is untouched.
    kept = ContentItem.objects.get_content("5", ContentType.DASHBOARD)
    assert kept.name == "Title 5" and kept.decoded() == {"id": "5", "v": 1}
    assert ContentItem.objects.get_content("6", ContentType.LOOK) is None
    assert {i.content_id for i in ContentItem.objects.all()} == {"4", "5", "7"}


def test_a_row_with_an_unknown_type_a_bad_time_or_size_is_skipped_by_name(tmp_path):
    path = write_backup(
        tmp_path / "b.db",
        [
            backup_row("1", content_type=99),
            backup_row("2", updated_at="last tuesday"),
            backup_row("3", content_size="big"),
        ],
    )
    _, err = run_import(path)
    assert "skipped: id 1: unknown content_type 99" in err
    assert "skipped: Dashboard 2: updated_at 'last tuesday' is not an ISO 8601 time" in err
    assert "skipped: Dashboard 3: content_size 'big' is not a whole number" in err
    assert not ContentItem.objects.exists()


def test_the_import_is_recorded_in_the_audit_log(tmp_path):
    path = write_backup(tmp_path / "b.db", [backup_row("1"), backup_row("2", blob=b"\xc1")])
    run_import(path)
    event = AuditEvent.objects.get()
    assert event.action == AuditEvent.Action.IMPORT_BACKUP
    assert event.count == 1
    assert event.details["rows"] == 2 and event.details["skipped_count"] == 1
    (skipped,) = event.details["skipped"]
    assert skipped.startswith("Dashboard 2 is not valid MessagePack")
    assert event.details["file"] == str(path.resolve())


def test_it_streams_in_batches_and_shows_progress(tmp_path):
    path = write_backup(tmp_path / "b.db", [backup_row(str(n)) for n in range(50)])
    _, err = run_import(path, "--batch-size", "10")
    assert ContentItem.objects.count() == 50
    assert "50/50 rows" in err and "100%" in err


def test_it_leaves_the_backup_file_unchanged(tmp_path):
    path = write_backup(tmp_path / "b.db", [backup_row("1")])
    before = path.read_bytes()
    run_import(path)
    assert path.read_bytes() == before


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run_import(tmp_path / "nope.db")


def test_a_file_that_is_not_sqlite_is_a_clear_error(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are not the rows you are looking for\n" * 100)
    with pytest.raises(CommandError, match="is not a SQLite database"):
        run_import(path)
    assert not AuditEvent.objects.exists()


def test_a_json_export_is_refused_as_json(tmp_path):
    # A real dashboard as gzr exports it (samples/), the likeliest wrong file.
    path = tmp_path / "Dashboard_17_FAA_KPIs.json"
    sample = SPEC_PATH.parent / "samples" / "gzr-dashboard-export.json"
    if not sample.is_file():
        pytest.skip(f"{sample} absent")
    path.write_text(sample.read_text())
    with pytest.raises(CommandError, match="it holds JSON, such as one object exported by gzr"):
        run_import(path)
    assert not ContentItem.objects.exists() and not AuditEvent.objects.exists()


def test_a_sqlite_file_without_content_items_is_a_clear_error(tmp_path):
    path = tmp_path / "other.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE dashboards (id TEXT)")
    connection.close()
    with pytest.raises(CommandError, match=r"no content_items table \(dashboards\)"):
        run_import(path)


def test_a_content_items_table_missing_columns_is_a_clear_error(tmp_path):
    path = tmp_path / "v2.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE content_items (id TEXT, content_type INTEGER, name TEXT)")
    connection.close()
    with pytest.raises(CommandError, match="lacks the column.*owner_id.*content_data.*folder_id"):
        run_import(path)


def test_it_refuses_a_batch_size_below_one(tmp_path):
    path = write_backup(tmp_path / "b.db", [backup_row("1")])
    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        run_import(path, "--batch-size", "0")


def test_the_audit_event_names_the_first_hundred_skips_and_counts_them_all(tmp_path):
    path = write_backup(tmp_path / "b.db", [backup_row(str(n), blob=b"\xc1") for n in range(150)])
    _, err = run_import(path)
    assert err.count("skipped: ") == 150
    event = AuditEvent.objects.get()
    assert event.details["skipped_count"] == 150
    assert len(event.details["skipped"]) == 100


def test_batches_are_bounded_by_blob_bytes_as_well_as_rows(tmp_path):
    from restoration.management.commands.import_backup import backup_batches, open_backup

    big = {"id": "x", "text": "y" * 1000}
    path = write_backup(tmp_path / "b.db", [backup_row(str(n), data=big) for n in range(10)])
    connection = open_backup(path)
    try:
        by_bytes = [len(batch) for batch in backup_batches(connection, 500, max_bytes=2500)]
        by_rows = [len(batch) for batch in backup_batches(connection, 4)]
    finally:
        connection.close()
    assert by_bytes == [3, 3, 3, 1]
    assert by_rows == [4, 4, 2]


def test_a_truncated_or_empty_blob_is_skipped_by_name(tmp_path):
    whole = msgspec.msgpack.encode({"id": "1", "tiles": [{"id": n} for n in range(50)]})
    path = write_backup(
        tmp_path / "b.db",
        [
            backup_row("1", blob=whole[:-7]),
            backup_row("2", ContentType.FOLDER, blob=b"", content_data=b""),
            backup_row("3", blob=whole),
        ],
    )
    _, err = run_import(path)
    assert "skipped: Dashboard 1 is not valid MessagePack" in err
    assert "skipped: Folder 2 is not valid MessagePack" in err
    assert [i.content_id for i in ContentItem.objects.all()] == ["3"]


def test_it_says_how_many_looks_lack_their_query_and_what_that_means(tmp_path):
    path = write_backup(
        tmp_path / "backup.db",
        [
            # As lookervault stores Looks: from search_looks, a query_id and no query.
            backup_row("1", ContentType.LOOK, data={"id": "1", "title": "A", "query_id": "7"}),
            backup_row("2", ContentType.LOOK, data={"id": "2", "query_id": "8", "query": None}),
            backup_row(
                "3", ContentType.LOOK, data={"id": "3", "query_id": "9", "query": {"model": "m"}}
            ),
            backup_row("4", ContentType.DASHBOARD),
        ],
    )
    out, _ = run_import(path)
    assert "2 Look(s) have no query in the backup, only a query_id" in out
    assert "launch such a restore with the source instance set" in out
    event = AuditEvent.objects.get(action=AuditEvent.Action.IMPORT_BACKUP)
    assert event.details["looks_without_query"] == 2


def test_it_says_nothing_about_queries_when_every_look_has_one(tmp_path):
    path = write_backup(
        tmp_path / "backup.db",
        [backup_row("3", ContentType.LOOK, data={"id": "3", "query": {"model": "m"}})],
    )
    out, _ = run_import(path)
    assert "query" not in out


def invalid_utf8_blob(where: str) -> bytes:
    """MessagePack that is well formed but holds a string that is not UTF-8."""
    bad = b"\xa3\xff\xfe\xfd"  # a 3-byte str of bytes no UTF-8 text starts with
    if where == "key":
        return b"\x82\xa2id\xa1x" + bad + b"\x01"
    if where == "nested":  # {"id": "x", "tiles": [{"title": <bad>}]}
        return b"\x82\xa2id\xa1x\xa5tiles\x91\x81\xa5title" + bad
    return b"\x82\xa2id\xa1x\xa5title" + bad


def test_a_blob_that_cannot_be_decoded_for_any_reason_is_skipped_by_type_and_id(tmp_path):
    too_deep = b"\x81\xa1a" + b"\x91" * 100_000 + b"\xc0"
    path = write_backup(
        tmp_path / "b.db",
        [
            backup_row("1", blob=invalid_utf8_blob("value")),
            backup_row("2", ContentType.LOOK, blob=invalid_utf8_blob("key")),
            backup_row("3", ContentType.FOLDER, blob=invalid_utf8_blob("nested")),
            backup_row("4", ContentType.BOARD, blob=too_deep),
            backup_row("5"),
        ],
    )
    out, err = run_import(path)
    assert "Imported 1 of 5 rows" in out
    assert "skipped: Dashboard 1 holds text that is not valid UTF-8" in err
    assert "skipped: Look 2 holds text that is not valid UTF-8" in err
    assert "skipped: Folder 3 holds text that is not valid UTF-8" in err
    assert "skipped: Board 4 is nested too deeply to read" in err
    assert [i.content_id for i in ContentItem.objects.all()] == ["5"]
    assert "Traceback" not in err


def test_a_name_column_holding_bytes_that_are_not_text_is_skipped_by_name(tmp_path):
    path = write_backup(tmp_path / "b.db", [backup_row("1", name=b"\xff\xfe"), backup_row("2")])
    _, err = run_import(path)
    assert "skipped: Dashboard 1: name is not valid UTF-8 text" in err
    assert [i.content_id for i in ContentItem.objects.all()] == ["2"]


def big_backup(path: Path, rows: int = 1500, title: str = "Title") -> Path:
    """A backup of `rows` dashboards with 4 KB blobs: about 7 MB, several times SQLite's
    page cache, so late pages are read from the disk while the import runs."""
    return write_backup(
        path,
        [
            backup_row(str(n), data={"id": str(n), "title": f"{title} {n}", "pad": "p" * 4000})
            for n in range(rows)
        ],
    )


def damage(path: Path, start_fraction: float, end_fraction: float = 1.0) -> None:
    """Overwrite a stretch of the file's pages with garbage, as a failing disk would."""
    size = path.stat().st_size
    start, end = int(size * start_fraction), int(size * end_fraction)
    with open(path, "r+b") as f:
        f.seek(start)
        f.write(bytes((n * 37 + 11) % 256 for n in range(end - start)))


def test_a_file_damaged_in_its_last_pages_is_refused_before_any_stored_row_changes(tmp_path):
    run_import(big_backup(tmp_path / "first.db", rows=1500, title="Kept"))
    before = dict(ContentItem.objects.values_list("content_id", "content_data"))
    path = big_backup(tmp_path / "second.db", rows=1500, title="New")
    damage(path, 0.9)
    with pytest.raises(CommandError) as refused:
        run_import(path)
    message = str(refused.value)
    assert "is damaged, so nothing was imported" in message
    assert "quick_check" in message
    assert dict(ContentItem.objects.values_list("content_id", "content_data")) == before
    assert not AuditEvent.objects.filter(description__contains="second.db").exists()


class DamageAfterFirstBatch(io.StringIO):
    """A progress stream that damages the backup file once the first batch is stored:
    the file changes under the import, after the whole-file check passed."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.done = False

    def write(self, text: str) -> int:
        if not self.done:
            self.done = True
            damage(self.path, 0.3)
        return super().write(text)


def test_a_file_that_fails_mid_way_says_which_rows_were_already_imported(tmp_path):
    from restoration.management.commands.import_backup import ImportStopped, import_backup

    run_import(big_backup(tmp_path / "first.db", rows=1500, title="Kept"))
    path = big_backup(tmp_path / "second.db", rows=1500, title="New")
    with pytest.raises(ImportStopped) as stopped:
        import_backup(path, batch_size=100, progress=DamageAfterFirstBatch(path))
    message = str(stopped.value)
    # Where it stops depends on what SQLite's page cache still held: read it from the
    # message, then check that it is exactly what changed.
    found = re.search(r"stopped at row ([\d,]+) of 1,500", message)
    assert found, message
    done = int(found.group(1).replace(",", "")) - 1
    assert 100 <= done < 1500 and done % 100 == 0
    assert f"Already imported: the file's first {done:,} rows (up to rowid {done})" in message
    assert f"from Dashboard 0 to Dashboard {done - 1}" in message
    names = {i.content_id: i.decoded()["title"] for i in ContentItem.objects.all()}
    assert {n for n, name in names.items() if name.startswith("New ")} == {
        str(n) for n in range(done)
    }
    assert all(names[str(n)] == f"Kept {n}" for n in range(done, 1500))
    event = AuditEvent.objects.get(description__contains="second.db")
    assert event.count == done and event.details["through_rowid"] == done
    assert f"before it stopped at row {done + 1}" in event.description


def test_an_object_absent_from_a_later_file_stays_as_it_was_and_is_named(tmp_path):
    """lookervault never drops a row and may extract some types only, so a file's silence
    about an object is no deletion: the import names what was absent, and changes nothing."""
    first = write_backup(
        tmp_path / "day1.db",
        [backup_row("1"), backup_row("2"), backup_row("3"), backup_row("7", ContentType.LOOK)],
    )
    run_import(first)
    later = {"synced_at": "2026-11-02T00:00:00"}
    second = write_backup(
        tmp_path / "day2.db", [backup_row("1", **later), backup_row("3", **later)]
    )

    out, _ = run_import(second)

    assert "2 object(s) live in the backup are absent from this file" in out
    assert "  Dashboard: 1: 2\n" in out
    assert "  Look: 1 (the file holds no looks): 7\n" in out
    assert "these stay as they were, not deleted" in out
    assert ContentItem.objects.get(content_id="2", content_type=1).deleted_at is None
    assert ContentItem.objects.get(content_id="7", content_type=ContentType.LOOK).deleted_at is None
    from restoration.versions import ContentVersion

    assert not ContentVersion.objects.filter(deleted=True).exists()
    event = AuditEvent.objects.filter(action="import_backup").order_by("-at", "-pk").first()
    assert event.details["absent_from_file"] == {
        "Dashboard": {"count": 1, "ids": ["2"], "type_in_file": True},
        "Look": {"count": 1, "ids": ["7"], "type_in_file": False},
    }


def test_a_row_the_file_marks_deleted_is_not_reported_absent(tmp_path):
    run_import(write_backup(tmp_path / "day1.db", [backup_row("1"), backup_row("2")]))
    later = {"synced_at": "2026-11-02T00:00:00"}
    gone = backup_row("2", deleted_at="2026-11-01T12:00:00", **later)
    out, _ = run_import(write_backup(tmp_path / "day2.db", [backup_row("1", **later), gone]))
    assert "absent from this file" not in out
    assert ContentItem.objects.get(content_id="2").deleted_at is not None


def test_absent_ids_are_named_up_to_twenty_and_counted_exactly(tmp_path):
    run_import(write_backup(tmp_path / "day1.db", [backup_row(str(n)) for n in range(30)]))
    later = {"synced_at": "2026-11-02T00:00:00"}
    out, _ = run_import(write_backup(tmp_path / "day2.db", [backup_row("0", **later)]))
    line = next(x for x in out.splitlines() if x.startswith("  Dashboard: 29: "))
    assert line.endswith(" …") and len(line.split(": ")[2].split(", ")) == 20


def test_a_file_holding_everything_says_nothing_about_absent_objects(tmp_path):
    path = write_backup(tmp_path / "day1.db", [backup_row("1"), backup_row("2")])
    run_import(path)
    out, _ = run_import(path)
    assert "absent" not in out
