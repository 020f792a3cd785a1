"""The backup's history: each backup run, each version of each object, and the bytes of
versions that are no longer the latest (content-addressed, so an unchanged object adds
nothing). `content_items` stays the latest view; these tables say how it got there.

Where a version's content lives: the latest version of an object is the blob in its
`content_items` row; a version that was superseded has its blob in `content_blobs`,
keyed by the SHA-256 of the MessagePack bytes (stored there the moment it is
superseded, compressed with zlib). So one backup costs one small row per object, and a
change costs the old blob once, compressed. Backup schedules (one per looker.ini instance) live here too.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from restoration.content_types import ContentType
from restoration.models import (
    IN_BATCH,
    AuditAction,
    AuditEvent,
    ContentItem,
    RestorationSession,
    SessionKind,
    SessionStatus,
)


def blob_hash(blob: bytes | memoryview) -> str:
    """The content address of a blob: SHA-256 of its MessagePack bytes, in hex."""
    return hashlib.sha256(bytes(blob)).hexdigest()


class PointInTimeError(ValueError):
    """A point in time the history cannot restore (before the first backup, a failed run)."""


class BackupRunKind(models.TextChoices):
    EXTRACT = "extract", "Backup (extract)"
    IMPORT = "import", "Imported lookervault file"
    BASELINE = "baseline", "Backup held before history was kept"


class BackupRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class BackupRunQuerySet(models.QuerySet["BackupRun"]):
    def completed(self) -> BackupRunQuerySet:
        return self.filter(status=BackupRunStatus.COMPLETED)

    def point_in_time(self, as_of: datetime | None, run_id: int | None) -> datetime:
        """The moment a point-in-time restore reads, from a time or a run; PointInTimeError
        says in words why it cannot be restored (the launch form and `restore` show it)."""
        if run_id is not None:
            run = self.filter(pk=run_id).first()
            if run is None:
                raise PointInTimeError(f"There is no backup run {run_id}.")
            if run.status != BackupRunStatus.COMPLETED:
                why = f" ({run.last_error})" if run.last_error else ""
                raise PointInTimeError(
                    f"Backup run {run_id} of {run.taken_at:%Y-%m-%d %H:%M} UTC is "
                    f"{run.get_status_display().lower()}{why}: it may hold only part of the "
                    "backup. Choose a completed run."
                )
            if as_of is not None and as_of != run.taken_at:
                raise PointInTimeError("Give a point in time or a backup run, not both.")
            return run.taken_at
        assert as_of is not None
        first = self.completed().order_by("taken_at").values_list("taken_at", flat=True).first()
        if first is None:
            raise PointInTimeError(
                "There is no completed backup yet, so there is no point in time to restore."
            )
        if as_of < first:
            raise PointInTimeError(
                f"{as_of:%Y-%m-%d %H:%M:%S %Z} is before the first backup "
                f"(taken {first:%Y-%m-%d %H:%M:%S} UTC): nothing was backed up then."
            )
        return as_of


class BackupRun(models.Model):
    """One backup that fed the history: an extraction, an imported file, or the backup
    that was already held when history began (the baseline)."""

    Kind = BackupRunKind
    Status = BackupRunStatus

    kind = models.CharField(max_length=16, choices=BackupRunKind.choices)
    status = models.CharField(
        max_length=16, choices=BackupRunStatus.choices, default=BackupRunStatus.RUNNING
    )
    taken_at = models.DateTimeField(
        db_index=True,
        help_text="The point in time its versions describe: when an extraction started, "
        "or the newest synced_at of an imported file.",
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    instance = models.TextField(blank=True, default="", help_text="Base URL read from.")
    section = models.CharField(max_length=200, blank=True, default="")
    session = models.ForeignKey(
        RestorationSession,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="backup_runs",
        help_text="The extraction session that ran it.",
    )
    source_file = models.TextField(blank=True, default="", help_text="The imported file.")
    incremental = models.BooleanField(default=False)
    scheduled = models.BooleanField(default=False, help_text="Started by a backup schedule.")
    new_versions = models.IntegerField(default=0)
    deleted_versions = models.IntegerField(default=0, help_text="Objects found gone from Looker.")
    bytes_added = models.BigIntegerField(default=0, help_text="Bytes added to content_blobs.")
    last_error = models.TextField(blank=True, default="")

    objects = BackupRunQuerySet.as_manager()

    class Meta:
        db_table = "backup_runs"
        verbose_name = "backup run"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=BackupRunStatus.values), name="backup_runs_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=BackupRunKind.values), name="backup_runs_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Backup run {self.pk} ({self.get_kind_display()}, {self.taken_at:%Y-%m-%d %H:%M})"

    @property
    def label(self) -> str:
        where = self.section or self.source_file.rsplit("/", 1)[-1] or self.get_kind_display()
        return f"#{self.pk} {self.taken_at:%Y-%m-%d %H:%M} UTC — {where}"

    def finish(self, status: str, error: str = "") -> None:
        """Close the run with its status and the counts its versions add up to."""
        counts = self.versions.aggregate(
            new=models.Count("id", filter=Q(deleted=False)),
            gone=models.Count("id", filter=Q(deleted=True)),
        )
        self.status = status
        self.last_error = error[:2000]
        self.finished_at = timezone.now()
        self.new_versions = counts["new"] or 0
        self.deleted_versions = counts["gone"] or 0
        self.save(
            update_fields=[
                "status",
                "last_error",
                "finished_at",
                "new_versions",
                "deleted_versions",
            ]
        )


class ContentBlob(models.Model):
    """The MessagePack bytes of a superseded version, stored once per distinct content,
    compressed (zlib): Looker objects shrink about four times (`bench history`), and
    superseded versions are read rarely."""

    hash = models.CharField(
        max_length=64, primary_key=True, help_text="SHA-256 of the uncompressed bytes."
    )
    data = models.BinaryField(help_text="zlib-compressed MessagePack.")
    size = models.IntegerField(help_text="Bytes uncompressed.")
    stored_size = models.IntegerField(help_text="Bytes stored (compressed).")
    stored_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "content_blobs"
        verbose_name = "stored version blob"

    def __str__(self) -> str:
        return f"{self.hash[:12]} ({self.size} bytes)"

    @classmethod
    def of(cls, blob: bytes) -> ContentBlob:
        data = zlib.compress(blob, 6)
        return cls(hash=blob_hash(blob), data=data, size=len(blob), stored_size=len(data))

    @staticmethod
    def unpack(data: bytes | memoryview) -> bytes:
        return zlib.decompress(bytes(data))


class ContentVersionQuerySet(models.QuerySet["ContentVersion"]):
    def as_of(self, when: datetime) -> ContentVersionQuerySet:
        """Each object's version in force at `when` (deleted ones included: filter `deleted`)."""
        return self.filter(valid_from__lte=when).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=when)
        )

    def current(self) -> ContentVersionQuerySet:
        return self.filter(valid_to__isnull=True)

    def of_object(self, content_type: int, content_id: str) -> ContentVersionQuerySet:
        return self.filter(content_type=content_type, content_id=str(content_id))

    def apply_retention(
        self, keep_days: int, *, user: Any = None, now: datetime | None = None
    ) -> int:
        """Delete versions superseded more than keep_days ago, and the stored bytes no
        version needs any more; write the audit event. Returns the versions deleted.

        Never deleted: the latest version of every object (valid_to is null), and any
        version in force at the point in time of a pending or running restore."""
        if keep_days < 0:
            raise ValueError("keep_days must be 0 or more")
        now = now or timezone.now()
        cutoff = now - timedelta(days=keep_days)
        deleted = blobs = freed = 0
        with transaction.atomic():
            # The check "a pending or running restore needs this version" and the delete
            # are one step for a launch: it waits for this transaction, or we see it.
            lock_history()
            protected = restoring_points_in_time()
            old = self.filter(valid_to__isnull=False, valid_to__lt=cutoff)
            for when in protected:
                old = old.exclude(valid_from__lte=when, valid_to__gt=when)
            while True:
                batch = list(old.values_list("pk", "blob_hash")[:IN_BATCH])
                if not batch:
                    break
                hashes = {h for _, h in batch}
                deleted += ContentVersion.objects.filter(pk__in=[pk for pk, _ in batch]).delete()[0]
                still_needed = set(
                    ContentVersion.objects.filter(
                        valid_to__isnull=False, blob_hash__in=hashes
                    ).values_list("blob_hash", flat=True)
                )
                unused = ContentBlob.objects.filter(hash__in=hashes - still_needed)
                freed += unused.aggregate(n=models.Sum("stored_size"))["n"] or 0
                blobs += unused.delete()[0]
            AuditEvent.objects.create(
                user=user if getattr(user, "is_authenticated", False) else None,
                action=AuditAction.APPLY_RETENTION,
                description=f"Kept versions of the last {keep_days} days: deleted {deleted} "
                f"older version(s) and {blobs} stored blob(s) ({freed} bytes)",
                count=deleted,
                details={
                    "keep_days": keep_days,
                    "cutoff": cutoff.isoformat(),
                    "blobs_deleted": blobs,
                    "bytes_freed": freed,
                    "protected_points_in_time": [w.isoformat() for w in protected],
                },
            )
        return deleted


# pg_advisory_xact_lock's key for the backup history (any constant the app owns).
HISTORY_LOCK_KEY = 0x52455354  # "REST"


def lock_history() -> None:
    """Hold the backup history against retention until the current transaction ends.

    Retention (which deletes old versions) and the launch or resume of a point-in-time
    restore (which needs them) both take it, so each sees the other's committed result:
    a launch either waits until retention has committed, then finds its point in time
    trimmed and is refused (`retention_gap`), or commits first, and retention then finds
    its session pending and keeps its versions.

    PostgreSQL: a transaction-level advisory lock (READ COMMITTED alone would let a
    launch commit between retention's read and its delete). SQLite: nothing more to take:
    `transaction_mode: IMMEDIATE` (settings.sqlite_database) starts every transaction
    with the database's single write lock, so the reads after it are serialised with
    every writer already."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_history() holds until the transaction ends: call it in one")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [HISTORY_LOCK_KEY])


def retention_gap(when: datetime) -> str | None:
    """Why the backup as it was at `when` may no longer be complete, or None.

    Retention deleted versions superseded before its cutoff; for a moment before that
    cutoff, the versions in force then may be among them, unless a pending or running
    restore of exactly that moment protected them (the audit event lists those moments).
    The audit events of retention are its record: each one that deleted something."""
    events = AuditEvent.objects.filter(action=AuditAction.APPLY_RETENTION, count__gt=0).order_by(
        "-at"
    )
    for at, details in events.values_list("at", "details"):
        details = details or {}
        cutoff = parse_datetime(str(details.get("cutoff") or ""))
        if cutoff is None or when >= cutoff:
            continue
        kept = {parse_datetime(str(t)) for t in details.get("protected_points_in_time") or []}
        if when in kept:
            continue
        when = when.astimezone(UTC)
        return (
            f"Retention on {at:%Y-%m-%d %H:%M} UTC deleted the versions superseded before "
            f"{cutoff:%Y-%m-%d %H:%M} UTC (keep {details.get('keep_days')} days), so the "
            f"backup as it was at {when:%Y-%m-%d %H:%M:%S} UTC is no longer complete. Choose "
            f"a point in time after {cutoff:%Y-%m-%d %H:%M} UTC."
        )
    return None


def missing_version(content_type: int, content_id: str, content_hash: str, when: datetime) -> str:
    """Why the version of one object in force at `when` has no bytes to restore, in words
    that name the version (for the item's dead letter)."""
    label = f"{ContentType(content_type).label} {content_id}"
    when = when.astimezone(UTC)
    version = (
        ContentVersion.objects.of_object(content_type, content_id)
        .filter(blob_hash=content_hash, valid_from__lte=when)
        .order_by("-valid_from")
        .first()
    )
    if version is None:
        reason = retention_gap(when) or (
            "its version is no longer in the backup history (deleted since the plan was read)"
        )
        return (
            f"{label}: the version in force at {when:%Y-%m-%d %H:%M:%S} UTC "
            f"(content {content_hash[:12]}) was deleted from the backup history. {reason}"
        )
    return (
        f"{label}: the version of {version.valid_from:%Y-%m-%d %H:%M:%S} UTC "
        f"(backup run {version.run_id}, content {content_hash[:12]}) has no stored bytes: "
        "neither content_blobs nor the latest backup row holds that content any more."
    )


def restoring_points_in_time() -> list[datetime]:
    """The as_of moments of restores and dry runs that are pending or running (read
    them under `lock_history`, in the transaction that acts on them)."""
    configs = (
        RestorationSession.objects.filter(status__in=(SessionStatus.PENDING, SessionStatus.RUNNING))
        .exclude(kind=SessionKind.EXTRACT)
        .values_list("config", flat=True)
    )
    moments = []
    for config in configs:
        text = (config or {}).get("as_of")
        if text and (when := parse_datetime(str(text))) is not None:
            moments.append(when)
    return moments


class ContentVersion(models.Model):
    """One version of one Looker object: what a backup run found, in force from valid_from
    until the next version's valid_from (valid_to), or still the latest (valid_to null).

    A deletion is a version too (`deleted`): it keeps the last content, so a
    point-in-time restore with "include deleted" still has it.
    """

    content_type = models.IntegerField(choices=ContentType.choices)
    content_id = models.TextField("id")
    run = models.ForeignKey(BackupRun, on_delete=models.PROTECT, related_name="versions")
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField(null=True, blank=True)
    deleted = models.BooleanField(default=False, help_text="The object was gone from Looker.")
    blob_hash = models.CharField(max_length=64, help_text="SHA-256 of the content.")
    content_size = models.IntegerField(default=0)
    name = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField(null=True, blank=True, help_text="Changed in Looker at.")
    changed_by_id = models.TextField(
        null=True, blank=True, help_text="Looker user who last changed it (last_updater_id)."
    )
    folder_id = models.TextField(null=True, blank=True)

    objects = ContentVersionQuerySet.as_manager()

    class Meta:
        db_table = "content_versions"
        verbose_name = "content version"
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "content_id", "valid_from"],
                name="content_versions_once_per_time",
            ),
        ]
        indexes = [
            models.Index(fields=["valid_to"], name="idx_version_valid_to"),
            models.Index(fields=["blob_hash"], name="idx_version_blob"),
        ]

    def __str__(self) -> str:
        return f"{ContentType(self.content_type).label} {self.content_id} @ {self.valid_from}"

    def blob(self) -> bytes | None:
        """This version's MessagePack bytes (None if retention or drift lost them)."""
        return version_blobs([(self.content_type, self.content_id, self.blob_hash)]).get(
            (self.content_type, self.content_id, self.blob_hash)
        )


def version_blobs(keys: Iterable[tuple[int, str, str]]) -> dict[tuple[int, str, str], bytes]:
    """Blobs for (type, id, hash) keys: from content_blobs by hash, else from the object's
    content_items row when its bytes still have that hash (a latest version)."""
    keys = list(keys)
    hashes = sorted({h for _, _, h in keys})
    stored: dict[str, bytes] = {}
    for start in range(0, len(hashes), IN_BATCH):
        stored.update(
            (h, ContentBlob.unpack(data))
            for h, data in ContentBlob.objects.filter(
                hash__in=hashes[start : start + IN_BATCH]
            ).values_list("hash", "data")
        )
    out: dict[tuple[int, str, str], bytes] = {}
    missing: dict[int, list[str]] = {}
    for key in keys:
        if key[2] in stored:
            out[key] = stored[key[2]]
        else:
            missing.setdefault(key[0], []).append(key[1])
    wanted = {(t, i): h for t, i, h in keys if h not in stored}
    for content_type, ids in missing.items():
        for start in range(0, len(ids), IN_BATCH):
            rows = ContentItem.objects.filter(
                content_type=content_type, content_id__in=ids[start : start + IN_BATCH]
            ).values_list("content_id", "content_data")
            for content_id, data in rows:
                data = bytes(data)
                expected = wanted.get((content_type, content_id))
                if expected and blob_hash(data) == expected:
                    out[(content_type, content_id, expected)] = data
    return out


class BackupScheduleQuerySet(models.QuerySet["BackupSchedule"]):
    def set_for(
        self,
        section: str,
        *,
        cron: str,
        incremental: bool = True,
        keep_days: int | None = None,
        enabled: bool = True,
        rate_limit_per_second: int = 10,
        rate_limit_per_minute: int = 600,
        user: Any = None,
    ) -> BackupSchedule:
        """Create or change the schedule of one instance, its django-q2 cron Schedule, and
        the audit event. Raises ValueError with a message for a bad cron or number."""
        from croniter import croniter
        from django_q.models import Schedule

        cron = " ".join(cron.split())
        if len(cron.split()) != 5 or not croniter.is_valid(cron):
            raise ValueError(
                f"'{cron}' is not a cron expression of five fields "
                "(minute hour day-of-month month day-of-week), such as '0 2 * * *'"
            )
        if keep_days is not None and keep_days < 1:
            raise ValueError("Keep versions for at least 1 day, or leave it empty to keep all")
        if rate_limit_per_second < 1 or rate_limit_per_minute < 1:
            raise ValueError("Rate limits must be at least 1")
        who = user if getattr(user, "is_authenticated", False) else None
        with transaction.atomic():
            schedule, created = self.update_or_create(
                section=section,
                defaults={
                    "cron": cron,
                    "incremental": incremental,
                    "keep_days": keep_days,
                    "enabled": enabled,
                    "rate_limit_per_second": rate_limit_per_second,
                    "rate_limit_per_minute": rate_limit_per_minute,
                    "updated_at": timezone.now(),
                    "updated_by": who,
                },
            )
            Schedule.objects.filter(name=schedule.q_name).delete()
            if enabled:
                Schedule.objects.create(
                    name=schedule.q_name,
                    func="restoration.tasks.scheduled_backup",
                    args=repr(section),
                    schedule_type=Schedule.CRON,
                    cron=cron,
                    repeats=-1,
                )
            AuditEvent.objects.create(
                user=who,
                action=AuditAction.SCHEDULE_BACKUP,
                description=f"{'Set' if created else 'Changed'} the backup schedule of {section}: "
                + (schedule.describe() if enabled else "paused"),
                details={
                    "section": section,
                    "cron": cron,
                    "incremental": incremental,
                    "keep_days": keep_days,
                    "enabled": enabled,
                },
            )
        return schedule


class BackupSchedule(models.Model):
    """A recurring backup of one looker.ini instance, run by django-q2's scheduler (a cron
    Schedule named after it), and how long superseded versions are kept."""

    section = models.CharField(max_length=200, unique=True, help_text="looker.ini section.")
    cron = models.CharField(
        max_length=100, help_text="Cron expression in the server's time zone: '0 2 * * *'."
    )
    incremental = models.BooleanField(default=True)
    keep_days = models.IntegerField(
        null=True,
        blank=True,
        help_text="Delete versions superseded more than this many days ago (the latest "
        "version of every object is always kept). Empty: keep every version.",
    )
    enabled = models.BooleanField(default=True)
    rate_limit_per_second = models.IntegerField(default=10)
    rate_limit_per_minute = models.IntegerField(default=600)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = BackupScheduleQuerySet.as_manager()

    class Meta:
        db_table = "backup_schedules"
        verbose_name = "backup schedule"
        permissions = [("schedule_backups", "Can set backup schedules and retention")]

    def __str__(self) -> str:
        return f"Backup of {self.section} at '{self.cron}'"

    def describe(self) -> str:
        kind = "incremental" if self.incremental else "full"
        keep = (
            f", keep versions {self.keep_days} days" if self.keep_days else ", keep every version"
        )
        return f"{kind} backup at '{self.cron}'{keep}"

    def next_run(self) -> datetime | None:
        q = self.q_schedule()
        return q.next_run if q is not None else None

    @property
    def q_name(self) -> str:
        """The name of its django-q2 Schedule."""
        return f"Backup of {self.section}"

    def q_schedule(self) -> Any:
        from django_q.models import Schedule

        return Schedule.objects.filter(name=self.q_name).first()

    def last_run(self) -> BackupRun | None:
        return (
            BackupRun.objects.filter(section=self.section, scheduled=True)
            .order_by("-started_at")
            .first()
        )
