"""`manage.py bench pages`: median and p95 server time of every list page and of the
progress partial, measured in-process through the full middleware stack on the configured database.

Run `manage.py seed_bulk` first (1M ID mappings, 100k dead letters, 10k sessions).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client

from restoration.models import (
    DeadLetterItem,
    DryRunItem,
    IDMapping,
    RestorationSession,
    SessionKind,
    SessionStatus,
)

TARGET_PAGE_MS = 100
TARGET_PARTIAL_MS = 20


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


class Command(BaseCommand):
    help = "Print median and p95 server time of the list pages and the progress partial."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--runs", type=int, default=30, help="timed requests per page")

    def handle(self, *args, **options) -> None:
        session = RestorationSession.objects.filter(status=SessionStatus.RUNNING).first()
        if session is None or not IDMapping.objects.exists():
            raise CommandError("Nothing to measure: run `manage.py seed_bulk` first.")
        user, created = User.objects.get_or_create(username="bench-reader")
        if created:
            user.set_unusable_password()
            user.save()
            user.groups.add(Group.objects.get(name="Restore operators"))
        if not Path(settings.LOOKER_INI).exists():
            # The launch and backup forms read looker.ini: give them one (no secrets used).
            ini = Path(tempfile.mkdtemp()) / "looker.ini"
            ini.write_text(
                "[prod]\nbase_url=https://prod.looker.example.com\nclient_id=x\nclient_secret=y\n"
            )
            settings.LOOKER_INI = str(ini)
        client = Client(SERVER_NAME="localhost")
        client.force_login(user)

        middle_mapping = self.middle_pk(IDMapping)
        middle_dead_letter = self.middle_pk(DeadLetterItem)
        some_mapping = IDMapping.objects.filter(pk=middle_mapping).first()
        dead_letter = DeadLetterItem.objects.filter(pk=middle_dead_letter).first()
        htmx = {"HTTP_HX_REQUEST": "true"}
        pages = [
            ("home", "/", {}, TARGET_PAGE_MS),
            ("history", "/sessions/", {}, TARGET_PAGE_MS),
            (
                "history, failed, one destination",
                "/sessions/?status=failed&destination=https%3A%2F%2Fstaging.looker.example.com",
                {},
                TARGET_PAGE_MS,
            ),
            ("audit log", "/audit/", {}, TARGET_PAGE_MS),
            ("mappings", "/mappings/", {}, TARGET_PAGE_MS),
            (
                "mappings, load more at row 500k",
                f"/mappings/?after={middle_mapping}",
                htmx,
                TARGET_PAGE_MS,
            ),
            (
                "mappings, one type + destination",
                "/mappings/?type=1&destination=https%3A%2F%2Fdr.looker.example.com",
                {},
                TARGET_PAGE_MS,
            ),
            (
                "mappings, search a source id",
                f"/mappings/?q={some_mapping.source_id}",
                {},
                TARGET_PAGE_MS,
            ),
            (
                "mappings, search a destination id",
                f"/mappings/?q={some_mapping.destination_id}",
                {},
                TARGET_PAGE_MS,
            ),
            (
                "mappings, one session",
                f"/mappings/?session={some_mapping.session_id}",
                {},
                TARGET_PAGE_MS,
            ),
            ("dead letters", "/dead-letters/", {}, TARGET_PAGE_MS),
            (
                "dead letters, load more at row 50k",
                f"/dead-letters/?after={middle_dead_letter}",
                htmx,
                TARGET_PAGE_MS,
            ),
            (
                "dead letters, one error type",
                "/dead-letters/?error_type=ConnectionError",
                {},
                TARGET_PAGE_MS,
            ),
            (
                "dead letters, one session",
                f"/dead-letters/?session={dead_letter.session_id}",
                {},
                TARGET_PAGE_MS,
            ),
            ("dead letter detail", f"/dead-letters/{dead_letter.pk}/", {}, TARGET_PAGE_MS),
            ("backup", "/backup/", {}, TARGET_PAGE_MS),
            ("backup, search by name", "/backup/?q=revenue", {}, TARGET_PAGE_MS),
            ("session page", f"/sessions/{session.pk}/", {}, TARGET_PAGE_MS),
            ("progress partial (htmx poll)", f"/sessions/{session.pk}/", htmx, TARGET_PARTIAL_MS),
            ("home's running list (htmx poll)", "/running", htmx, TARGET_PARTIAL_MS),
            ("take a backup form", "/backup/new", {}, TARGET_PAGE_MS),
        ]
        plan = (
            RestorationSession.objects.filter(kind=SessionKind.DRY_RUN, metadata__bench="big plan")
            .order_by("-started_at")
            .first()
        )
        if plan is None:
            self.stdout.write("(no big dry-run plan: run `manage.py seed_bulk --only-plan`)")
        else:
            middle = DryRunItem.objects.filter(session=plan).order_by("position")[
                plan.planned_items // 2
            ]
            # The plan page's key: part (failures first), rank, id length, id, pk.
            part = 0 if middle.action == DryRunItem.Action.FAIL else 1
            key = (
                f"{part}~{middle.content_type_rank}~{len(middle.content_id)}"
                f"~{middle.content_id}~{middle.pk}"
            )
            pages += [
                (
                    f"dry-run plan ({plan.planned_items:,} rows)",
                    f"/sessions/{plan.pk}/",
                    {},
                    TARGET_PAGE_MS,
                ),
                ("dry-run plan, would fail", f"/sessions/{plan.pk}/?plan=fail", {}, TARGET_PAGE_MS),
                (
                    "dry-run plan, one type, all actions",
                    f"/sessions/{plan.pk}/?plan=all&type=1",
                    {},
                    TARGET_PAGE_MS,
                ),
                (
                    "dry-run plan, load more at the middle",
                    f"/sessions/{plan.pk}/?plan=all&after={key}",
                    htmx,
                    TARGET_PAGE_MS,
                ),
            ]
        self.stdout.write(
            f"database: {connection.vendor} ({connection.settings_dict['NAME']}); "
            f"{IDMapping.objects.order_by().count():,} mappings, "
            f"{DeadLetterItem.objects.order_by().count():,} dead letters, "
            f"{RestorationSession.objects.count():,} sessions; {options['runs']} runs each"
        )
        # On a busy machine wall time includes waiting for a CPU; the CPU column is this
        # process's own work (on SQLite that includes the queries; PostgreSQL's are not in it).
        self.stdout.write(
            f"{'page':<40} {'median ms':>10} {'p95 ms':>10} {'cpu ms':>8} {'target':>7}"
        )
        failures = 0
        for label, url, headers, target in pages:
            for _ in range(3):  # warm caches and connections
                self.get(client, url, headers)
            times, cpu_times = [], []
            for _ in range(options["runs"]):
                started, cpu_started = time.perf_counter(), time.process_time()
                self.get(client, url, headers)
                times.append((time.perf_counter() - started) * 1000)
                cpu_times.append((time.process_time() - cpu_started) * 1000)
            median = statistics.median(times)
            ok = median < target
            failures += not ok
            self.stdout.write(
                f"{label:<40} {median:>10.1f} {percentile(times, 95):>10.1f} "
                f"{statistics.median(cpu_times):>8.1f} {'<' + str(target):>7}{'' if ok else ' MISSED'}"
            )
        if failures:
            self.stdout.write(f"{failures} page(s) missed their median target")

    @staticmethod
    def middle_pk(model) -> int:
        low = model.objects.order_by("pk").values_list("pk", flat=True).first()
        high = model.objects.order_by("-pk").values_list("pk", flat=True).first()
        return (low + high) // 2

    @staticmethod
    def get(client: Client, url: str, headers: dict) -> None:
        response = client.get(url, **headers)
        if response.status_code not in (200, 286):
            raise CommandError(f"GET {url} answered {response.status_code}")
