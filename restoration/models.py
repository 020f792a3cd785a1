"""The backup (`content_items`) and the four restoration tables of the design.

Table and column names follow lookervault's schema so a backup or a restoration
database can be read by either tool; the extra columns restoreadmin needs are
listed in docs/data-model.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import msgspec
from django.conf import settings
from django.db import models, transaction
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
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


FINISHED_STATUSES = (SessionStatus.COMPLETED, SessionStatus.FAILED, SessionStatus.CANCELLED)
RESUMABLE_STATUSES = (SessionStatus.FAILED, SessionStatus.CANCELLED)


class SessionKind(models.TextChoices):
    RESTORE = "restore", "Restore"
    DRY_RUN = "dry_run", "Dry run"
    DLQ_RETRY = "dlq_retry", "Dead-letter retry"
    EXTRACT = "extract", "Backup (extract)"


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
    ) -> RestorationSession:
        """Record a pending session and queue `run_session` once the row is committed.

        config.destination_instance / source_instance are base URLs (never secrets);
        the sections name the looker.ini entries the worker reads credentials from.
        """
        if kind is None:
            kind = SessionKind.DRY_RUN if config.dry_run else SessionKind.RESTORE
        with transaction.atomic():
            session = self.create(
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
        max_length=16, choices=SessionStatus.choices, default=SessionStatus.PENDING
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
            changed = qs.filter(status=SessionStatus.PENDING).update(
                status=SessionStatus.CANCELLED, cancel_requested_at=now, completed_at=now
            ) or qs.filter(status=SessionStatus.RUNNING).update(cancel_requested_at=now)
            self.refresh_from_db()
            if changed:
                self._audit(
                    AuditAction.CANCEL,
                    user,
                    f"Cancelled {self.get_kind_display().lower()} into {self.destination_instance}",
                )
        return changed == 1

    def resume(self, user: Any = None) -> bool:
        """Queue a failed or cancelled session again; it picks up from its checkpoints.

        Compare-and-set on the status, so two clicks on Resume queue it once (and write
        one audit event).
        """
        with transaction.atomic():
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
        if status not in FINISHED_STATUSES:
            raise ValueError(f"{status!r} is not a finished status")
        self.refresh_from_db()
        self.status = status
        self.completed_at = timezone.now()
        self.last_error = error
        if summary is not None:
            self.metadata = {**(self.metadata or {}), "summary": summary}
        self.save(update_fields=["status", "completed_at", "last_error", "metadata"])

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
    retry_count = models.IntegerField()
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
