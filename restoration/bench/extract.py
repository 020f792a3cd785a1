"""`manage.py bench extract`: how fast a backup reads an instance, against its ceiling.

An emulator process serves `--seed` (default scale:2000, 2000 dashboards and as many
Looks) with injected latency L and, when --rate is given, a server rate limit R; each
measured extraction runs in a child process with its own temporary database and W
workers under the same session limit R. The ceiling of a run is min(R, W / L) API
calls per second (W / L without a rate); items/s ceiling = that / calls per item.
Each run also reports the client's CPU per item and the items/s that CPU alone would
allow (the SDK's parsing holds the GIL), and the machine's load average: on a shared
2-core machine the emulator and other work compete for the same cores.
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from restoration.bench import figures_from_child
from restoration.emulator.process import control, free_port, wait_until_up

MANAGE = Path(settings.BASE_DIR) / "manage.py"
CLIENT_ID, CLIENT_SECRET = "bench", "bench-secret"
UNLIMITED = 1_000_000


class Command(BaseCommand):
    help = "Benchmark extraction: items/s and API calls/s with 1 and 8 workers vs min(R, W/L)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", default="scale:2000", help="emulator seed to extract")
        parser.add_argument("--workers", default="1,8", help="comma-separated worker counts")
        parser.add_argument("--latency-ms", type=float, default=20.0, help="injected latency")
        parser.add_argument(
            "--rate",
            type=int,
            default=0,
            help="session and server limit in calls/s (0: no limit, the ceiling is W/L)",
        )
        parser.add_argument("--types", default="", help="comma-separated types (default: all)")
        parser.add_argument("--child", help=argparse_hidden())

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["child"]:
            self.stdout.write(json.dumps(run_child(json.loads(opts["child"]))))
            return
        with tempfile.TemporaryDirectory(prefix="bench-extract-") as tmp:
            emulator, base_url = self.start_emulator(Path(tmp), opts["seed"])
            try:
                runs = []
                for workers in [int(w) for w in opts["workers"].split(",")]:
                    faults = {"clear": True, "latency_ms": opts["latency_ms"]}
                    if opts["rate"]:
                        faults["rate_limit_per_second"] = opts["rate"]
                    control(base_url, "faults", faults, timeout=30)
                    spec = {
                        "base_url": base_url,
                        "workers": workers,
                        "rate": opts["rate"],
                        "latency_ms": opts["latency_ms"],
                        "types": opts["types"],
                    }
                    runs.append(self.run(spec))
            finally:
                emulator.terminate()
                emulator.wait(10)
        figures = {"seed": opts["seed"], "latency_ms": opts["latency_ms"], "rate": opts["rate"]}
        figures["runs"] = runs
        self.stdout.write(json.dumps(figures))

    def start_emulator(self, tmp: Path, seed: str) -> tuple[subprocess.Popen, str]:
        port = free_port()
        env = {**os.environ, "RESTOREADMIN_DATA_DIR": str(tmp / "emulator"), "LOG_LEVEL": "WARNING"}
        process = subprocess.Popen(
            [
                sys.executable,
                str(MANAGE),
                "looker_emulator",
                "--port",
                str(port),
                "--seed",
                seed,
                "--client-id",
                CLIENT_ID,
                "--client-secret",
                CLIENT_SECRET,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base_url, process, timeout=300)  # a big seed takes a while to build
        except RuntimeError as exc:
            process.terminate()
            raise CommandError(str(exc)) from None
        return process, base_url

    def run(self, spec: dict[str, Any]) -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="bench-extract-run-") as tmp:
            ini = Path(tmp) / "looker.ini"
            ini.write_text(
                f"[bench]\nbase_url={spec['base_url']}\nclient_id={CLIENT_ID}\n"
                f"client_secret={CLIENT_SECRET}\nverify_ssl=false\ntimeout=60\n"
            )
            result = figures_from_child("extract", spec, tmp, ini=ini, log_level="WARNING")
        self.stdout.write(
            f"W={result['workers']:>2} L={result['latency_ms']:g}ms "
            f"R={result['rate'] or '-'}/s items={result['items']} "
            f"calls={result['api_calls']} ({result['calls_per_item']:.3f}/item) "
            f"wall={result['wall_s']:.1f}s items/s={result['items_per_s']:.1f} "
            f"calls/s={result['calls_per_s']:.1f} ceiling={result['ceiling_calls_per_s']:.1f} "
            f"calls/s ({result['ceiling_items_per_s']:.1f} items/s) "
            f"efficiency={result['efficiency']:.3f} 429s={result['rate_limited']} "
            f"cpu={result['cpu_ms_per_item']:.2f}ms/item "
            f"(client CPU bound {result['cpu_bound_items_per_s']} items/s) "
            f"load={result['load_average']:.1f}"
        )
        return result


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    """One measured extraction into a fresh database."""
    from django.core.management import call_command

    from restoration.backup import ExtractionOptions, extract_instance
    from restoration.backup.readers import EXTRACTABLE_TYPES
    from restoration.management.commands.extract import parse_types

    call_command("migrate", verbosity=0)
    rate = spec["rate"] or UNLIMITED
    options = ExtractionOptions(
        types=parse_types([spec["types"]])
        if spec["types"]
        else [int(t) for t in EXTRACTABLE_TYPES],
        workers=spec["workers"],
        rate_limit_per_second=rate,
        rate_limit_per_minute=rate * 60,
    )
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    session = extract_instance("bench", options)
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    if session.status != "completed":
        raise RuntimeError(f"extraction {session.status}: {session.last_error}")
    items = session.total_items
    calls = session.api_calls
    latency_s = spec["latency_ms"] / 1000
    ceiling = spec["workers"] / latency_s if latency_s else float("inf")
    if spec["rate"]:
        ceiling = min(ceiling, spec["rate"])
    calls_per_s = calls / wall
    calls_per_item = calls / items if items else 0.0
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    return {
        "workers": spec["workers"],
        "latency_ms": spec["latency_ms"],
        "rate": spec["rate"],
        "items": items,
        "errors": session.error_count,
        "api_calls": calls,
        "calls_per_item": round(calls_per_item, 4),
        "rate_limited": (session.metadata or {}).get("api", {}).get("rate_limited", 0),
        "wall_s": round(wall, 3),
        "items_per_s": round(items / wall, 2),
        "calls_per_s": round(calls_per_s, 2),
        "ceiling_calls_per_s": round(ceiling, 2),
        "ceiling_items_per_s": round(ceiling / calls_per_item, 2) if calls_per_item else None,
        "efficiency": round(calls_per_s / ceiling, 4),
        "cpu_ms_per_item": round(1000 * cpu / items, 3) if items else 0.0,
        # The client's own bound: the SDK's parsing holds the GIL, so one core's worth.
        "cpu_bound_items_per_s": round(items / cpu, 1) if cpu else None,
        "load_average": os.getloadavg()[0],
    }
