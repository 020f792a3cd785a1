"""`manage.py bench history`: what keeping every version costs.

An emulator process serves `--seed` (default scale:5000: 5,000 dashboards, as many
Looks, and their folders, users and groups: over 10,000 objects). A child process with
its own temporary SQLite database then takes `--days` daily backups: day 1 full, day 2
full again (the full backup's time), the others incremental; before each day after
the first, `--change-percent` of the objects (dashboards and Looks, by title) are
changed through the API. It prints:

- stored bytes after all days relative to after one backup (goal <= 1.5x): the blob
  bytes (content_items plus content_blobs as stored, compressed) and the database's
  used pages;
- the time of an incremental backup (median) relative to a full one;
- the time to build a point-in-time plan (every entry of every type) for the middle
  day, next to the latest plan, and the child's peak RSS.

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from restoration.bench.extract import CLIENT_ID, CLIENT_SECRET, MANAGE, UNLIMITED, argparse_hidden
from restoration.bench.extract import Command as ExtractBench


class Command(BaseCommand):
    help = (
        "Benchmark the backup history: N daily backups with 1 in 100 objects changed a day; stored "
        "bytes, incremental vs full time, point-in-time plan build time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed", default="scale:5000", help="emulator seed (>= 10,000 objects)"
        )
        parser.add_argument("--days", type=int, default=30, help="daily backups to take")
        parser.add_argument(
            "--change-percent", type=float, default=1.0, help="percent of the objects changed a day"
        )
        parser.add_argument("--workers", type=int, default=8, help="extraction workers")
        parser.add_argument("--child", help=argparse_hidden())

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["child"]:
            self.stdout.write(json.dumps(run_child(json.loads(opts["child"]), self.stderr)))
            return
        if opts["days"] < 3:
            raise CommandError("--days must be at least 3 (two full backups, then incrementals)")
        with tempfile.TemporaryDirectory(prefix="bench-history-") as tmp:
            emulator, base_url = ExtractBench().start_emulator(Path(tmp), opts["seed"])
            try:
                ini = Path(tmp) / "looker.ini"
                ini.write_text(
                    f"[bench]\nbase_url={base_url}\nclient_id={CLIENT_ID}\n"
                    f"client_secret={CLIENT_SECRET}\nverify_ssl=false\ntimeout=60\n"
                )
                env = {
                    **os.environ,
                    "RESTOREADMIN_DATA_DIR": tmp,
                    "LOOKER_INI": str(ini),
                    "LOG_LEVEL": "WARNING",
                }
                env.pop("DATABASE_URL", None)
                spec = {key: opts[key] for key in ("seed", "days", "change_percent", "workers")}
                done = subprocess.run(
                    [sys.executable, str(MANAGE), "bench", "history", "--child", json.dumps(spec)],
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=None,  # the child's per-day lines show as it goes
                    text=True,
                    timeout=6 * 3600,
                )
            finally:
                emulator.terminate()
                emulator.wait(10)
        if done.returncode != 0:
            raise CommandError("bench history failed (see above)")
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        self.stdout.write(
            f"{figures['objects']:,} objects, {figures['days']} daily backups, "
            f"{figures['changed_per_day']} changed a day\n"
            f"stored blob bytes: one backup {figures['bytes_one_backup']:,}, after all "
            f"{figures['bytes_all_backups']:,} = {figures['bytes_ratio']:.3f}x (goal <= 1.5x)\n"
            f"database pages used: one backup {figures['db_one_backup']:,}, after all "
            f"{figures['db_all_backups']:,} = {figures['db_ratio']:.3f}x\n"
            f"versions: {figures['versions']:,}, stored blobs: {figures['stored_blobs']:,}\n"
            f"full backup {figures['full_s']:.1f} s, incremental (median) "
            f"{figures['incremental_s']:.1f} s = {figures['incremental_ratio']:.3f}x of a full\n"
            f"plan build for {figures['plan_items']:,} items: point in time "
            f"{figures['pit_plan_s']:.3f} s, latest {figures['latest_plan_s']:.3f} s\n"
            f"peak RSS {figures['peak_rss_mb']:.0f} MB"
        )
        self.stdout.write(json.dumps(figures))


def blob_bytes() -> int:
    from django.db.models import Sum

    from restoration.models import ContentItem
    from restoration.versions import ContentBlob

    items = ContentItem.objects.aggregate(n=Sum("content_size"))["n"] or 0
    kept = ContentBlob.objects.aggregate(n=Sum("stored_size"))["n"] or 0
    return items + kept


def used_database_bytes() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        page_size = cursor.execute("PRAGMA page_size").fetchone()[0]
        pages = cursor.execute("PRAGMA page_count").fetchone()[0]
        free = cursor.execute("PRAGMA freelist_count").fetchone()[0]
    return (pages - free) * page_size


def change_some(
    sdk: Any, ids: list[tuple[str, str]], count: int, day: int, rng: random.Random
) -> None:
    for kind, object_id in rng.sample(ids, count):
        title = f"Changed on day {day} ({kind} {object_id})"
        if kind == "dashboard":
            sdk.update_dashboard(object_id, body={"title": title})
        else:
            sdk.update_look(object_id, body={"title": title})


def run_child(spec: dict[str, Any], log: Any) -> dict[str, Any]:
    """The days of backups into a fresh database, measured."""
    from django.core.management import call_command

    from restoration.backup import ExtractionOptions, extract_instance
    from restoration.config import RestorationConfig
    from restoration.engine.plan import Plan
    from restoration.looker.instances import make_sdk
    from restoration.models import ContentItem
    from restoration.versions import BackupRun, ContentBlob, ContentVersion

    call_command("migrate", verbosity=0)
    sdk = make_sdk("bench")
    ids = [("dashboard", d.id) for d in sdk.all_dashboards(fields="id")] + [
        ("look", x.id) for x in sdk.all_looks(fields="id")
    ]
    rng = random.Random(15)
    durations: list[tuple[str, float]] = []
    bytes_one = db_one = objects = changed = 0
    for day in range(1, spec["days"] + 1):
        if day > 1:
            changed = max(1, round(objects * spec["change_percent"] / 100))
            change_some(sdk, ids, min(changed, len(ids)), day, rng)
        options = ExtractionOptions(
            workers=spec["workers"],
            incremental=day > 2,
            rate_limit_per_second=UNLIMITED,
            rate_limit_per_minute=UNLIMITED * 60,
        )
        started = time.perf_counter()
        session = extract_instance("bench", options)
        took = time.perf_counter() - started
        if session.status != "completed":
            raise RuntimeError(f"day {day}: backup {session.status}: {session.last_error}")
        kind = "first" if day == 1 else "full" if day == 2 else "incremental"
        durations.append((kind, took))
        if day == 1:
            objects = ContentItem.objects.count()
            bytes_one, db_one = blob_bytes(), used_database_bytes()
        log.write(
            f"day {day:>2}: {kind:<11} {took:6.1f} s, {session.updated_count} rewritten, "
            f"{ContentVersion.objects.count():,} versions\n"
        )
        log.flush()
    runs = list(BackupRun.objects.completed().order_by("taken_at"))
    middle = runs[len(runs) // 2]
    timings = {}
    for name, as_of in (("pit", middle.taken_at), ("latest", None)):
        plan = Plan(RestorationConfig(destination_instance="https://bench", as_of=as_of))
        started = time.perf_counter()
        planned = sum(plan.per_type().values())
        listed = sum(1 for t in plan.types() for _ in plan.entries(t))
        timings[name] = (time.perf_counter() - started, planned, listed)
    full = [t for kind, t in durations if kind == "full"][0]
    incremental = statistics.median(t for kind, t in durations if kind == "incremental")
    bytes_all, db_all = blob_bytes(), used_database_bytes()
    return {
        "seed": spec["seed"],
        "days": spec["days"],
        "objects": objects,
        "changed_per_day": changed,
        "bytes_one_backup": bytes_one,
        "bytes_all_backups": bytes_all,
        "bytes_ratio": round(bytes_all / bytes_one, 4),
        "db_one_backup": db_one,
        "db_all_backups": db_all,
        "db_ratio": round(db_all / db_one, 4),
        "versions": ContentVersion.objects.count(),
        "stored_blobs": ContentBlob.objects.count(),
        "first_s": round(durations[0][1], 2),
        "full_s": round(full, 2),
        "incremental_s": round(incremental, 2),
        "incremental_ratio": round(incremental / full, 4),
        "plan_items": timings["pit"][1],
        "pit_plan_s": round(timings["pit"][0], 4),
        "latest_plan_s": round(timings["latest"][0], 4),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
