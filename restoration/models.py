"""The backup (`content_items`) and the four restoration tables of the design.

Table and column names follow lookervault's schema so a backup or a restoration
database can be read by either tool; the extra columns restoreadmin needs are
listed in docs/data-model.md.

Why one module of this size: every table here is read and written together by the
engine, the pages and the admin, and a state change lives beside its audit event
(STYLE.md). The backup history's tables are apart, in restoration/versions.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import msgspec
from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.utils import timezone

from restoration.config import RestorationConfig
from restoration.content_types import ContentType

# SQLite allows 999 bound parameters per statement on old builds (32766 on new);
# stay well under the lower limit so one code path serves SQLite and PostgreSQL.
IN_BATCH = 900
# A dead-letter retry session keeps this many (type, id) pairs of what it retried.
RETRIED_ITEMS_KEPT = 500


class BlobDecodeError(ValueError):
    """A content_data blob that is not MessagePack of a Looker API object."""


def decode_blob(blob: bytes | memoryview | None, *, label: str = "content_data") -> dict[str, Any]:
    """Decode a MessagePack blob into the Looker API dict it holds; raise BlobDecodeError."""
    if blob is None:
        raise BlobDecodeError(f"{label} is empty")
    try:
        value = msgspec.msgpack.decode(bytes(blob))
    except msgspec.DecodeError as exc:
        raise BlobDecodeError(f"{label} is not valid MessagePack: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise BlobDecodeError(f"{label} holds text that is not valid UTF-8: {exc}") from exc
    except RecursionError as exc:
        raise BlobDecodeError(f"{label} is nested too deeply to read") from exc
    except Exception as exc:  # noqa: BLE001 - whatever the decoder raises, the blob is unreadable
        raise BlobDecodeError(f"{label} cannot be decoded: {type(exc).__name__}: {exc}") from exc
    if not isinstance(value, dict):
        raise BlobDecodeError(
            f"{label} holds a {type(value).__name__}, not a Looker object (a map)"
        )
    return value


def encode_blob(value: dict[str, Any]) -> bytes:
    return msgspec.msgpack.encode(value)


def new_session_id() -> str:
    return str(uuid.uuid4())


# --------------------------------------------------------------------------
# Backup
# --------------------------------------------------------------------------


class ContentItemQuerySet(models.QuerySet["ContentItem"]):
    def active(self) -> ContentItemQuerySet:
        return self.filter(deleted_at__isnull=True)

    def of_type(self, content_type: int) -> ContentItemQuerySet:
        return self.filter(content_type=content_type)

    def get_content(self, content_id: str, content_type: int) -> ContentItem | None:
        """Look an item up by (id, type): ids repeat across types in Looker."""
        return self.filter(content_id=str(content_id), content_type=content_type).first()

    def inventory(self) -> list[dict[str, Any]]:
        """Items per type and the last sync time, one row per type present."""
        return list(
            self.active()
            .values("content_type")
            .annotate(count=models.Count("row_id"), last_synced=models.Max("synced_at"))
            .order_by("content_type")
        )


class ContentItem(models.Model):
    """One Looker object in the backup, column-compatible with lookervault's schema v4."""

    row_id = models.BigAutoField(primary_key=True)
    content_id = models.TextField(
        "id", db_column="id", help_text="The object's id in the source Looker instance."
    )
    content_type = models.IntegerField(choices=ContentType.choices)
    name = models.TextField(default="", blank=True)
    owner_id = models.TextField(null=True, blank=True)
    owner_email = models.TextField(null=True, blank=True)
    created_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(
        null=True, blank=True, help_text="When the object last changed in Looker."
    )
    synced_at = models.DateTimeField(
        null=True, blank=True, help_text="When the backup last read the object."
    )
    deleted_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set when the object was gone from Looker at the last backup.",
    )
    content_size = models.IntegerField(default=0)
    content_data = models.BinaryField(help_text="MessagePack of the Looker API object.")
    folder_id = models.TextField(null=True, blank=True)

    objects = ContentItemQuerySet.as_manager()

    class Meta:
        db_table = "content_items"
        verbose_name = "backup item"
        constraints = [
            models.UniqueConstraint(
                fields=["content_id", "content_type"], name="content_items_id_type_uniq"
            ),
        ]
        indexes = [
            models.Index(fields=["content_type", "deleted_at"], name="idx_content_type"),
            models.Index(fields=["-updated_at"], name="idx_updated_at"),
            models.Index(fields=["deleted_at"], name="idx_deleted_at"),
            models.Index(fields=["folder_id"], name="idx_folder_id"),
            models.Index(fields=["owner_id"], name="idx_owner_id"),
        ]

    def __str__(self) -> str:
        return f"{self.get_content_type_display()} {self.content_id} {self.name!r}"

    def decoded(self) -> dict[str, Any]:
        return decode_blob(
            self.content_data, label=f"{self.get_content_type_display()} {self.content_id}"
        )


# --------------------------------------------------------------------------
# Restoration sessions
# --------------------------------------------------------------------------


class SessionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    COMPLETED_WITH_ERRORS = "completed_with_errors", "Completed with errors"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


FINISHED_STATUSES = (
    SessionStatus.COMPLETED,
    SessionStatus.COMPLETED_WITH_ERRORS,
    SessionStatus.FAILED,
    SessionStatus.CANCELLED,
)
RESUMABLE_STATUSES = (SessionStatus.FAILED, SessionStatus.CANCELLED)
# Went through to the end (every item was tried), with or without failed items.
RAN_THROUGH_STATUSES = (SessionStatus.COMPLETED, SessionStatus.COMPLETED_WITH_ERRORS)
# How each status's badge looks (a CSS class `tone-<tone>`): a new status needs a line
# here and nowhere else in the pages.
STATUS_TONES = {
    SessionStatus.PENDING: "idle",
    SessionStatus.RUNNING: "active",
    SessionStatus.COMPLETED: "ok",
    SessionStatus.COMPLETED_WITH_ERRORS: "warn",
    SessionStatus.FAILED: "bad",
    SessionStatus.CANCELLED: "muted",
}
# Kinds that write into the destination: one at a time per destination (DestinationLock).
WRITING_KINDS = ("restore", "dlq_retry")


class SessionKind(models.TextChoices):
    RESTORE = "restore", "Restore"
    DRY_RUN = "dry_run", "Dry run"
    DLQ_RETRY = "dlq_retry", "Dead-letter retry"
    EXTRACT = "extract", "Backup (extract)"


def hold_point_in_time(as_of: datetime, *, refuse_trimmed: bool = True) -> None:
    """In the launch's transaction: keep retention out until it commits (so retention sees
    the pending session and keeps its versions), and refuse a point in time retention has
    already trimmed (PointInTimeError, a ValueError with the reason in words)."""
    from restoration.versions import PointInTimeError, lock_history, retention_gap

    lock_history()
    if refuse_trimmed and (gap := retention_gap(as_of)) is not None:
        raise PointInTimeError(gap)


class RestorationSessionQuerySet(models.QuerySet["RestorationSession"]):
    def launch(
        self,
        config: RestorationConfig,
        *,
        destination_section: str,
        source_section: str = "",
        kind: str | None = None,
        user: Any = None,
        metadata: dict[str, Any] | None = None,
        launch_token: str | None = None,
    ) -> RestorationSession:
        """Record a pending session and queue `run_session` once the row is committed.

        config.destination_instance / source_instance are base URLs (never secrets);
        the sections name the looker.ini entries the worker reads credentials from.
        `launch_token` makes the launch idempotent: a second launch with the same token
        (a double-click, back and resubmit) returns the session the first one started.
        """
        if kind is None:
            kind = SessionKind.DRY_RUN if config.dry_run else SessionKind.RESTORE
        if launch_token:
            existing = self.filter(launch_token=launch_token).first()
            if existing is not None:
                return existing
            try:
                return self._launch(
                    config, destination_section, source_section, kind, user, metadata, launch_token
                )
            except IntegrityError:  # the same token committed by a concurrent request
                return self.get(launch_token=launch_token)
        return self._launch(config, destination_section, source_section, kind, user, metadata, None)

    def _launch(
        self,
        config: RestorationConfig,
        destination_section: str,
        source_section: str,
        kind: str,
        user: Any,
        metadata: dict[str, Any] | None,
        launch_token: str | None,
    ) -> RestorationSession:
        with transaction.atomic():
            if config.as_of is not None:
                # A dead-letter retry restores the dead letters' own bytes: never refused.
                hold_point_in_time(config.as_of, refuse_trimmed=kind != SessionKind.DLQ_RETRY)
            session = self.create(
                launch_token=launch_token,
                kind=kind,
                status=SessionStatus.PENDING,
                destination_instance=config.destination_instance,
                source_instance=config.source_instance or config.destination_instance,
                destination_section=destination_section,
                source_section=source_section,
                config=config.model_dump(mode="json"),
                metadata=metadata or {},
                launched_by=user if getattr(user, "is_authenticated", False) else None,
            )
            AuditEvent.objects.create(
                user=session.launched_by,
                action=AuditAction.LAUNCH,
                session=session,
                description=f"{session.get_kind_display()} into {session.destination_instance}",
            )
            transaction.on_commit(session.enqueue)
        return session

    def running(self) -> RestorationSessionQuerySet:
        return self.filter(status=SessionStatus.RUNNING)

    def stale(self, older_than: datetime) -> RestorationSessionQuerySet:
        """Running sessions whose worker stopped beating (it died, or its machine did)."""
        return self.running().filter(
            Q(heartbeat_at__lt=older_than) | Q(heartbeat_at__isnull=True, started_at__lt=older_than)
        )


class RestorationSession(models.Model):
    """One restore, dry run, dead-letter retry or extraction, with its live counters."""

    id = models.CharField(primary_key=True, max_length=36, default=new_session_id, editable=False)
    started_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=24, choices=SessionStatus.choices, default=SessionStatus.PENDING
    )
    total_items = models.IntegerField(
        default=0, db_default=0, help_text="Items processed so far (succeeded + failed + skipped)."
    )
    success_count = models.IntegerField(default=0, db_default=0)
    error_count = models.IntegerField(
        default=0, db_default=0, help_text="Items that ended in the dead-letter queue."
    )
    source_instance = models.TextField(
        null=True, blank=True, help_text="Base URL of the Looker instance the backup came from."
    )
    destination_instance = models.TextField(help_text="Base URL of the Looker instance written to.")
    config = models.JSONField(
        null=True,
        blank=True,
        help_text="The RestorationConfig the session ran with (never secrets).",
    )
    metadata = models.JSONField(
        null=True, blank=True, help_text="Summary, plan size and other facts about the run."
    )

    # Columns beyond the design (docs/data-model.md).
    kind = models.CharField(max_length=16, choices=SessionKind.choices, default=SessionKind.RESTORE)
    launched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    destination_section = models.CharField(
        max_length=200, blank=True, default="", help_text="looker.ini section written to."
    )
    source_section = models.CharField(
        max_length=200, blank=True, default="", help_text="looker.ini section the backup came from."
    )
    planned_items = models.IntegerField(default=0, help_text="Items the plan selected.")
    created_count = models.IntegerField(default=0)
    updated_count = models.IntegerField(default=0)
    skipped_count = models.IntegerField(default=0)
    api_calls = models.IntegerField(default=0)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life from the worker running it."
    )
    worker = models.CharField(
        max_length=200, blank=True, default="", help_text="host:pid of the worker running it."
    )
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    resume_count = models.IntegerField(default=0)
    last_error = models.TextField(
        blank=True, default="", help_text="Why the session failed as a whole, if it did."
    )
    waiting_for = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The session writing into the same Looker that this one waits for.",
    )
    running_since = models.DateTimeField(
        null=True, blank=True, help_text="When a worker last started running it."
    )
    launch_token = models.CharField(
        max_length=64,
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text="The launch confirmation that started it: posting it again shows this session.",
    )

    objects = RestorationSessionQuerySet.as_manager()

    class Meta:
        db_table = "restoration_sessions"
        verbose_name = "restoration session"
        indexes = [
            models.Index(fields=["status"], name="idx_restoration_session_status"),
            models.Index(fields=["-started_at"], name="idx_restoration_sess_started"),
            models.Index(
                fields=["destination_instance", "-started_at"], name="idx_session_destination"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=SessionStatus.values),
                name="restoration_sessions_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=SessionKind.values), name="restoration_sessions_kind_valid"
            ),
        ]
        permissions = [
            ("launch_restore", "Can launch restores and dry runs"),
            ("cancel_restore", "Can cancel a running restore"),
            ("resume_restore", "Can resume a failed or cancelled restore"),
            ("run_extract", "Can take a backup (extract) of a Looker instance"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()} {self.id[:8]} → {self.destination_instance} ({self.status})"
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.status not in SessionStatus.values:
            raise ValueError(
                f"Invalid status: {self.status!r}; expected one of {', '.join(SessionStatus.values)}"
            )
        super().save(*args, **kwargs)

    def enqueue(self) -> str:
        """Hand the session to a django-q2 worker; returns the task id."""
        from django_q.tasks import async_task

        # Extractions read Looker and write the backup: never hand one to the restore
        # engine (the reaper and shutdown hand-back re-queue every kind through here).
        task = (
            "restoration.tasks.run_extraction"
            if self.kind == SessionKind.EXTRACT
            else "restoration.tasks.run_session"
        )
        return async_task(task, self.pk, task_name=f"session {self.pk}")

    @property
    def restoration_config(self) -> RestorationConfig:
        return RestorationConfig.model_validate(self.config or {})

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def is_resumable(self) -> bool:
        return self.status in RESUMABLE_STATUSES

    @property
    def status_tone(self) -> str:
        """The badge's look for this status: ok, warn, bad, active, idle or muted."""
        return STATUS_TONES.get(self.status, "idle")

    @property
    def writes_to_destination(self) -> bool:
        """Real restores and dead-letter retries write; dry runs and backups do not."""
        return self.kind in WRITING_KINDS

    def hold_destination(self) -> bool:
        """Before a worker runs it: take the destination for this session, or note which
        session it waits for and return False. One session writes into a Looker at a
        time, whatever cluster or machine runs it, and the waiting ones start in the
        order they were launched; dry runs never wait. The session waited for wakes the
        waiting ones when it ends (`finish`), and the reaper queues again any that stayed
        pending (RESTORE_PENDING_REQUEUE_SECONDS)."""
        if self.writes_to_destination:
            holder = DestinationLock.objects.take(self)  # notes waiting_for itself
            if holder is not None:
                self.waiting_for = holder
                return False
        # Read the clock only now: after the previous holder's end was committed.
        type(self).objects.filter(pk=self.pk, status=SessionStatus.PENDING).update(
            waiting_for=None, running_since=timezone.now()
        )
        return True

    def wake_waiting(self) -> None:
        """Queue the sessions that waited for this one: the destination is free again, or
        they are next in line. Read under the destination's lock row, so a session that
        is noting right now that it waits for this one is either seen here or sees this
        one ended (DestinationLock.objects.take)."""
        waiting = type(self).objects.filter(waiting_for=self, status=SessionStatus.PENDING)
        if not self.writes_to_destination:
            woken = list(waiting.only("pk", "kind"))
        else:
            with transaction.atomic():
                key = destination_key(self.destination_instance)
                list(DestinationLock.objects.select_for_update().filter(key=key))
                woken = list(waiting.only("pk", "kind"))
        for session in woken:
            session.enqueue()

    @property
    def is_dry_run(self) -> bool:
        return self.kind == SessionKind.DRY_RUN

    def update_restoration_session(self, **fields: Any) -> None:
        """Write just these fields (the design's update_restoration_session)."""
        for name, value in fields.items():
            setattr(self, name, value)
        self.save(update_fields=list(fields))

    def add_counts(self, **deltas: int) -> None:
        """Add to counters atomically in SQL, so 16 workers never lose an increment."""
        type(self).objects.filter(pk=self.pk).update(
            **{name: F(name) + n for name, n in deltas.items() if n}
        )

    def beat(self, worker: str | None = None) -> bool:
        """Record a heartbeat; False when the session no longer runs here (cancelled, reaped)."""
        fields: dict[str, Any] = {"heartbeat_at": timezone.now()}
        qs = type(self).objects.filter(pk=self.pk, status=SessionStatus.RUNNING)
        if worker is not None:
            qs = qs.filter(worker=worker)
        return qs.update(**fields) == 1

    # -- state changes ------------------------------------------------------------------
    # Each is a compare-and-set on the status, and those a person asks for write their
    # audit event here, so the page, the admin and the command line leave one record.

    def claim(self, worker: str) -> bool:
        """pending -> running for this worker, by compare-and-set. Only pending: a session
        cancelled while queued must not run, and failed or cancelled ones come back
        through resume() (or the reaper, or a hand-back), which make them pending again."""
        claimed = (
            type(self)
            .objects.filter(pk=self.pk, status=SessionStatus.PENDING)
            .update(
                status=SessionStatus.RUNNING,
                worker=worker,
                heartbeat_at=timezone.now(),
                completed_at=None,
            )
        )
        if claimed:
            self.refresh_from_db()
        return claimed == 1

    def request_cancel(self, user: Any = None) -> bool:
        """Ask the worker to stop; a pending session is cancelled at once. False if already
        finished. Writes the audit event for `user` (None: the command line or the system)."""
        now = timezone.now()
        qs = type(self).objects.filter(pk=self.pk)
        with transaction.atomic():
            cancelled_pending = qs.filter(status=SessionStatus.PENDING).update(
                status=SessionStatus.CANCELLED, cancel_requested_at=now, completed_at=now
            )
            changed = cancelled_pending or qs.filter(status=SessionStatus.RUNNING).update(
                cancel_requested_at=now
            )
            self.refresh_from_db()
            if changed:
                self._audit(
                    AuditAction.CANCEL,
                    user,
                    f"Cancelled {self.get_kind_display().lower()} into {self.destination_instance}",
                )
            if cancelled_pending:
                transaction.on_commit(self.wake_waiting)  # it may have held its destination
        return changed == 1

    def resume(self, user: Any = None) -> bool:
        """Queue a failed or cancelled session again; it picks up from its checkpoints.

        Compare-and-set on the status, so two clicks on Resume queue it once (and write
        one audit event).
        """
        with transaction.atomic():
            if (self.config or {}).get("as_of"):
                # Pending again: retention keeps its versions from now on, or has already
                # trimmed them, and the engine then fails the session saying so.
                from restoration.versions import lock_history

                lock_history()
            changed = (
                type(self)
                .objects.filter(pk=self.pk, status__in=RESUMABLE_STATUSES)
                .update(
                    status=SessionStatus.PENDING,
                    heartbeat_at=timezone.now(),  # pending: when it was queued (the reaper)
                    cancel_requested_at=None,
                    completed_at=None,
                    resume_count=F("resume_count") + 1,
                )
            )
            self.refresh_from_db()
            if changed:
                self._audit(
                    AuditAction.RESUME,
                    user,
                    f"Resumed {self.get_kind_display().lower()} into {self.destination_instance}",
                )
                transaction.on_commit(self.enqueue)
        return changed == 1

    def hand_back(self, worker: str) -> bool:
        """The session stopped on `worker` because that worker shuts down: make it pending
        again and queue it, so another cluster resumes it from its checkpoints.
        Compare-and-set on (running, this worker): a session already reaped or cancelled
        is left alone."""
        now = timezone.now()
        changed = (
            type(self)
            .objects.filter(pk=self.pk, status=SessionStatus.RUNNING, worker=worker)
            .update(
                status=SessionStatus.PENDING,
                heartbeat_at=now,  # for a pending session: when it was queued (reaper)
                resume_count=F("resume_count") + 1,
                last_error=(
                    f"Worker {worker} shut down at {now:%Y-%m-%d %H:%M:%S %Z}; "
                    "queued to resume from its checkpoints"
                ),
            )
        )
        self.refresh_from_db()
        if changed:
            transaction.on_commit(self.enqueue)
        return changed == 1

    def _audit(self, action: str, user: Any, description: str) -> None:
        AuditEvent.objects.create(
            user=user if getattr(user, "is_authenticated", False) else None,
            action=action,
            session=self,
            description=description,
        )

    def cancel_requested(self) -> bool:
        return type(self).objects.filter(pk=self.pk, cancel_requested_at__isnull=False).exists()

    def finish(
        self, status: str, *, error: str = "", summary: dict[str, Any] | None = None
    ) -> None:
        """End the session. "completed" with failed items is "completed with errors": a
        green badge must never hide a dead letter. Frees the destination for the next."""
        if status not in FINISHED_STATUSES:
            raise ValueError(f"{status!r} is not a finished status")
        self.refresh_from_db()
        if status == SessionStatus.COMPLETED and self.error_count:
            status = SessionStatus.COMPLETED_WITH_ERRORS
        self.status = status
        self.completed_at = timezone.now()
        self.last_error = error
        if summary is not None:
            self.metadata = {**(self.metadata or {}), "summary": summary}
        self.save(update_fields=["status", "completed_at", "last_error", "metadata"])
        transaction.on_commit(self.wake_waiting)

    def dry_run_items(self) -> list[dict[str, Any]]:
        """What a dry run found, item by item, in plan order (for the session page)."""
        return [
            {
                "content_type": row.content_type,
                "content_id": row.content_id,
                "name": row.name,
                "action": row.action,
                "reason": row.reason,
                "diff": row.diff or {},
            }
            for row in self.dry_run_rows.order_by("content_type_rank", "position", "id")
        ]


# --------------------------------------------------------------------------
# Checkpoints
# --------------------------------------------------------------------------


class RestorationCheckpoint(models.Model):
    """How far one session got through one content type, so a resume skips finished work.

    checkpoint_data holds {"last_offset": N, "completed_ids": [...]}: every item before
    offset N in the plan's stable order is done, plus the listed ids beyond it (workers
    finish out of order). The list stays short: it is folded into the offset as the
    contiguous prefix grows, so a checkpoint never grows with the session's size.
    """

    session = models.ForeignKey(
        RestorationSession, on_delete=models.CASCADE, related_name="checkpoints", db_index=False
    )
    content_type = models.IntegerField(choices=ContentType.choices)
    checkpoint_data = models.JSONField(default=dict)
    started_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    item_count = models.IntegerField(default=0, db_default=0)
    error_count = models.IntegerField(default=0, db_default=0)

    class Meta:
        db_table = "restoration_checkpoints"
        verbose_name = "restoration checkpoint"
        indexes = [
            models.Index(fields=["session"], name="idx_restoration_ckpt_session"),
            models.Index(fields=["content_type"], name="idx_restoration_ckpt_type"),
        ]

    def __str__(self) -> str:
        return f"{ContentType(self.content_type).label} checkpoint of {self.session_id}"

    def update_restoration_checkpoint(self, **fields: Any) -> None:
        for name, value in fields.items():
            setattr(self, name, value)
        self.save(update_fields=list(fields))


# --------------------------------------------------------------------------
# ID mappings
# --------------------------------------------------------------------------


class IDMappingQuerySet(models.QuerySet["IDMapping"]):
    def clear_recorded(self, user: Any, description: str) -> int:
        """Delete these mappings and write who, when and what to the audit log.

        A cleared mapping makes the next restore create the object again instead of
        updating the copy it made before, so who cleared what must stay on record.
        """
        with transaction.atomic():
            scope = list(
                self.values("source_instance", "destination_instance", "content_type")
                .annotate(n=models.Count("id"))
                .order_by("source_instance", "destination_instance", "content_type")[:100]
            )
            deleted, _ = self.delete()
            if deleted:
                AuditEvent.objects.create(
                    user=user if getattr(user, "is_authenticated", False) else None,
                    action=AuditEvent.Action.CLEAR_MAPPINGS,
                    description=description,
                    count=deleted,
                    details={"scope": scope},
                )
        return deleted


class IDMapping(models.Model):
    """Where a source object went: (source instance, type, source id) -> destination id.

    Deviation from the design: the design's composite primary key becomes an
    autoincrement id plus a unique constraint (Django's admin refuses composite
    keys), and the key includes destination_instance, so one backup can be
    migrated into several Looker instances without their ids colliding.
    """

    source_instance = models.TextField(help_text="Base URL of the instance the object came from.")
    destination_instance = models.TextField(
        default="", help_text="Base URL of the instance it was restored into."
    )
    content_type = models.IntegerField(choices=ContentType.choices)
    source_id = models.TextField()
    destination_id = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    session = models.ForeignKey(
        RestorationSession,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="id_mappings",
        db_index=False,
    )
    created_by_session = models.ForeignKey(
        RestorationSession,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The session that created the destination object; empty when it was found there.",
    )
    # What lets an unchanged re-run skip the item without reading it (docs/restore.md,
    # "Re-runs"): both empty until a restore wrote or verified the object.
    source_hash = models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text="SHA-256 of the backup item (and the restore options that shape it) as "
        "last restored or verified; empty: not recorded.",
    )
    destination_stamp = models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text="Fingerprint of the destination object's bulk-listed fields right after "
        "that restore; a re-run skips the item while both still match.",
    )

    objects = IDMappingQuerySet.as_manager()

    class Meta:
        db_table = "id_mappings"
        verbose_name = "ID mapping"
        constraints = [
            models.UniqueConstraint(
                fields=["source_instance", "destination_instance", "content_type", "source_id"],
                name="id_mappings_source_key",
            ),
        ]
        indexes = [
            models.Index(fields=["destination_id"], name="idx_id_mapping_dest"),
            models.Index(fields=["session"], name="idx_id_mapping_session"),
            # The mappings page finds "where did source object 42 go" at 1M rows.
            models.Index(fields=["source_id"], name="idx_id_mapping_source_id"),
        ]
        permissions = [("clear_mappings", "Can clear ID mappings")]

    def __str__(self) -> str:
        return f"{ContentType(self.content_type).label} {self.source_id} → {self.destination_id}"


# --------------------------------------------------------------------------
# Dead-letter queue
# --------------------------------------------------------------------------


# A dead letter keeps the latest attempts of an item that fails again and again.
MAX_RETRY_HISTORY = 50


class DeadLetterQuerySet(models.QuerySet["DeadLetterItem"]):
    def filtered(
        self,
        session_id: str | None = None,
        content_type: int | None = None,
        error_type: str | None = None,
    ) -> DeadLetterQuerySet:
        qs = self.all()
        if session_id:
            qs = qs.filter(session_id=session_id)
        if content_type is not None:
            qs = qs.filter(content_type=content_type)
        if error_type:
            qs = qs.filter(error_type=error_type)
        return qs

    def _same_item(self, session: RestorationSession, content_type: int, ids: list[str]):
        """Dead letters of these items from any session with the same source and destination."""
        for start in range(0, len(ids), IN_BATCH):
            yield from self.filter(
                session__destination_instance=session.destination_instance,
                session__source_instance=session.source_instance,
                content_type=content_type,
                content_id__in=ids[start : start + IN_BATCH],
            ).order_by("id")

    def record_failures(self, session: RestorationSession, letters: list[DeadLetterItem]) -> None:
        """Save the items a session failed. An item that already has a dead letter for the
        same source and destination gets that one updated (its count and retry history
        grow) instead of a copy: the queue lists each failing item once."""
        fresh: list[DeadLetterItem] = []
        by_type: dict[int, dict[str, DeadLetterItem]] = {}
        for letter in letters:
            by_type.setdefault(letter.content_type, {})[letter.content_id] = letter
        for content_type, new in by_type.items():
            known: dict[str, DeadLetterItem] = {}
            for old in self._same_item(session, content_type, list(new)):
                known.setdefault(old.content_id, old)
            for content_id, letter in new.items():
                if content_id in known:
                    known[content_id].absorb(letter)
                else:
                    fresh.append(letter)
        if fresh:
            self.bulk_create(fresh)

    def record_retry_failures(self, failures: dict[int, DeadLetterItem]) -> None:
        """A dead-letter retry failed these again (dead letter id -> the new failure)."""
        for old in self.filter(pk__in=list(failures)):
            old.absorb(failures[old.pk])

    def resolve(self, session: RestorationSession, content_type: int, ids: list[str]) -> int:
        """These items are restored now: their dead letters (same source and destination)
        have nothing left to retry."""
        stale = [old.pk for old in self._same_item(session, content_type, ids)]
        if not stale:
            return 0
        deleted, _ = self.filter(pk__in=stale).delete()
        return deleted

    def delete_recorded(self, user: Any, description: str) -> int:
        """Delete these dead letters and write who, when and what to the audit log."""
        with transaction.atomic():
            summary = list(self.values_list("id", "content_type", "content_id")[:1000])
            deleted, _ = self.delete()
            if deleted:
                AuditEvent.objects.create(
                    user=user if getattr(user, "is_authenticated", False) else None,
                    action=AuditEvent.Action.DELETE_DEAD_LETTERS,
                    description=description,
                    count=deleted,
                    details={
                        "items": [list(row) for row in summary],
                        "truncated": deleted > len(summary),
                    },
                )
        return deleted

    def retry(self, user: Any = None) -> RestorationSession:
        """Retry these dead letters as a background session of kind dlq_retry.

        Success removes a dead letter; a new failure updates it in place. Dead letters
        from sessions with different destinations get one session each; the first is
        returned and the others are listed in its metadata["sibling_sessions"].
        """
        groups: dict[tuple[str, str, str, str], list[int]] = {}
        origin: dict[tuple[str, str, str, str], RestorationSession] = {}
        # What each retry session retried, in the operator's words (type and id), for its
        # "Configuration used": the dead-letter rows themselves go once they succeed.
        retried: dict[tuple[str, str, str, str], list[list]] = {}
        for item in self.select_related("session").only(
            "id",
            "content_type",
            "content_id",
            "session__id",
            "session__destination_section",
            "session__source_section",
            "session__destination_instance",
            "session__source_instance",
            "session__config",
        ):
            s = item.session
            key = (
                s.destination_section,
                s.source_section,
                s.destination_instance,
                s.source_instance or "",
            )
            groups.setdefault(key, []).append(item.pk)
            origin.setdefault(key, s)
            retried.setdefault(key, []).append([item.content_type, item.content_id])
        if not groups:
            raise ValueError("No dead letters selected to retry")
        sessions = []
        for key, ids in groups.items():
            base = origin[key].restoration_config
            config = base.model_copy(
                update={"dry_run": False, "content_types": None, "content_ids": None}
            )
            sessions.append(
                RestorationSession.objects.launch(
                    config,
                    destination_section=key[0],
                    source_section=key[1],
                    kind=SessionKind.DLQ_RETRY,
                    user=user,
                    metadata={
                        "dead_letter_ids": sorted(ids),
                        "retry_of": origin[key].pk,
                        "retried_items": sorted(retried[key])[:RETRIED_ITEMS_KEPT],
                    },
                )
            )
        first = sessions[0]
        if len(sessions) > 1:
            first.metadata = {
                **(first.metadata or {}),
                "sibling_sessions": [s.pk for s in sessions[1:]],
            }
            first.save(update_fields=["metadata"])
        return first


class DeadLetterItem(models.Model):
    """An item that still failed after its retries, with everything needed to retry it."""

    session = models.ForeignKey(
        RestorationSession, on_delete=models.CASCADE, related_name="dead_letters", db_index=False
    )
    content_id = models.TextField()
    content_type = models.IntegerField(choices=ContentType.choices)
    content_data = models.BinaryField(help_text="The backup blob as it was when the item failed.")
    error_message = models.TextField()
    error_type = models.TextField(
        help_text="Exception class, or Looker's answer such as LookerValidationError."
    )
    stack_trace = models.TextField(null=True, blank=True)
    retry_count = models.IntegerField(
        help_text="Attempts after the first: the call's own retries, plus every later restore "
        "or manual retry of the item."
    )
    failure_count = models.IntegerField(
        default=1,
        db_default=1,
        help_text="How many sessions failed this item into this destination.",
    )
    failed_at = models.DateTimeField(default=timezone.now)
    metadata = models.JSONField(
        null=True,
        blank=True,
        help_text="request_payload, response_status, response_body and retry_history of the failed call.",
    )

    objects = DeadLetterQuerySet.as_manager()

    class Meta:
        db_table = "dead_letter_queue"
        verbose_name = "dead letter"
        indexes = [
            models.Index(fields=["session"], name="idx_dlq_session"),
            models.Index(fields=["content_type", "content_id"], name="idx_dlq_content"),
            models.Index(fields=["-failed_at"], name="idx_dlq_failed_at"),
            models.Index(fields=["error_type"], name="idx_dlq_error_type"),
        ]
        permissions = [
            ("retry_dead_letters", "Can retry dead letters"),
        ]

    def __str__(self) -> str:
        return f"{ContentType(self.content_type).label} {self.content_id}: {self.error_type}"

    def advice(self) -> Any:
        """The usual cause of this failure and the action that fixes it (restoration.advice),
        or None for an error nobody has explained yet."""
        from restoration.advice import advise

        return advise(self.error_type, self.error_message)

    def decoded(self) -> dict[str, Any]:
        return decode_blob(self.content_data, label=f"dead letter {self.pk}")

    def absorb(self, newer: DeadLetterItem) -> None:
        """The item failed again (another restore, or a manual retry): take the newer
        failure's error, blob and session, count it, and append its attempts to the
        retry history."""
        old_meta, new_meta = self.metadata or {}, newer.metadata or {}
        history = list(old_meta.get("retry_history") or [])
        history += [
            {**entry, "session": newer.session_id}
            for entry in new_meta.get("retry_history") or []
            if isinstance(entry, dict)
        ]
        sessions = list(old_meta.get("sessions") or [self.session_id])
        if newer.session_id not in sessions:
            sessions.append(newer.session_id)
        self.metadata = {
            **old_meta,
            **new_meta,
            "retry_history": history[-MAX_RETRY_HISTORY:],
            "sessions": sessions[-MAX_RETRY_HISTORY:],
        }
        self.session_id = newer.session_id
        self.content_data = newer.content_data
        self.error_message = newer.error_message
        self.error_type = newer.error_type
        self.stack_trace = newer.stack_trace
        self.retry_count = self.retry_count + 1 + newer.retry_count
        self.failure_count = self.failure_count + 1
        self.failed_at = timezone.now()
        self.save()


# --------------------------------------------------------------------------
# Dry runs
# --------------------------------------------------------------------------


class DryRunAction(models.TextChoices):
    CREATE = "create", "Would create"
    UPDATE = "update", "Would update"
    SKIP = "skip", "Would skip"
    FAIL = "fail", "Would fail"


class DryRunItem(models.Model):
    """What a dry run found for one backup item: create, update (with a diff), skip or fail.

    A table rather than a JSON list on the session, so a 100k-item dry run writes
    each row once instead of rewriting an ever-growing document at every checkpoint.
    """

    Action = DryRunAction

    session = models.ForeignKey(
        RestorationSession, on_delete=models.CASCADE, related_name="dry_run_rows", db_index=False
    )
    content_type = models.IntegerField(choices=ContentType.choices)
    content_type_rank = models.IntegerField(default=0, help_text="Position in dependency order.")
    position = models.IntegerField(default=0, help_text="Position in the plan within its type.")
    content_id = models.TextField()
    name = models.TextField(blank=True, default="")
    action = models.CharField(max_length=8, choices=DryRunAction.choices)
    reason = models.TextField(blank=True, default="")
    diff = models.JSONField(null=True, blank=True, help_text="{field: [destination, backup]}")

    class Meta:
        db_table = "dry_run_items"
        verbose_name = "dry-run item"
        indexes = [
            models.Index(
                fields=["session", "content_type_rank", "position"], name="idx_dry_run_session"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=DryRunAction.values), name="dry_run_items_action_valid"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_action_display()} {ContentType(self.content_type).label} {self.content_id}"
        )


# --------------------------------------------------------------------------
# Audit log
# --------------------------------------------------------------------------


class AuditAction(models.TextChoices):
    DELETE_DEAD_LETTERS = "delete_dead_letters", "Deleted dead letters"
    CLEAR_MAPPINGS = "clear_mappings", "Cleared ID mappings"
    LAUNCH = "launch", "Launched a session"
    CANCEL = "cancel", "Cancelled a session"
    RESUME = "resume", "Resumed a session"
    IMPORT_BACKUP = "import_backup", "Imported a backup"
    SCHEDULE_BACKUP = "schedule_backup", "Set a backup schedule"
    APPLY_RETENTION = "apply_retention", "Deleted old backup versions"


class AuditEvent(models.Model):
    """Who did what: launches, cancels and resumes of a session, dead-letter deletes,
    mapping clears, imports, backup schedules and retention, written by the model method
    that does it."""

    Action = AuditAction

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=32, choices=Action.choices)
    description = models.TextField(blank=True, default="")
    count = models.IntegerField(default=0)
    session = models.ForeignKey(
        RestorationSession,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    details = models.JSONField(null=True, blank=True)

    class Meta:
        db_table = "audit_events"
        verbose_name = "audit event"
        ordering = ["-at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=AuditAction.values), name="audit_events_action_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.get_action_display()}"


# --------------------------------------------------------------------------
# Shared rate limits (restoration.looker.ratelimit.SharedRateLimiter)
# --------------------------------------------------------------------------


class RateLimitState(models.Model):
    """The pace of API calls into one Looker instance, shared by every session and worker.

    Used when there is no Redis; each acquire updates the row under select_for_update.
    Times are Unix seconds (floats) so any worker machine can compare them.
    """

    key = models.CharField(max_length=255, unique=True)
    next_at = models.FloatField(default=0.0, help_text="Earliest start of the next call.")
    factor = models.FloatField(default=1.0, help_text="Share of the rate in force after 429s.")
    backoff_at = models.FloatField(default=0.0)
    pause_until = models.FloatField(default=0.0)

    class Meta:
        db_table = "rate_limit_state"
        verbose_name = "shared rate limit"

    def __str__(self) -> str:
        return self.key


# --------------------------------------------------------------------------
# One writing session per destination (RestorationSession.hold_destination)
# --------------------------------------------------------------------------


def destination_key(base_url: str) -> str:
    return (base_url or "").strip().rstrip("/").lower()


class DestinationLockQuerySet(models.QuerySet["DestinationLock"]):
    def take(self, session: RestorationSession) -> RestorationSession | None:
        """Make `session` the one writing into its destination; return the session it
        waits for instead (and note it in `waiting_for`), or None.

        A holder counts while it is pending or running, so a session handed back or
        reaped keeps its destination until it resumes; any other status frees it. A free
        destination goes to the session launched first (started_at, then id) among those
        waiting for it, whichever worker asks first: a later one waits for the first in
        line. The row is locked (SELECT ... FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE
        transactions serialise writers), so two workers on two machines cannot both take
        it, and `waiting_for` is written under it, so the session it waits for cannot end
        unseen in between (`RestorationSession.wake_waiting` reads under the same row)."""
        key = destination_key(session.destination_instance)
        self.get_or_create(key=key)
        with transaction.atomic():
            lock = self.select_for_update().get(key=key)
            blocker = None
            if lock.session_id is not None and lock.session_id != session.pk:
                blocker = (
                    RestorationSession.objects.filter(
                        pk=lock.session_id,
                        status__in=(SessionStatus.PENDING, SessionStatus.RUNNING),
                    )
                    .only("pk", "status", "destination_instance")
                    .first()
                )
            if blocker is None and lock.session_id != session.pk:
                blocker = first_in_line(key, session)
            if blocker is not None:
                RestorationSession.objects.filter(
                    pk=session.pk, status=SessionStatus.PENDING
                ).update(waiting_for=blocker)
                return blocker
            lock.session = session
            lock.taken_at = timezone.now()
            lock.save(update_fields=["session", "taken_at"])
        return None

    def holder(self, base_url: str) -> RestorationSession | None:
        """The session writing into this destination now (pending or running), if any."""
        lock = self.filter(key=destination_key(base_url)).select_related("session").first()
        session = lock.session if lock is not None else None
        if session is not None and session.status in (SessionStatus.PENDING, SessionStatus.RUNNING):
            return session
        return None


def first_in_line(key: str, session: RestorationSession) -> RestorationSession | None:
    """The session launched first among those still pending to write into the Looker
    `key` names, if it was launched before `session` (launch order: started_at, then id)."""
    launched = (
        RestorationSession.objects.filter(pk=session.pk)
        .values_list("started_at", flat=True)
        .first()
        or session.started_at
    )
    earlier = (
        RestorationSession.objects.filter(status=SessionStatus.PENDING, kind__in=WRITING_KINDS)
        .filter(destination_instance__icontains=key)
        .filter(Q(started_at__lt=launched) | Q(started_at=launched, pk__lt=session.pk))
        .exclude(pk=session.pk)
        .only("pk", "status", "destination_instance", "started_at")
        .order_by("started_at", "pk")
    )
    return next((s for s in earlier if destination_key(s.destination_instance) == key), None)


class DestinationLock(models.Model):
    """Which session writes into one Looker instance: one row per destination base URL."""

    key = models.CharField(max_length=500, unique=True, help_text="Destination base URL.")
    session = models.ForeignKey(
        RestorationSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    taken_at = models.DateTimeField(null=True, blank=True)

    objects = DestinationLockQuerySet.as_manager()

    class Meta:
        db_table = "destination_locks"
        verbose_name = "destination lock"

    def __str__(self) -> str:
        return self.key


def content_rows(ids: Sequence[tuple[str, int]]) -> Iterator[ContentItem]:
    """Fetch backup rows by (id, type) pairs in bounded batches."""
    by_type: dict[int, list[str]] = {}
    for content_id, content_type in ids:
        by_type.setdefault(content_type, []).append(str(content_id))
    for content_type, type_ids in by_type.items():
        for start in range(0, len(type_ids), IN_BATCH):
            yield from ContentItem.objects.filter(
                content_type=content_type, content_id__in=type_ids[start : start + IN_BATCH]
            )


# The backup's history (backup runs, versions, stored blobs, schedules) lives in its own
# module; importing it here registers its models with the app.
from restoration.versions import (  # noqa: E402, F401
    BackupRun,
    BackupSchedule,
    ContentBlob,
    ContentVersion,
)
