"""Fill the database with production-sized history for benchmarks: 1M ID mappings,
100k dead letters, 10k sessions (and a backup, an audit log and a 100k-row dry-run plan
to browse)."""

from __future__ import annotations

import random
import time
from datetime import timedelta

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from restoration.content_types import DEPENDENCY_ORDER
from restoration.models import (
    AuditAction,
    AuditEvent,
    ContentItem,
    DeadLetterItem,
    DryRunItem,
    IDMapping,
    RestorationCheckpoint,
    RestorationSession,
    SessionKind,
    SessionStatus,
    encode_blob,
)

BATCH = 5000
SOURCE = "https://prod.looker.example.com"
DESTINATIONS = ("https://staging.looker.example.com", "https://dr.looker.example.com")
ERROR_TYPES = (
    ("LookerValidationError", 422, "title: must be unique within the folder"),
    ("LookerNotFound", 404, "The folder this dashboard lives in does not exist"),
    ("ConnectionError", None, "Connection reset by peer"),
    ("LookerServerError", 500, "Internal server error"),
    ("LookerConflict", 409, "An object with this name already exists"),
)


class Command(BaseCommand):
    help = "Seed 1M ID mappings, 100k dead letters and 10k sessions (sizes adjustable) for bench_pages."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--mappings", type=int, default=1_000_000)
        parser.add_argument("--dead-letters", type=int, default=100_000)
        parser.add_argument("--sessions", type=int, default=10_000)
        parser.add_argument("--content", type=int, default=20_000, help="backup rows")
        parser.add_argument("--audit-events", type=int, default=5_000)
        parser.add_argument(
            "--plan-items", type=int, default=100_000, help="rows of one big dry-run plan"
        )
        parser.add_argument(
            "--only-plan",
            action="store_true",
            help="add just the big dry-run plan to an already seeded database",
        )
        parser.add_argument(
            "--force", action="store_true", help="seed even when the tables already hold rows"
        )

    def handle(self, *args, **options) -> None:
        self.rng = random.Random(20261126)
        if options["only_plan"]:
            self.timed("dry-run plan rows", self.seed_plan, options["plan_items"])
            return
        if not options["force"] and (
            RestorationSession.objects.exists() or IDMapping.objects.exists()
        ):
            raise CommandError(
                "The database already holds sessions or mappings; use a fresh "
                "RESTOREADMIN_DATA_DIR, or --force to add to them."
            )
        self.rng = random.Random(20261126)
        users = self.users()
        sessions = self.timed("sessions", self.seed_sessions, options["sessions"], users)
        self.timed("backup rows", self.seed_content, options["content"])
        self.timed("dead letters", self.seed_dead_letters, options["dead_letters"], sessions)
        self.timed("ID mappings", self.seed_mappings, options["mappings"], sessions)
        self.timed("audit events", self.seed_audit, options["audit_events"], users, sessions)
        self.timed("dry-run plan rows", self.seed_plan, options["plan_items"])

    def seed_plan(self, n: int) -> int:
        """One finished dry run whose plan has n rows: mostly skips, some updates with a
        diff, a few creates and failures, spread over the types in dependency order."""
        now = timezone.now()
        session = RestorationSession.objects.create(
            started_at=now - timedelta(minutes=5),
            completed_at=now,
            status=SessionStatus.COMPLETED,
            kind=SessionKind.DRY_RUN,
            destination_instance=DESTINATIONS[0],
            source_instance=SOURCE,
            destination_section="staging",
            source_section="prod",
            config={"workers": 8, "dry_run": True, "destination_instance": DESTINATIONS[0]},
            metadata={"plan": {"per_type": {}}, "bench": "big plan"},
            planned_items=n,
            total_items=n,
        )
        actions = ["skip"] * 70 + ["update"] * 20 + ["create"] * 8 + ["fail"] * 2
        per_type = max(1, n // len(DEPENDENCY_ORDER))
        batch = []
        for i in range(n):
            content_type = DEPENDENCY_ORDER[min(i // per_type, len(DEPENDENCY_ORDER) - 1)]
            action = actions[self.rng.randrange(len(actions))]
            batch.append(
                DryRunItem(
                    session=session,
                    content_type=int(content_type),
                    content_type_rank=DEPENDENCY_ORDER.index(content_type) + 1,
                    position=i,
                    content_id=str(i + 1),
                    name=f"{content_type.label} {i + 1}",
                    action=action,
                    reason={"skip": "matches the destination", "fail": "folder 7 is missing"}.get(
                        action, ""
                    ),
                    diff={"title": [f"Old {i}", f"New {i}"]} if action == "update" else None,
                )
            )
            if len(batch) >= BATCH:
                DryRunItem.objects.bulk_create(batch)
                batch = []
        DryRunItem.objects.bulk_create(batch)
        return n

    def timed(self, label: str, fn, *args):
        started = time.perf_counter()
        result = fn(*args)
        count = len(result) if isinstance(result, list) else result
        self.stdout.write(f"{count:>10,} {label} in {time.perf_counter() - started:.1f} s")
        return result

    def users(self) -> list[User]:
        operators = Group.objects.get(name="Restore operators")
        users = []
        for name in ("olivia", "omar", "odette"):
            user, created = User.objects.get_or_create(username=f"bench-{name}")
            if created:
                user.set_unusable_password()
                user.save()
                user.groups.add(operators)
            users.append(user)
        return users

    def seed_sessions(self, n: int, users: list[User]) -> list[str]:
        now = timezone.now()
        statuses = [SessionStatus.COMPLETED] * 8 + [SessionStatus.FAILED, SessionStatus.CANCELLED]
        rows = []
        for i in range(n):
            planned = self.rng.randint(10, 5000)
            errors = self.rng.randint(0, planned // 20)
            status = statuses[i % len(statuses)]
            started = now - timedelta(minutes=10 * (n - i))
            rows.append(
                RestorationSession(
                    started_at=started,
                    completed_at=started + timedelta(minutes=self.rng.randint(1, 60)),
                    status=status,
                    kind=SessionKind.DRY_RUN if i % 5 == 0 else SessionKind.RESTORE,
                    destination_instance=DESTINATIONS[i % 2],
                    source_instance=SOURCE,
                    destination_section=("staging", "dr")[i % 2],
                    source_section="prod",
                    config={"workers": 8, "destination_instance": DESTINATIONS[i % 2]},
                    metadata={"plan": {"per_type": {"1": planned}}},
                    planned_items=planned,
                    total_items=planned,
                    success_count=planned - errors,
                    created_count=planned - errors,
                    error_count=errors,
                    launched_by=users[i % len(users)],
                )
            )
        RestorationSession.objects.bulk_create(rows, batch_size=BATCH // 5)
        # One running session, so the progress partial has something live to render.
        running = rows[-1]
        RestorationSession.objects.filter(pk=running.pk).update(
            status=SessionStatus.RUNNING, completed_at=None, total_items=running.planned_items // 2
        )
        RestorationCheckpoint.objects.bulk_create(
            RestorationCheckpoint(session_id=running.pk, content_type=int(t), item_count=10)
            for t in DEPENDENCY_ORDER
        )
        return [s.pk for s in rows]

    def seed_content(self, n: int) -> int:
        now = timezone.now()
        types = list(DEPENDENCY_ORDER)
        batch = []
        for i in range(n):
            content_type = types[i % len(types)]
            name = (
                f"{content_type.label} {i} {self.rng.choice(('Sales', 'Revenue', 'Churn', 'Ops'))}"
            )
            batch.append(
                ContentItem(
                    content_id=str(i),
                    content_type=content_type,
                    name=name,
                    content_data=encode_blob({"id": str(i), "title": name}),
                    synced_at=now,
                    updated_at=now - timedelta(days=i % 365),
                )
            )
            if len(batch) >= BATCH:
                ContentItem.objects.bulk_create(batch, batch_size=BATCH)
                batch = []
        ContentItem.objects.bulk_create(batch, batch_size=BATCH)
        return n

    def seed_dead_letters(self, n: int, sessions: list[str]) -> int:
        now = timezone.now()
        blob = encode_blob({"id": "1", "title": "A dashboard that failed"})
        batch = []
        for i in range(n):
            error_type, status, message = ERROR_TYPES[i % len(ERROR_TYPES)]
            batch.append(
                DeadLetterItem(
                    session_id=sessions[self.rng.randrange(len(sessions))],
                    content_id=str(i),
                    content_type=DEPENDENCY_ORDER[i % len(DEPENDENCY_ORDER)],
                    content_data=blob,
                    error_message=message,
                    error_type=error_type,
                    retry_count=3 if status in (None, 500) else 0,
                    failed_at=now - timedelta(seconds=n - i),
                    metadata={"response_status": status, "retry_history": []},
                )
            )
            if len(batch) >= BATCH:
                DeadLetterItem.objects.bulk_create(batch)
                batch = []
        DeadLetterItem.objects.bulk_create(batch)
        return n

    def seed_mappings(self, n: int, sessions: list[str]) -> int:
        now = timezone.now()
        types = list(DEPENDENCY_ORDER)
        batch = []
        for i in range(n):
            batch.append(
                IDMapping(
                    source_instance=SOURCE,
                    destination_instance=DESTINATIONS[i % 2],
                    content_type=types[(i // 2) % len(types)],
                    source_id=str(i // 2),
                    destination_id=str(1_000_000 + i),
                    created_at=now,
                    session_id=sessions[(i // 100) % len(sessions)],
                )
            )
            if len(batch) >= BATCH:
                IDMapping.objects.bulk_create(batch)
                batch = []
        IDMapping.objects.bulk_create(batch)
        return n

    def seed_audit(self, n: int, users: list[User], sessions: list[str]) -> int:
        now = timezone.now()
        actions = [AuditAction.LAUNCH, AuditAction.DELETE_DEAD_LETTERS, AuditAction.CLEAR_MAPPINGS]
        AuditEvent.objects.bulk_create(
            (
                AuditEvent(
                    at=now - timedelta(minutes=n - i),
                    user=users[i % len(users)],
                    action=actions[i % len(actions)],
                    description=f"bench event {i}",
                    count=i % 50,
                    session_id=sessions[i % len(sessions)],
                )
                for i in range(n)
            ),
            batch_size=BATCH // 5,
        )
        return n
