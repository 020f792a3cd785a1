"""`manage.py bench restore`: how close a restore runs to the rate it is allowed.

Each run happens in a child process with its own temporary SQLite database, against
a Looker emulator in a process of its own (`manage.py looker_emulator`), so the child's
CPU time is the engine's alone. The emulator gets latency L and a server rate limit R;
the session runs W workers under the same R. For each run the ceiling is
min(R, W / L) calls/s and efficiency = achieved calls/s / ceiling.
The last line printed is one JSON object with every figure.

`--mix SEED` measures a realistic mix instead: the emulator's "demo" or "scale:N"
content (users to schedules, dashboards with tiles and filters) backed up and restored
into an empty instance one type at a time, reporting API calls per item by type against
the writes each type needed; then the same restore again, unchanged, type by type (each
session pays its login and listings) and in one session of all types, across instances
and into the instance the backup came from: an unchanged re-run's calls per item, whose
goal is < 0.1 (issue 11).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from restoration.bench import figures_from_child
from restoration.emulator.process import control, free_port, wait_until_up

MANAGE = Path(settings.BASE_DIR) / "manage.py"
CLIENT_ID, CLIENT_SECRET = "bench", "bench-secret"


class Command(BaseCommand):
    help = "Benchmark restore throughput, API calls per item, engine CPU, checkpoint bytes, RSS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workers", default="1,8,32", help="comma-separated worker counts")
        parser.add_argument("--latency-ms", default="20,100", help="comma-separated latencies")
        parser.add_argument(
            "--rate", default="100,10", help="comma-separated rate limits (calls/s)"
        )
        parser.add_argument(
            "--seconds", type=float, default=5.0, help="target length of each run at its ceiling"
        )
        parser.add_argument(
            "--cpu-items", type=int, default=2000, help="items of the L=0 CPU run (0: skip)"
        )
        parser.add_argument(
            "--rss-items", type=int, default=0, help="items of the memory run (e.g. 100000)"
        )
        parser.add_argument("--cpu-workers", type=int, default=1, help="workers of the CPU run")
        parser.add_argument(
            "--skip-matrix", action="store_true", help="only the CPU and memory runs"
        )
        parser.add_argument(
            "--mix",
            metavar="SEED",
            help='only the realistic-mix run, on the emulator seed "demo" or "scale:N"',
        )
        parser.add_argument("--child", help=argparse_hidden())

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["child"]:
            spec = json.loads(opts["child"])
            result = run_mix_child(spec) if "mix" in spec else run_child(spec)
            self.stdout.write(json.dumps(result))
            return
        if opts["mix"]:
            self.report_mix(self.child({"mix": opts["mix"]}))
            return
        runs = []
        for rate in [] if opts["skip_matrix"] else [int(x) for x in opts["rate"].split(",")]:
            for latency in [int(x) for x in opts["latency_ms"].split(",")]:
                for workers in [int(x) for x in opts["workers"].split(",")]:
                    ceiling = min(rate, workers / (latency / 1000)) if latency else rate
                    items = max(100, int(ceiling * opts["seconds"]))
                    runs.append(
                        self.run(
                            {
                                "items": items,
                                "workers": workers,
                                "latency_ms": latency,
                                "rate": rate,
                            }
                        )
                    )
        cpu = None
        if opts["cpu_items"]:
            cpu = self.run(
                {
                    "items": opts["cpu_items"],
                    "workers": opts["cpu_workers"],
                    "latency_ms": 0,
                    "rate": 0,
                }
            )
        rss = None
        if opts["rss_items"]:
            rss = self.run({"items": opts["rss_items"], "workers": 16, "latency_ms": 0, "rate": 0})
        limited = [r for r in runs if r["rate"]]
        figures = {
            "runs": runs,
            "min_efficiency": min((r["efficiency"] for r in limited), default=None),
            "min_items_phase_efficiency": min(
                (r["items_phase_efficiency"] for r in limited), default=None
            ),
            "min_efficiency_vs_bare_calls": min(
                (r["efficiency_vs_bare_calls"] for r in limited), default=None
            ),
            "max_calls_per_min_write": max((r["calls_per_min_write"] for r in runs), default=None),
            "cpu_ms_per_item": cpu["cpu_ms_per_item"] if cpu else None,
            "cpu_run": cpu,
            "rss_run": rss,
            "peak_rss_mb_100k": rss["peak_rss_mb"] if rss else None,
        }
        self.stdout.write(json.dumps(figures))

    def report_mix(self, result: dict[str, Any]) -> None:
        for name, row in result["by_type"].items():
            self.stdout.write(
                f"{name:<16} items={row['items']:>6} calls/item={row['calls_per_item']:>7.3f} "
                f"writes/item={row['writes_per_item']:>7.3f} "
                f"calls/write={row['calls_per_write'] if row['calls_per_write'] is not None else '-':>6} "
                f"re-run calls/item={row['rerun_calls_per_item']:.3f}"
            )
        self.stdout.write(
            f"all              items={result['items']:>6} calls/item={result['calls_per_item']:.3f} "
            f"writes/item={result['writes_per_item']:.3f} "
            f"re-run calls/item={result['rerun_calls_per_item']:.3f} "
            f"(re-run writes {result['rerun_writes']}, one session per type)"
        )
        self.stdout.write(
            f"unchanged re-run, one session: across instances calls/item="
            f"{result['rerun_one_session_calls_per_item']:.3f} "
            f"(writes {result['rerun_one_session']['writes']}); into the instance it came "
            f"from calls/item={result['same_instance_rerun_calls_per_item']:.3f} "
            f"(writes {result['same_instance_rerun_writes']}; its first session, which "
            f"compares in full: {result['same_instance_first_calls_per_item']:.3f}, "
            f"writes {result['same_instance_first_writes']}). Goal < 0.1"
        )
        self.stdout.write(json.dumps(result))

    def run(self, spec: dict[str, Any]) -> dict[str, Any]:
        result = self.child(spec)
        self.stdout.write(
            f"W={spec['workers']:>2} L={spec['latency_ms']:>3}ms R={spec['rate'] or '-':>3}/s "
            f"items={result['items']:>6} calls/item={result['api_calls_per_item']:.3f} "
            f"wall={result['wall_s']:.2f}s achieved={result['achieved_calls_per_s']:.1f}/s "
            f"efficiency={result['efficiency'] if result['efficiency'] is not None else '-'} "
            f"(items phase {result['items_phase_efficiency'] or '-'}, "
            f"startup {result['startup_s']:.2f}s) "
            f"(vs bare SDK calls of {result['bare_call_ms']:.1f}ms: "
            f"{result['efficiency_vs_bare_calls']}) "
            f"cpu={result['cpu_ms_per_item']:.3f}ms/item rss={result['peak_rss_mb']:.0f}MB"
        )
        return result

    def child(self, spec: dict[str, Any]) -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="bench-restore-") as tmp:
            return figures_from_child("restore", spec, tmp, log_level="WARNING")


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


def bare_call_seconds(calls: int = 30) -> float:
    """Mean wall time of a bare SDK call (`me`) from one client, without the engine."""
    from restoration.looker.instances import make_sdk

    sdk = make_sdk("bench")
    sdk.me()  # log in first
    start = time.perf_counter()
    for _ in range(calls):
        sdk.me()
    elapsed = (time.perf_counter() - start) / calls
    sdk.auth.logout()
    return elapsed


class ItemPhase:
    """When the session's first item started and its last item ended (perf_counter)."""

    def __init__(self) -> None:
        self.first_start = float("inf")
        self.last_end = 0.0

    @contextmanager
    def watching(self):
        from restoration.engine.restorer import Restorer

        original = Restorer.restore
        phase = self

        def restore(self, entry, blob):
            phase.first_start = min(phase.first_start, time.perf_counter())
            try:
                return original(self, entry, blob)
            finally:
                phase.last_end = max(phase.last_end, time.perf_counter())

        Restorer.restore = restore
        try:
            yield self
        finally:
            Restorer.restore = original


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    """One measured restore of `items` boards (a simple item: one write each; the emulator
    creates a board without scanning the others, so large runs measure the engine)."""
    from restoration.config import RestorationConfig
    from restoration.content_types import ContentType
    from restoration.engine import run_session
    from restoration.models import ContentItem, RestorationSession, encode_blob

    call_command("migrate", verbosity=0)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    emulator = subprocess.Popen(
        [
            sys.executable,
            str(MANAGE),
            "looker_emulator",
            "--port",
            str(port),
            "--client-id",
            CLIENT_ID,
            "--client-secret",
            CLIENT_SECRET,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        try:
            wait_until_up(base_url, emulator, timeout=30)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
        control(base_url, "faults", {"latency_ms": spec["latency_ms"]})
        Path(os.environ["LOOKER_INI"]).write_text(
            f"[bench]\nbase_url={base_url}\nclient_id={CLIENT_ID}\n"
            f"client_secret={CLIENT_SECRET}\nverify_ssl=false\ntimeout=30\n"
        )
        items = spec["items"]
        rows = (
            ContentItem(
                content_type=ContentType.BOARD,
                content_id=str(i),
                name=f"bench board {i}",
                content_data=encode_blob({"id": str(i), "title": f"bench board {i}"}),
            )
            for i in range(1, items + 1)
        )
        batch: list[ContentItem] = []
        for row in rows:
            batch.append(row)
            if len(batch) == 5000:
                ContentItem.objects.bulk_create(batch)
                batch = []
        ContentItem.objects.bulk_create(batch)
        rate = spec["rate"] or 1_000_000
        config = RestorationConfig(
            workers=spec["workers"],
            rate_limit_per_second=rate,
            rate_limit_per_minute=rate * 60,
            content_types=[ContentType.BOARD],
            source_instance="http://bench-source.invalid",
            destination_instance=base_url,
        )
        session = RestorationSession.objects.launch(config, destination_section="bench")
        floor_s = bare_call_seconds()  # before the server's rate limit is switched on
        if spec["rate"]:
            control(base_url, "faults", {"rate_limit_per_second": spec["rate"]})
        control(base_url, "counters/reset", {})
        phase = ItemPhase()
        cpu0, t0 = time.process_time(), time.perf_counter()
        with phase.watching():
            run_session(session.pk)
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        session.refresh_from_db()
        counters = control(base_url, "counters")
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    if session.status != "completed" or session.success_count != items:
        raise CommandError(
            f"bench session ended {session.status} with {session.success_count}/{items} restored: "
            f"{session.last_error}"
        )
    writes = counters.get("writes", 0)
    calls = session.api_calls
    latency = spec["latency_ms"] / 1000
    ceiling = (
        min(spec["rate"], spec["workers"] / latency)
        if spec["rate"] and latency
        else (spec["rate"] or None)
    )
    achieved = calls / wall
    # What one bare SDK call costs against this emulator (latency + HTTP + server work):
    # no engine can beat W / floor, whatever L says.
    floor_ceiling = min(spec["rate"] or 1e12, spec["workers"] / floor_s)
    meta = session.metadata or {}
    # The item phase: from the first item's start to the last item's end. Before it the
    # session makes a few serial calls (login, the credential check, the destination's
    # listing): about 3 x L of fixed cost, 6% of a 5-s run at L=100 ms, nothing in a
    # restore of minutes. Its efficiency is the sustained one the engine achieves.
    items_s = max(1e-9, phase.last_end - phase.first_start)
    items_efficiency = round(items / items_s / ceiling, 4) if ceiling else None
    return {
        **spec,
        "api_calls": calls,
        "api_calls_per_item": round(calls / items, 4),
        "min_writes_per_item": round(writes / items, 4),
        "calls_per_min_write": round((calls / items) / max(writes / items, 1e-9), 4),
        "wall_s": round(wall, 3),
        "achieved_calls_per_s": round(achieved, 2),
        "ceiling_calls_per_s": ceiling,
        "efficiency": round(achieved / ceiling, 4) if ceiling else None,
        "startup_s": round(phase.first_start - t0, 3),
        "items_phase_s": round(items_s, 3),
        "items_phase_efficiency": items_efficiency,
        "bare_call_ms": round(floor_s * 1000, 3),
        "efficiency_vs_bare_calls": round(achieved / floor_ceiling, 4),
        "cpu_ms_per_item": round(cpu * 1000 / items, 4),
        "checkpoint_bytes": meta.get("checkpoint_bytes"),
        "checkpoint_bytes_per_item": round((meta.get("checkpoint_bytes") or 0) / items, 3),
        "checkpoint_max_bytes": meta.get("checkpoint_max_bytes"),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rate_limited_429s": (meta.get("calls") or {}).get("rate_limited", 0),
        "retries": (meta.get("calls") or {}).get("retries", 0),
    }


def start_emulator(seed: str | None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [sys.executable, str(MANAGE), "looker_emulator", "--port", str(port)]
    command += ["--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET]
    if seed:
        command += ["--seed", seed]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(base_url, process, timeout=120)
    except RuntimeError as exc:
        process.terminate()
        raise CommandError(str(exc)) from None
    return process, base_url


def run_mix_child(spec: dict[str, Any]) -> dict[str, Any]:
    """The realistic mix: back up the seeded source, restore it into an empty destination
    one type at a time (so each type's calls and writes are its own), then again."""
    from restoration.backup import ExtractionOptions, extract_instance
    from restoration.config import RestorationConfig
    from restoration.content_types import DEPENDENCY_ORDER, ContentType
    from restoration.engine import run_session
    from restoration.models import ContentItem, RestorationSession

    call_command("migrate", verbosity=0)
    source, source_url = start_emulator(spec["mix"])
    destination, destination_url = start_emulator(None)
    try:
        Path(os.environ["LOOKER_INI"]).write_text(
            "".join(
                f"[{name}]\nbase_url={url}\nclient_id={CLIENT_ID}\n"
                f"client_secret={CLIENT_SECRET}\nverify_ssl=false\ntimeout=60\n"
                for name, url in (("source", source_url), ("destination", destination_url))
            )
        )
        fast = {"workers": 8, "rate_limit_per_second": 100000, "rate_limit_per_minute": 6000000}
        backup = extract_instance("source", ExtractionOptions(**fast))
        if backup.status != "completed":
            raise CommandError(f"backup failed: {backup.last_error}")
        by_type: dict[str, dict[str, Any]] = {}
        for rerun in (False, True):
            for content_type in DEPENDENCY_ORDER:
                items = ContentItem.objects.of_type(content_type).active().count()
                if not items:
                    continue
                config = RestorationConfig(
                    **fast,
                    content_types=[content_type],
                    source_instance=source_url,
                    destination_instance=destination_url,
                )
                session = RestorationSession.objects.launch(
                    config, destination_section="destination", source_section="source"
                )
                control(destination_url, "counters/reset", {})
                run_session(session.pk)
                session.refresh_from_db()
                counters = control(destination_url, "counters")
                writes = counters.get("writes", 0)
                row = by_type.setdefault(ContentType(content_type).label, {"items": items})
                if rerun:
                    row["rerun_calls"] = session.api_calls
                    row["rerun_writes"] = writes
                    row["rerun_calls_per_item"] = round(session.api_calls / items, 4)
                    row["rerun_by_endpoint"] = counters.get("calls", {})
                else:
                    row.update(
                        calls=session.api_calls,
                        writes=writes,
                        failed=session.error_count,
                        calls_per_item=round(session.api_calls / items, 4),
                        writes_per_item=round(writes / items, 4),
                        calls_per_write=round(session.api_calls / writes, 4) if writes else None,
                        by_endpoint=counters.get("calls", {}),
                    )

        def one_session(section: str, url: str) -> dict[str, Any]:
            """Every type in one session, as ops staff run a restore: calls per item with
            the session's fixed cost (login, listings) spread over all its items."""
            session = RestorationSession.objects.launch(
                RestorationConfig(**fast, source_instance=source_url, destination_instance=url),
                destination_section=section,
                source_section="source",
            )
            control(url, "counters/reset", {})
            run_session(session.pk)
            session.refresh_from_db()
            counters = control(url, "counters")
            return {
                "calls": session.api_calls,
                "items": session.total_items,
                "calls_per_item": round(session.api_calls / max(1, session.total_items), 4),
                "writes": counters.get("writes", 0),
                "failed": session.error_count,
                "by_endpoint": counters.get("calls", {}),
            }

        # Unchanged again, all types in one session across instances.
        across = one_session("destination", destination_url)
        # The same backup into the instance it came from, unchanged: the first session
        # compares in full (no mappings yet for that pair) and records; the second is
        # the unchanged re-run.
        same_first = one_session("source", source_url)
        same = one_session("source", source_url)
    finally:
        for process in (source, destination):
            process.terminate()
            process.wait(timeout=10)
    total = sum(r["items"] for r in by_type.values())
    calls = sum(r["calls"] for r in by_type.values())
    writes = sum(r["writes"] for r in by_type.values())
    rerun_calls = sum(r["rerun_calls"] for r in by_type.values())
    return {
        "mix": spec["mix"],
        "by_type": by_type,
        "items": total,
        "calls_per_item": round(calls / total, 4),
        "writes_per_item": round(writes / total, 4),
        "calls_per_write": round(calls / writes, 4) if writes else None,
        "rerun_calls_per_item": round(rerun_calls / total, 4),
        "rerun_writes": sum(r["rerun_writes"] for r in by_type.values()),
        "failed": sum(r["failed"] for r in by_type.values()),
        "rerun_one_session": across,
        "rerun_one_session_calls_per_item": across["calls_per_item"],
        "same_instance_first_calls_per_item": same_first["calls_per_item"],
        "same_instance_first_writes": same_first["writes"],
        "same_instance_rerun": same,
        "same_instance_rerun_calls_per_item": same["calls_per_item"],
        "same_instance_rerun_writes": same["writes"],
    }
