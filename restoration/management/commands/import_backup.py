"""`manage.py import_backup FILE`: copy a lookervault SQLite backup into content_items.

The backup is read in read-only mode and streamed in batches, so memory stays flat
however large the file is. The file is checked as a whole (`PRAGMA quick_check`) before
the first stored row changes: a damaged file is refused with nothing imported. Rows are
upserted by (id, content_type): importing the same file twice updates, never duplicates.
A row whose blob does not decode, for any reason, is reported by id and type and
skipped; what we already hold for that item stays as it was. If reading or writing still
fails mid-way, the error says which of the file's rows were already imported.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from restoration.content_types import ContentType
from restoration.models import AuditEvent, BlobDecodeError, ContentItem, decode_blob

# lookervault's content_items, schema v4. Our table has the same columns.
BACKUP_COLUMNS = (
    "id",
    "content_type",
    "name",
    "owner_id",
    "owner_email",
    "created_at",
    "updated_at",
    "synced_at",
    "deleted_at",
    "content_size",
    "content_data",
    "folder_id",
)
# Everything but the key (id, content_type) is overwritten on re-import; the other
# columns have the same names as our fields.
UPDATED_FIELDS = [c for c in BACKUP_COLUMNS if c not in ("id", "content_type")]
# A batch is at most 500 rows and about 4 MB of blobs (200 rows of 20 KB): large
# enough for fast upserts, small enough that memory does not depend on the backup.
DEFAULT_BATCH_SIZE = 500
MAX_BATCH_BYTES = 4 * 1024 * 1024
BLOB_COLUMN = BACKUP_COLUMNS.index("content_data")
# The audit event names at most this many skipped rows; the count is always exact.
MAX_REPORTED_SKIPS = 100
# Objects live in the backup but absent from the imported file: ids named per type.
MAX_REPORTED_ABSENT = 20
ABSENT_MEANS = (
    "A lookervault file does not say whether an object it lacks was deleted (it may have "
    "been extracted with --types or --folder-ids, or stopped part-way): these stay as they "
    "were, not deleted. An extraction here records deletions (docs/backup.md)."
)
MARKED_DELETED = (
    "{count:,} row(s) carry lookervault's deleted_at and are kept as deleted before the "
    'backup: a restore leaves them out unless "Also restore objects deleted before the '
    "backup\" is ticked (restore --include-deleted). lookervault's deleted_at is not always "
    "a deletion (an incremental run with --workers 1 marks every object it did not re-read; "
    "docs/backup.md): check these in Looker before relying on them."
)


class NotABackup(CommandError):
    """The file is not a lookervault SQLite backup (missing, not SQLite, wrong tables),
    or it is damaged: refused before anything is imported."""


class ImportStopped(CommandError):
    """Reading or writing failed mid-way; the message says what was already imported."""


class BadRow(ValueError):
    """One backup row that cannot be imported; the message names the row."""


@dataclass
class ImportReport:
    path: str
    total: int = 0
    imported: int = 0
    skipped_count: int = 0
    # The first MAX_REPORTED_SKIPS reasons only: memory must not grow with a bad file.
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # Looks stored without their query (lookervault takes Looks from search_looks).
    looks_without_query: int = 0
    # Rows whose deleted_at is set (lookervault's mark, not always a deletion).
    marked_deleted: int = 0
    # The last of the file's rows (by rowid) whose batch is stored, and its item.
    through_rowid: int | None = None
    rows_done: int = 0
    first_item: str = ""
    last_item: str = ""
    backup_run: int | None = None
    # Per content type label: objects live in the backup that the file has no row for
    # ({"count": n, "ids": first MAX_REPORTED_ABSENT, "type_in_file": bool}).
    absent: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Objects new or changed since the history's latest version (versions recorded).
    changed: int = 0

    def skip(self, reason: str) -> None:
        self.skipped_count += 1
        if len(self.skipped) < MAX_REPORTED_SKIPS:
            self.skipped.append(reason)


def open_backup(path: Path) -> sqlite3.Connection:
    """Open the backup read-only and check it has lookervault's content_items columns."""
    if not path.is_file():
        raise NotABackup(f"{path}: no such file")
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if "content_items" not in tables:
            found = ", ".join(sorted(tables)) or "no tables at all"
            raise NotABackup(
                f"{path} is not a lookervault backup: it has no content_items table ({found})"
            )
        columns = {row[1] for row in connection.execute("PRAGMA table_info(content_items)")}
        missing = [c for c in BACKUP_COLUMNS if c not in columns]
        if missing:
            raise NotABackup(
                f"{path}: content_items lacks the column(s) {', '.join(missing)} "
                "of lookervault's schema v4"
            )
        check_whole_file(connection, path)
    except sqlite3.DatabaseError as exc:
        connection.close()
        raise NotABackup(f"{path} is not a SQLite database ({exc}){_json_hint(path)}") from exc
    except NotABackup:
        connection.close()
        raise
    return connection


def _json_hint(path: Path) -> str:
    """Say so when the file is JSON: a dashboard exported by gzr or read from the API is
    one object, not a backup, and is the likeliest wrong file."""
    with path.open("rb") as file:
        start = file.read(64).lstrip()
    if start[:1] in (b"{", b"["):
        return (
            ": it holds JSON, such as one object exported by gzr or read from the API; "
            "import_backup reads a lookervault backup, the SQLite file with a content_items "
            "table (lookervault extract writes it; manage.py extract takes one directly)"
        )
    return ""


MAX_REPORTED_DAMAGE = 5


def check_whole_file(connection: sqlite3.Connection, path: Path) -> None:
    """Refuse a damaged file before the first stored row changes: quick_check reads every
    page of the file (b-trees, overflow chains of large blobs, free pages), so a file
    corrupt in its last pages fails here instead of after half the import."""
    try:
        problems = [
            row[0] for row in connection.execute(f"PRAGMA quick_check({MAX_REPORTED_DAMAGE})")
        ]
    except sqlite3.DatabaseError as exc:
        problems = [str(exc)]
    if problems != ["ok"]:
        raise NotABackup(
            f"{path} is damaged, so nothing was imported (SQLite's quick_check: "
            f"{'; '.join(problems)}). Take the backup again, or repair the file "
            "(sqlite3's .recover) and import the repaired copy."
        )


def parse_timestamp(value: Any, column: str) -> datetime | None:
    """lookervault writes ISO 8601 text; naive times are UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise BadRow(f"{column} {value!r} is not an ISO 8601 time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def check_blob(blob: bytes | None, label: str) -> dict[str, Any]:
    """The Looker object the blob holds; BlobDecodeError unless the whole blob decodes
    to a map.

    A full decode, strings included: a blob that passes here decodes everywhere later
    (the restore, the backup browser), so nothing unreadable is ever stored."""
    return decode_blob(blob, label=label)


def text_value(value: Any, column: str) -> str | None:
    """A TEXT column's value; SQLite's dynamic typing lets a BLOB or a number sneak in."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes):
        try:
            return value.decode()
        except UnicodeDecodeError:
            raise BadRow(f"{column} is not valid UTF-8 text") from None
    return str(value)


def look_lacks_query(data: dict[str, Any]) -> bool:
    """A Look with a query_id but no query (as lookervault stores Looks)."""
    return data.get("query") is None


LOOKS_WITHOUT_QUERY = (
    "{count:,} Look(s) have no query in the backup, only a query_id (lookervault stores "
    "Looks as search_looks lists them). Restored into the instance they came from, they "
    "reuse that query_id. Restored into another instance, each query is read from the "
    "source instance, so launch such a restore with the source instance set (a looker.ini "
    "section); without it those Looks fail, and the dashboard tiles, board items and "
    "schedules that show them fail with them."
)


def parse_size(value: Any, blob: bytes) -> int:
    if value is None or value == "":
        return len(blob)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadRow(f"content_size {value!r} is not a whole number") from None


def item_from_row(row: tuple[Any, ...]) -> tuple[ContentItem, dict[str, Any]]:
    """A ContentItem from one backup row, with the object its blob holds (decoded once);
    or BadRow saying what is wrong."""
    values = dict(zip(BACKUP_COLUMNS, row, strict=True))
    content_id = text_value(values["id"], "id")
    if content_id is None or content_id == "":
        raise BadRow("row without an id")
    try:
        content_type = ContentType(int(values["content_type"]))
    except (TypeError, ValueError):
        raise BadRow(f"id {content_id}: unknown content_type {values['content_type']!r}") from None
    label = f"{content_type.label} {content_id}"
    blob = values["content_data"]
    if isinstance(blob, str):  # SQLite's dynamic typing lets TEXT sneak into a BLOB column
        blob = blob.encode()
    try:
        data = check_blob(blob, label)
        item = ContentItem(
            content_id=str(content_id),
            content_type=content_type,
            name=text_value(values["name"], "name") or "",
            owner_id=text_value(values["owner_id"], "owner_id"),
            owner_email=text_value(values["owner_email"], "owner_email"),
            created_at=parse_timestamp(values["created_at"], "created_at"),
            updated_at=parse_timestamp(values["updated_at"], "updated_at"),
            synced_at=parse_timestamp(values["synced_at"], "synced_at"),
            deleted_at=parse_timestamp(values["deleted_at"], "deleted_at"),
            content_size=parse_size(values["content_size"], blob),
            content_data=bytes(blob),
            folder_id=text_value(values["folder_id"], "folder_id"),
        )
        return item, data
    except BlobDecodeError as exc:
        raise BadRow(str(exc)) from None
    except BadRow as exc:
        raise BadRow(f"{label}: {exc}") from None


def backup_batches(
    connection: sqlite3.Connection, batch_size: int, max_bytes: int = MAX_BATCH_BYTES
) -> Iterator[list[tuple]]:
    """Backup rows in batches of at most batch_size rows and about max_bytes of blobs;
    each row is (rowid, *BACKUP_COLUMNS).

    Bounding bytes as well as rows keeps memory flat when blobs are large: on
    PostgreSQL every blob is copied several times while the INSERT is built.
    """
    cursor = connection.execute(
        f"SELECT rowid, {', '.join(BACKUP_COLUMNS)} FROM content_items ORDER BY rowid"
    )
    batch: list[tuple] = []
    size = 0
    for row in cursor:  # sqlite3 steps the statement one row at a time
        batch.append(row)
        size += len(row[1 + BLOB_COLUMN] or b"")
        if len(batch) >= batch_size or size >= max_bytes:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def file_taken_at(connection: sqlite3.Connection, path: Path) -> datetime:
    """When the file's backup was taken: its newest synced_at, else the file's mtime."""
    newest = connection.execute("SELECT MAX(synced_at) FROM content_items").fetchone()[0]
    try:
        when = parse_timestamp(newest, "synced_at")
    except BadRow:
        when = None
    return when or datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)


def absent_from_file(connection: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """Objects live in the backup (no deleted_at) that the file has no row for, per type.

    Not deletions: lookervault upserts rows and never drops one, and an extraction can
    cover some types or folders only, so absence proves nothing (docs/backup.md, "What a
    lookervault file says about deletions"). Memory: one type's ids of the file at a time."""
    in_file = dict(
        connection.execute(
            "SELECT content_type, COUNT(*) FROM content_items GROUP BY content_type"
        ).fetchall()
    )
    out: dict[str, dict[str, Any]] = {}
    for content_type in ContentType:
        live = ContentItem.objects.filter(content_type=content_type, deleted_at__isnull=True)
        ids = {
            str(row[0])
            for row in connection.execute(
                "SELECT id FROM content_items WHERE content_type = ?", (int(content_type),)
            )
        }
        count, named = 0, []
        for content_id in live.values_list("content_id", flat=True).iterator(chunk_size=2000):
            if content_id not in ids:
                count += 1
                if len(named) < MAX_REPORTED_ABSENT:
                    named.append(content_id)
        if count:
            out[content_type.label] = {
                "count": count,
                "ids": named,
                "type_in_file": bool(in_file.get(int(content_type))),
            }
    return out


def absent_summary(absent: dict[str, dict[str, Any]]) -> str:
    """The import's lines about objects the file lacks, for the terminal."""
    lines = []
    for label, facts in absent.items():
        more = " …" if facts["count"] > len(facts["ids"]) else ""
        where = "" if facts["type_in_file"] else " (the file holds no " + label.lower() + "s)"
        lines.append(f"  {label}: {facts['count']:,}{where}: {', '.join(facts['ids'])}{more}")
    total = sum(f["count"] for f in absent.values())
    return (
        f"{total:,} object(s) live in the backup are absent from this file:\n"
        + "\n".join(lines)
        + f"\n{ABSENT_MEANS}"
    )


def record_versions(recorder: Any, items: list[ContentItem]) -> int:
    """New versions for the batch's changed objects, before their rows are overwritten;
    returns how many."""
    from restoration.backup.history import observation_from_item

    by_type: dict[int, list[ContentItem]] = {}
    for item in items:
        by_type.setdefault(int(item.content_type), []).append(item)
    return sum(
        recorder.observe(content_type, [observation_from_item(i) for i in typed])
        for content_type, typed in by_type.items()
    )


def upsert(items: list[ContentItem]) -> None:
    """Insert new items and overwrite known ones, keyed by (id, content_type)."""
    if items:
        ContentItem.objects.bulk_create(
            items,
            update_conflicts=True,
            unique_fields=["content_id", "content_type"],
            update_fields=UPDATED_FIELDS,
        )


class ProgressBar:
    """A one-line progress bar on a terminal; a line every 10% anywhere else (logs, CI)."""

    def __init__(self, stream: TextIO, total: int, enabled: bool = True) -> None:
        self.stream = stream
        self.total = total
        self.enabled = enabled
        self.started = time.monotonic()
        self.tty = stream.isatty()
        self.last_decile = -1

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        fraction = done / self.total if self.total else 1.0
        elapsed = max(time.monotonic() - self.started, 1e-6)
        text = (
            f"[{'#' * int(fraction * 30):<30}] {fraction:4.0%} "
            f"{done:,}/{self.total:,} rows {done / elapsed:,.0f} rows/s"
        )
        if self.tty:
            self.stream.write(f"\r{text}")
            self.stream.flush()
        elif (decile := int(fraction * 10)) > self.last_decile:
            self.last_decile = decile
            self.stream.write(f"{text}\n")

    def close(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")


def import_backup(
    path: Path,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: TextIO | None = None,
    warn: TextIO | None = None,
    taken_at: datetime | None = None,
) -> ImportReport:
    """Import every readable row of the backup at `path`; return what happened.

    The import is a backup run of the history: objects whose content differs from their
    latest version get a new version as of `taken_at` (default: the file's newest
    synced_at), so importing daily files oldest first builds their history."""
    from restoration.backup.history import VersionRecorder, start_import_run

    report = ImportReport(path=str(path))
    started = time.monotonic()
    connection = open_backup(path)
    try:
        run = start_import_run(str(path.resolve()), taken_at or file_taken_at(connection, path))
    except ValueError as exc:
        connection.close()
        raise CommandError(str(exc)) from None
    recorder = VersionRecorder(run)
    report.backup_run = run.pk
    try:
        report.total = connection.execute("SELECT COUNT(*) FROM content_items").fetchone()[0]
        bar = ProgressBar(progress or sys.stderr, report.total, enabled=progress is not None)
        try:
            for rows in backup_batches(connection, batch_size):
                items = []
                for _rowid, *row in rows:
                    try:
                        item, data = item_from_row(tuple(row))
                        items.append(item)
                        if item.deleted_at is not None:
                            report.marked_deleted += 1
                        if item.content_type == ContentType.LOOK and look_lacks_query(data):
                            report.looks_without_query += 1
                    except BadRow as exc:
                        report.skip(str(exc))
                        if warn is not None:
                            warn.write(f"skipped: {exc}\n")
                # One transaction per batch: an interrupted import keeps the batches it
                # finished, and the next run (idempotent) completes it.
                with transaction.atomic():
                    report.changed += record_versions(recorder, items)
                    upsert(items)
                report.imported += len(items)
                report.rows_done += len(rows)
                report.through_rowid = rows[-1][0]
                if items:
                    report.first_item = report.first_item or item_label(items[0])
                    report.last_item = item_label(items[-1])
                bar.update(report.rows_done)
        except Exception as exc:
            bar.close()
            record(report, path, started, stopped=exc)
            raise ImportStopped(stopped_message(report, path, exc)) from exc
        bar.close()
        report.absent = absent_from_file(connection)
        run.finish("completed")
    except BaseException as exc:
        run.finish("failed", f"{type(exc).__name__}: {exc}")
        raise
    finally:
        connection.close()
    record(report, path, started)
    return report


def item_label(item: ContentItem) -> str:
    return f"{ContentType(item.content_type).label} {item.content_id}"


def stopped_message(report: ImportReport, path: Path, exc: Exception) -> str:
    failed_at = report.rows_done + 1
    if report.through_rowid is None:
        done = "Nothing was imported: no stored item changed."
    else:
        done = (
            f"Already imported: the file's first {report.rows_done:,} rows (up to rowid "
            f"{report.through_rowid}), so {report.imported:,} stored items were added or "
            f"overwritten, from {report.first_item} to {report.last_item}"
            + (
                f"; {report.skipped_count:,} unreadable rows were skipped"
                if report.skipped_count
                else ""
            )
            + ". No row after that changed; importing a sound copy again completes it."
        )
    return (
        f"The import of {path} stopped at row {failed_at:,} of {report.total:,}: "
        f"{type(exc).__name__}: {exc}. {done}"
    )


def record(
    report: ImportReport, path: Path, started: float, stopped: Exception | None = None
) -> None:
    report.seconds = time.monotonic() - started
    details: dict[str, Any] = {
        "file": str(path.resolve()),
        "rows": report.total,
        "skipped_count": report.skipped_count,
        "skipped": report.skipped,
        "looks_without_query": report.looks_without_query,
        "marked_deleted": report.marked_deleted,
        "absent_from_file": report.absent,
    }
    description = f"Imported {report.imported} items from {path.name}"
    if stopped is not None:
        description += f" before it stopped at row {report.rows_done + 1}"
        details.update(
            stopped=f"{type(stopped).__name__}: {stopped}",
            rows_done=report.rows_done,
            through_rowid=report.through_rowid,
            first_item=report.first_item,
            last_item=report.last_item,
        )
    AuditEvent.objects.create(
        action=AuditEvent.Action.IMPORT_BACKUP,
        description=description,
        count=report.imported,
        details=details,
    )


class Command(BaseCommand):
    help = (
        "Import a lookervault SQLite backup (content_items, schema v4) into the backup table. "
        "Re-importing updates items by (id, content_type); unreadable rows are reported and skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="Path of the lookervault .db file")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Rows read and written per batch (default {DEFAULT_BATCH_SIZE}).",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not draw the progress bar on stderr."
        )
        parser.add_argument(
            "--taken-at",
            help="When the file's backup was taken, for the history (ISO date-time; default: "
            "its newest synced_at). Import several files oldest first.",
        )

    def handle(self, *args: Any, file: Path, batch_size: int, no_progress: bool, **opts: Any):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        taken_at = None
        if opts.get("taken_at"):
            try:
                taken_at = parse_timestamp(opts["taken_at"], "--taken-at")
            except BadRow as exc:
                raise CommandError(str(exc)) from None
        report = import_backup(
            file,
            batch_size=batch_size,
            progress=None if no_progress else self.stderr._out,
            warn=self.stderr._out,
            taken_at=taken_at,
        )
        rate = report.total / report.seconds if report.seconds else 0
        self.stdout.write(
            f"Imported {report.imported:,} of {report.total:,} rows from {file} "
            f"in {report.seconds:.1f} s ({rate:,.0f} rows/s); backup run {report.backup_run}: "
            f"{report.changed:,} new or changed since the latest backup."
        )
        if report.looks_without_query:
            self.stdout.write(LOOKS_WITHOUT_QUERY.format(count=report.looks_without_query))
        if report.marked_deleted:
            self.stdout.write(MARKED_DELETED.format(count=report.marked_deleted))
        if report.absent:
            self.stdout.write(absent_summary(report.absent))
        if report.skipped_count:
            self.stderr.write(
                f"Skipped {report.skipped_count:,} unreadable row(s); they are listed above "
                "and in the audit log. Items already stored for them were left unchanged."
            )
