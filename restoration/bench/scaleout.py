"""`manage.py bench scaleout`: four concurrent sessions on two real clusters, two into
each of two Looker emulators, each emulator rate-limited like a Looker instance and its
looker.ini section giving the same limit.

Per destination it prints the observed calls per second against the instance's limit
(the average over the run and the most calls that arrived in any 1-s window), and the
429s the emulator answered; then the total throughput against the sum of the ceilings.
The last line printed is one JSON object with every figure.

It measures the scale-out layout, so it needs DATABASE_URL (PostgreSQL) and REDIS_URL:
`python -m tests.scaleout.services -- .venv/bin/python manage.py bench scaleout` runs it
on a throwaway PostgreSQL and Redis. It migrates that database and leaves its sessions in it.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Four sessions on two clusters into two rate-limited emulators: rate vs limit."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--limits", default="20,30", help="calls/s of the two instances (comma-separated)"
        )
        parser.add_argument("--latency-ms", type=int, default=20, help="emulator latency")
        parser.add_argument(
            "--seconds", type=float, default=10.0, help="target length of the run at the limits"
        )
        parser.add_argument("--workers", type=int, default=8, help="threads per session")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            from tests.scaleout import clusters as layout
        except ImportError as exc:
            raise CommandError(
                f"bench scaleout needs the repository's tests package: {exc}"
            ) from exc
        if not layout.on_postgres_and_redis():
            raise CommandError(
                "bench scaleout measures the PostgreSQL + Redis layout: set DATABASE_URL "
                "(postgres://...) and REDIS_URL, e.g. run it as "
                "`python -m tests.scaleout.services -- .venv/bin/python manage.py bench scaleout`"
            )
        limits = [float(x) for x in opts["limits"].split(",")]
        if len(limits) != 2 or min(limits) <= 0:
            raise CommandError("--limits takes two positive numbers, e.g. 20,30")
        call_command("migrate", verbosity=0)
        layout.flush_redis()
        with tempfile.TemporaryDirectory(prefix="bench-scaleout-") as tmp:
            figures = self.run(layout, Path(tmp), limits, opts)
        self.stdout.write(json.dumps(figures))

    def run(self, layout: Any, tmp: Path, limits: list[float], opts: dict[str, Any]) -> dict:
        from restoration.emulator import LookerEmulator
        from restoration.models import RestorationSession

        emulators, logs, nodes = [], [], []
        try:
            for limit in limits:
                emulator = LookerEmulator(seed=None).start(port=0)
                emulator.set_faults(latency_ms=opts["latency_ms"], rate_limit_per_second=limit)
                emulators.append(emulator)
                logs.append(layout.CallLog(emulator))
            sections = {f"dest{i + 1}": (emulators[i], limits[i]) for i in range(2)}
            ini = layout.write_looker_ini(tmp / "looker.ini", sections)
            for name in ("a", "b"):
                env = layout.cluster_env(tmp / name, ini, Q_WORKERS="2", LOG_LEVEL="WARNING")
                nodes.append(layout.ClusterProcess(name, env, tmp))
            for node in nodes:
                node.wait_serving(60)
            # Two sessions per destination, each with half the run's calls at the limit.
            plans = []
            for i, limit in enumerate(limits):
                per_session = max(20, int(limit * opts["seconds"] / 2))
                for j in range(2):
                    prefix = f"bench{i + 1}{'ab'[j]}-{int(time.time())}"
                    layout.seed_groups(per_session, prefix)
                    plans.append((f"dest{i + 1}", emulators[i], prefix))
            for log in logs:
                log.reset()
            started = time.monotonic()
            sessions = [
                layout.launch_groups(
                    section,
                    emulator.base_url,
                    layout.group_ids(prefix),
                    workers=opts["workers"],
                    per_second=1000,  # the session's own pace is not what is measured
                )
                for section, emulator, prefix in plans
            ]
            ids = [s.pk for s in sessions]

            def finished() -> bool:
                return not RestorationSession.objects.filter(
                    pk__in=ids, status__in=["pending", "running"]
                ).exists()

            if not layout.wait_for(finished, 60 + 4 * opts["seconds"], 0.25):
                raise CommandError(
                    "sessions did not finish:\n" + "\n".join(n.log_tail() for n in nodes)
                )
            wall = time.monotonic() - started
            worker_cluster = {str(pid): node.name for node in nodes for pid in node.worker_pids()}
            per_session = []
            for session in RestorationSession.objects.filter(pk__in=ids).order_by(
                "destination_section", "started_at"
            ):
                if session.status != "completed" or session.error_count:
                    raise CommandError(
                        f"session {session.pk} ended {session.status} with "
                        f"{session.error_count} failed: {session.last_error}"
                    )
                per_session.append(
                    {
                        "destination": session.destination_section,
                        "cluster": worker_cluster.get(session.worker.split(":")[1], "?"),
                        "items": session.success_count,
                        "api_calls": session.api_calls,
                        "seconds": round(
                            (session.completed_at - session.started_at).total_seconds(), 2
                        ),
                    }
                )
            destinations = []
            for i, (limit, log, emulator) in enumerate(zip(limits, logs, emulators, strict=True)):
                row = {
                    "destination": f"dest{i + 1}",
                    "limit_per_s": limit,
                    "calls": len(log.times),
                    "logins": len(log.login_times),
                    "creates": emulator.counters()["creates"].get("group", 0),
                    "observed_per_s": round(log.average_rate(), 2),
                    "max_calls_in_any_1s": log.max_in_window(1.0),
                    "server_429s": log.rejected_429,
                }
                row["observed_over_limit"] = round(row["observed_per_s"] / limit, 4)
                destinations.append(row)
            all_times = sorted(t for log in logs for t in log.times + log.login_times)
            span = all_times[-1] - all_times[0]
            total_rate = (len(all_times) - 1) / span if span > 0 else 0.0
            figures = {
                "latency_ms": opts["latency_ms"],
                "workers_per_session": opts["workers"],
                "sessions": per_session,
                "destinations": destinations,
                "total_calls": len(all_times),
                "total_calls_per_s": round(total_rate, 2),
                "sum_of_ceilings_per_s": sum(limits),
                "throughput_over_ceilings": round(total_rate / sum(limits), 4),
                "wall_s_launch_to_last_finish": round(wall, 2),
            }
        finally:
            for node in nodes:
                node.stop()
            for emulator in emulators:
                emulator.stop()
            layout.flush_redis()
        for s in figures["sessions"]:
            self.stdout.write(
                f"session into {s['destination']} on cluster {s['cluster']}: "
                f"{s['items']} items, {s['api_calls']} calls in {s['seconds']} s"
            )
        for d in figures["destinations"]:
            self.stdout.write(
                f"{d['destination']}: limit {d['limit_per_s']:g}/s, observed "
                f"{d['observed_per_s']}/s ({d['observed_over_limit']:.1%} of it), "
                f"max {d['max_calls_in_any_1s']} calls in any 1 s, {d['server_429s']} 429s, "
                f"{d['creates']} creates"
            )
        self.stdout.write(
            f"total: {figures['total_calls_per_s']} calls/s against ceilings summing to "
            f"{figures['sum_of_ceilings_per_s']:g}/s "
            f"({figures['throughput_over_ceilings']:.1%})"
        )
        return figures
