"""`manage.py bench scaleout`: four concurrent sessions on two real clusters, two on
each of two Looker emulators, each emulator rate-limited like a Looker instance and its
looker.ini section giving the same limit.

One restore writes into a Looker at a time (issue 12), so the two sessions of an emulator
are a restore of groups into it and a backup taken of it meanwhile, as in
tests/scaleout/test_shared_rate_limit.py; both pace themselves by the instance's one
shared limit. Each backup reads a content type that no other session touches (roles of
the first emulator, boards of the second): the two emulators' objects, and the restores'
groups, never meet in the one backup table. Each session is sized to about half the
run's calls at its instance's limit.

Per destination it prints the observed calls per second against the instance's limit
(the average over the run, the average while both of its sessions ran, and the most calls
that arrived in any 1-s window), the 429s the emulator answered, and which clusters ran
its sessions (django-q2 decides; each session runs in a worker process of its own and
the pace is shared through Redis, so one cluster or two share it alike); then the total
throughput against the sum of the ceilings.
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
from django.test import override_settings

from restoration.content_types import ContentType


def _make_role(store: Any, name: str) -> None:
    from restoration.emulator.resources import roles

    roles.create_role(store, {"name": name})


def _make_board(store: Any, name: str) -> None:
    from restoration.emulator.resources import boards

    boards.create_board(store, {"title": name}, None)


# What the backup of each emulator reads: its type, the calls it makes per object (a role:
# its users and its groups; a board: the board), and how to make one in the emulator.
BACKED_UP = [(ContentType.ROLE, 2, _make_role), (ContentType.BOARD, 1, _make_board)]


class Command(BaseCommand):
    help = (
        "Four concurrent sessions on two clusters, a restore and a backup on each of two "
        "rate-limited emulators: rate vs limit."
    )

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
        from restoration.backup import ExtractionOptions, launch_extraction
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
            # Four workers each: a cluster may take three or four of the sessions from the
            # broker, and none may wait in its queue for a free worker.
            for name in ("a", "b"):
                env = layout.cluster_env(tmp / name, ini, Q_WORKERS="4", LOG_LEVEL="WARNING")
                nodes.append(layout.ClusterProcess(name, env, tmp))
            for node in nodes:
                node.wait_serving(60)
            # Per destination a restore of groups and a backup of that Looker, each with
            # about half the run's calls at the limit.
            restores, backups = [], []
            for i, (emulator, limit) in enumerate(zip(emulators, limits, strict=True)):
                calls = max(20, int(limit * opts["seconds"] / 2))
                prefix = f"bench{i + 1}-{int(time.time())}"
                layout.seed_groups(calls, prefix)
                restores.append((f"dest{i + 1}", emulator, prefix))
                content_type, calls_each, make = BACKED_UP[i]
                for n in range(max(1, calls // calls_each)):
                    make(emulator.store, f"bench {prefix} {n}")
                backups.append((f"dest{i + 1}", content_type))
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
                for section, emulator, prefix in restores
            ]
            with override_settings(LOOKER_INI=str(ini)):
                sessions += [
                    launch_extraction(
                        section,
                        ExtractionOptions(
                            types=[int(content_type)],
                            workers=opts["workers"],
                            rate_limit_per_second=1000,
                            rate_limit_per_minute=60000,
                        ),
                    )
                    for section, content_type in backups
                ]
            ids = [s.pk for s in sessions]

            # When each session was first seen running and first seen finished (every
            # 0.25 s): started_at is its launch, and a session may wait in a cluster's queue.
            ran_from: dict[str, float] = {}
            ran_to: dict[str, float] = {}

            def finished() -> bool:
                now = time.monotonic()
                statuses = dict(
                    RestorationSession.objects.filter(pk__in=ids).values_list("pk", "status")
                )
                for pk, status in statuses.items():
                    if status != "pending":
                        ran_from.setdefault(str(pk), now)
                    if status not in ("pending", "running"):
                        ran_to.setdefault(str(pk), now)
                return len(ran_to) == len(ids)

            if not layout.wait_for(finished, 60 + 4 * opts["seconds"], 0.25):
                raise CommandError(
                    "sessions did not finish:\n" + "\n".join(n.log_tail() for n in nodes)
                )
            wall = time.monotonic() - started
            worker_cluster = {str(pid): node.name for node in nodes for pid in node.worker_pids()}
            per_session = []
            spans: dict[str, list[tuple[float, float]]] = {}
            for session in RestorationSession.objects.filter(pk__in=ids).order_by(
                "destination_section", "kind"
            ):
                if session.status != "completed" or session.error_count:
                    raise CommandError(
                        f"session {session.pk} ended {session.status} with "
                        f"{session.error_count} failed: {session.last_error}"
                    )
                spans.setdefault(session.destination_section, []).append(
                    (ran_from[str(session.pk)], ran_to[str(session.pk)])
                )
                per_session.append(
                    {
                        "destination": session.destination_section,
                        "kind": session.kind,
                        "cluster": worker_cluster.get(session.worker.split(":")[1], "?"),
                        "items": session.success_count,
                        "api_calls": session.api_calls,
                        "seconds": round(
                            (session.completed_at - session.started_at).total_seconds(), 2
                        ),
                        "waited_s": round(ran_from[str(session.pk)] - started, 2),
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
                # While both sessions of this destination ran: the limit they share.
                both_from = max(start for start, _ in spans[row["destination"]])
                both_to = min(end for _, end in spans[row["destination"]])
                together = [t for t in log.times if both_from <= t <= both_to]
                row["seconds_both_ran"] = round(max(0.0, both_to - both_from), 2)
                row["observed_per_s_both_ran"] = (
                    round(len(together) / (both_to - both_from), 2)
                    if both_to - both_from >= 1.0
                    else None
                )
                row["clusters"] = sorted(
                    {s["cluster"] for s in per_session if s["destination"] == row["destination"]}
                )
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
                f"{s['kind']} on {s['destination']} by cluster {s['cluster']}: "
                f"{s['items']} items, {s['api_calls']} calls in {s['seconds']} s from its "
                f"launch, of which {s['waited_s']} s queued"
            )
        for d in figures["destinations"]:
            self.stdout.write(
                f"{d['destination']}: limit {d['limit_per_s']:g}/s, observed "
                f"{d['observed_per_s']}/s ({d['observed_over_limit']:.1%} of it; "
                f"{d['observed_per_s_both_ran']}/s in the {d['seconds_both_ran']} s both of "
                f"its sessions ran), "
                f"max {d['max_calls_in_any_1s']} calls in any 1 s, {d['server_429s']} 429s, "
                f"{d['creates']} creates, sessions on cluster(s) {'+'.join(d['clusters'])}"
            )
        self.stdout.write(
            f"total: {figures['total_calls_per_s']} calls/s against ceilings summing to "
            f"{figures['sum_of_ceilings_per_s']:g}/s "
            f"({figures['throughput_over_ceilings']:.1%})"
        )
        return figures
