"""`manage.py bench import`: how fast import_backup runs and how much memory it takes.

Generates a lookervault backup (default 100,000 rows of 20 KB blobs) in a temporary
folder, imports it in a child process into a fresh temporary SQLite database (or
the configured DATABASE_URL with --use-configured-database), and prints rows/s and
the child's peak RSS. The target is a peak RSS under 200 MB whatever the file size.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from restoration.content_types import ContentType
from restoration.management.commands.import_backup import BACKUP_COLUMNS

RSS_TARGET_MB = 200
TYPES = [t for t in ContentType if t != ContentType.EXPLORE]

LOOKERVAULT_SCHEMA = """
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
    PRIMARY KEY (id, content_type)
)
"""


def looker_object(n: int, content_type: ContentType, blob_bytes: int) -> dict[str, Any]:
    """A dashboard-shaped object of about blob_bytes: tiles with queries, as Looker sends."""
    tiles = []
    obj: dict[str, Any] = {"id": str(n), "title": f"{content_type.label} {n}", "tiles": tiles}
    size = 200
    while size < blob_bytes:
        i = len(tiles)
        tile = {
            "id": f"{n}-{i}",
            "title": f"Revenue by region {i} ({n})",
            "type": "looker_column",
            "query": {
                "model": "thelook",
                "view": "order_items",
                "fields": ["order_items.total_sale_price", "users.state", f"products.brand_{i}"],
                "filters": {"order_items.created_date": f"{i % 90} days", "users.country": "USA"},
                "sorts": ["order_items.total_sale_price desc"],
                "limit": "500",
            },
            "note_text": f"Owned by team {n % 17}; refreshed hourly.",
            "row": i // 4,
            "col": (i % 4) * 6,
        }
        tiles.append(tile)
        size += 340  # what one tile takes in MessagePack
    return obj


def generate_backup(path: Path, rows: int, blob_bytes: int) -> None:
    """Write a lookervault-shaped backup whose blobs are about blob_bytes long."""
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute(LOOKERVAULT_SCHEMA)
    insert = (
        f"INSERT INTO content_items ({', '.join(BACKUP_COLUMNS)}) "
        f"VALUES ({', '.join('?' for _ in BACKUP_COLUMNS)})"
    )

    def row(n: int) -> tuple[Any, ...]:
        content_type = TYPES[n % len(TYPES)]
        blob = msgspec.msgpack.encode(looker_object(n, content_type, blob_bytes))
        return (
            str(n),
            int(content_type),
            f"{content_type.label} {n}",
            str(n % 50),
            f"user{n % 50}@example.com",
            "2025-01-02T03:04:05",
            "2025-06-01T10:00:00",
            "2026-11-01T00:00:00",
            None,
            len(blob),
            blob,
            str(n % 200),
        )

    for start in range(0, rows, 1000):
        connection.executemany(insert, (row(n) for n in range(start, min(start + 1000, rows))))
        connection.commit()
    connection.close()


def run_child(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run manage.py args in a child; return (seconds, peak RSS in MB, output)."""
    started = time.monotonic()
    child = subprocess.Popen(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = child.stdout.read() if child.stdout else ""
    # wait4 gives this child's own rusage, not the max over every child we ran.
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    if child.returncode != 0:
        raise CommandError(f"manage.py {' '.join(args)} failed:\n{output}")
    return seconds, usage.ru_maxrss / 1024, output  # ru_maxrss is in KiB on Linux


class Command(BaseCommand):
    help = "Benchmark import_backup on a generated backup: prints rows/s and peak RSS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument("--blob-kb", type=int, default=20, help="Blob size in KB.")
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument(
            "--reimport", action="store_true", help="Also time a second import (all updates)."
        )
        parser.add_argument(
            "--use-configured-database",
            action="store_true",
            help="Import into DATABASE_URL instead of a fresh temporary SQLite database.",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        rows, blob_bytes = opts["rows"], opts["blob_kb"] * 1024
        with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
            backup = Path(tmp) / "backup.db"
            started = time.monotonic()
            generate_backup(backup, rows, blob_bytes)
            size_mb = backup.stat().st_size / 1e6
            self.stdout.write(
                f"Generated {rows:,} rows of {opts['blob_kb']} KB blobs "
                f"({size_mb:,.0f} MB) in {time.monotonic() - started:.1f} s"
            )
            env = {**os.environ, "RESTOREADMIN_DATA_DIR": str(Path(tmp) / "data")}
            if not opts["use_configured_database"]:
                env.pop("DATABASE_URL", None)
            run_child(["migrate", "--verbosity", "0", "--skip-checks"], env)
            command = ["import_backup", str(backup), "--no-progress", "--skip-checks"]
            if opts["batch_size"]:
                command += ["--batch-size", str(opts["batch_size"])]
            runs = ["first import (inserts)"] + (
                ["re-import (updates)"] if opts["reimport"] else []
            )
            for label in runs:
                seconds, rss_mb, output = run_child(command, env)
                verdict = "within" if rss_mb < RSS_TARGET_MB else "OVER"
                self.stdout.write(
                    f"{label}: {rows:,} rows in {seconds:.1f} s = {rows / seconds:,.0f} rows/s "
                    f"({size_mb / seconds:,.0f} MB/s); peak RSS {rss_mb:.0f} MB "
                    f"({verdict} the {RSS_TARGET_MB} MB target)"
                )
                if f"Imported {rows:,} of {rows:,}" not in output:
                    raise CommandError(f"the import did not take every row:\n{output}")
