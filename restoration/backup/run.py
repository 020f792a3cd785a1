"""Taking a backup of one Looker instance: an extraction session reads every selected
content type through LookerCaller with worker threads and keeps content_items in step.

An extraction is a RestorationSession with kind="extract"; source_instance and
destination_instance are both the extracted instance's base URL, source_section and
destination_section its looker.ini section. Its counters mean: planned_items = objects listed, total_items =
objects processed, success_count = stored or already current, created_count = new
rows, updated_count = rewritten rows, skipped_count = rows already current,
error_count = objects (or listings) that could not be read, api_calls = Looker calls.
metadata["extraction"] holds the options, metadata["per_type"] the per-type tallies
(listed, created, updated, unchanged, deleted, errors), metadata["errors"] the first
200 failures, metadata["plan"]["per_type"] the listed counts and
metadata["throughput"] [time, items done] samples, as restore sessions have them.
One RestorationCheckpoint per type carries item_count / error_count for progress.

Workers only call Looker, each with its own SDK client; the coordinating thread writes
the backup; a heartbeat thread beats and watches for cancel and worker shutdown. A failed object is logged, counted and left as it was in the
backup (never marked deleted), so the next run reads it again.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from restoration.backup.history import VersionRecorder, start_extraction_run
from restoration.backup.readers import (
    EXTRACTABLE_TYPES,
    READERS,
    Listed,
    Reader,
    is_gone,
    without_secrets,
)
from restoration.backup.rows import BackupWriter, ExtractedItem, OwnerEmails
from restoration.config import RestorationConfig
from restoration.content_types import ContentType
from restoration.looker.calls import BASE_DELAY_S, LookerCaller, LookerCallFailed
from restoration.looker.instances import InstanceNotConfigured, get_instance, ini_path, sdk_for
from restoration.looker.ratelimit import RateLimiter, shared_limiter_for
from restoration.models import (
    AuditAction,
    AuditEvent,
    RestorationCheckpoint,
    RestorationSession,
    SessionKind,
    SessionStatus,
)
from restoration.workers import lifecycle
from restoration.workers.lifecycle import Heartbeat, StopReason, close_pool_connections

logger = logging.getLogger(__name__)

WRITE_BATCH = 100
COUNTERS = (
    "planned_items",
    "total_items",
    "success_count",
    "error_count",
    "created_count",
    "updated_count",
    "skipped_count",
    "api_calls",
)
TICK_SECONDS = 2.0
MAX_RECORDED_ERRORS = 200
MAX_THROUGHPUT_SAMPLES = 500


@dataclass
class ExtractionOptions:
    """What an extraction is asked to do; stored on the session so a worker can run it."""

    types: list[int] = field(default_factory=lambda: [int(t) for t in EXTRACTABLE_TYPES])
    workers: int = 4
    incremental: bool = False
    rate_limit_per_second: int = 10
    rate_limit_per_minute: int = 600
    max_retries: int = 5
    retry_base_delay: float = BASE_DELAY_S  # first retry waits up to this (full jitter)

    def __post_init__(self) -> None:
        unknown = [t for t in self.types if t not in ContentType.values]
        if unknown:
            raise ValueError(f"unknown content type(s): {unknown}")
        if not 1 <= self.workers <= 32:
            raise ValueError("workers must be between 1 and 32")
        if self.rate_limit_per_second < 1 or self.rate_limit_per_minute < 1:
            raise ValueError("rate limits must be at least 1")
        self.types = [int(t) for t in EXTRACTABLE_TYPES if int(t) in set(self.types)]

    @classmethod
    def from_session(cls, session: RestorationSession) -> ExtractionOptions:
        saved = (session.metadata or {}).get("extraction", {})
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in saved.items() if k in known})


@dataclass
class TypeTally:
    listed: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    errors: int = 0

    @property
    def done(self) -> int:
        return self.created + self.updated + self.unchanged + self.errors


def create_extraction_session(
    section: str,
    options: ExtractionOptions,
    *,
    user: Any = None,
    status: str = SessionStatus.PENDING,
) -> RestorationSession:
    """Record an extraction session for a looker.ini section (raises InstanceNotConfigured)."""
    instance = get_instance(section)
    config = RestorationConfig(
        workers=options.workers,
        rate_limit_per_second=options.rate_limit_per_second,
        rate_limit_per_minute=options.rate_limit_per_minute,
        max_retries=options.max_retries,
        content_types=options.types,
        source_instance=instance.base_url,
        destination_instance=instance.base_url,
    )
    launched_by = user if getattr(user, "is_authenticated", False) else None
    with transaction.atomic():
        session = RestorationSession.objects.create(
            kind=SessionKind.EXTRACT,
            status=status,
            source_instance=instance.base_url,
            destination_instance=instance.base_url,
            source_section=section,
            destination_section=section,
            config=config.model_dump(mode="json"),
            metadata={"extraction": asdict(options)},
            launched_by=launched_by,
        )
        AuditEvent.objects.create(
            user=launched_by,
            action=AuditAction.LAUNCH,
            session=session,
            description=f"Backup (extract) of {section} ({instance.base_url})",
        )
    return session


def launch_extraction(
    section: str, options: ExtractionOptions | None = None, *, user: Any = None
) -> RestorationSession:
    """Record a pending extraction and queue it for a django-q2 worker once committed."""
    with transaction.atomic():
        session = create_extraction_session(section, options or ExtractionOptions(), user=user)
        transaction.on_commit(session.enqueue)
    return session


def run_extraction(
    session_id: str, progress: Callable[[Progress], None] | None = None
) -> RestorationSession:
    """Run one extraction session to its end (the django-q2 task and the command both use it)."""
    session = RestorationSession.objects.get(pk=session_id)
    if session.kind != SessionKind.EXTRACT:
        raise ValueError(
            f"session {session_id} is a {session.get_kind_display()}, not an extraction"
        )
    worker = lifecycle.worker_name()
    if not lifecycle.claim(session, worker):
        session.refresh_from_db()
        return session
    Extraction(session, worker=worker, progress=progress).run()
    session.refresh_from_db()
    return session


def extract_instance(
    section: str,
    options: ExtractionOptions | None = None,
    *,
    user: Any = None,
    progress: Callable[[Progress], None] | None = None,
) -> RestorationSession:
    """Extract now, in this process (the `extract` command)."""
    session = create_extraction_session(section, options or ExtractionOptions(), user=user)
    return run_extraction(session.pk, progress=progress)


@dataclass
class Progress:
    """What the progress bar shows after each batch."""

    content_type: ContentType
    listed: int
    done: int
    errors: int
    listing_done: bool
    items_per_second: float


class ExtractionStopped(Exception):
    """The session was cancelled, or taken over by another worker."""


class TypeRun:
    """One content type's part of an extraction: what was listed, what awaits writing."""

    def __init__(self, extraction: Extraction, reader: Reader) -> None:
        self.reader = reader
        self.content_type = reader.content_type
        self.tally = extraction.tallies.setdefault(int(reader.content_type), TypeTally())
        with extraction.db_lock:
            self.checkpoint = RestorationCheckpoint.objects.create(
                session=extraction.session,
                content_type=int(reader.content_type),
                checkpoint_data={},
            )
            self.writer = BackupWriter(
                int(reader.content_type),
                extraction.owner_emails,
                timezone.now(),
                recorder=extraction.recorder,
            )
        self.seen: set[str] = set()
        self.ready: list[ExtractedItem] = []
        self.unchanged: list[str] = []
        self.pending = 0  # reads submitted and not yet settled
        self.listing_done = False
        self.listing_complete = False  # the listing reached its end (deletions may be inferred)


def holding_db_lock(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def locked(self: Extraction, *args: Any, **kwargs: Any) -> Any:
        with self.db_lock:
            return method(self, *args, **kwargs)

    return locked


class Extraction:
    """One run of one extraction session."""

    def __init__(
        self,
        session: RestorationSession,
        *,
        worker: str,
        progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self.session = session
        self.worker = worker
        self.progress = progress
        self.options = ExtractionOptions.from_session(session)
        self.section = session.source_section or session.destination_section
        self.tallies: dict[int, TypeTally] = {}
        self.errors: list[dict[str, Any]] = []
        self.throughput: list[list[Any]] = []
        self.owner_emails = OwnerEmails()
        self._local = threading.local()
        # One thread at a time in the database: SQLite's shared-cache databases (the test
        # database) fail with "table is locked" instead of waiting.
        self.db_lock = threading.RLock()
        self.heartbeat = Heartbeat(session, worker, self.db_lock)
        self.stop = self.heartbeat.stop  # set on cancel, shutdown or take-over
        self._last_tick = 0.0
        self._reported_calls = 0
        self._reported = TypeTally()
        self._started = time.monotonic()
        self._done = 0

    # --- Looker clients -------------------------------------------------------------
    def _sdk(self) -> Any:
        sdk = getattr(self._local, "sdk", None)
        if sdk is None:
            sdk = self._local.sdk = sdk_for(self.instance, ini_path())
        return sdk

    def _read(self, reader: Reader, listed: Listed) -> ExtractedItem | tuple[Listed, BaseException]:
        try:
            data = reader.read(self._sdk(), self.caller.call, listed)
            clean = without_secrets(reader.content_type, data)
            return ExtractedItem(int(reader.content_type), listed.content_id, clean)
        except Exception as exc:  # noqa: BLE001  (one bad object must not stop the backup)
            if not isinstance(exc, LookerCallFailed):
                logger.error(
                    "Reading %s %s failed:\n%s",
                    reader.content_type.label,
                    listed.content_id,
                    traceback.format_exc(),
                )
            return (listed, exc)

    # --- the run ------------------------------------------------------------------------
    def run(self) -> None:
        """Run the claimed session to its end (`run_extraction` claims it first)."""
        self._start_afresh()
        with self.db_lock:
            self.backup_run = start_extraction_run(
                self.session, incremental=self.options.incremental
            )
        self.recorder = VersionRecorder(self.backup_run)
        self.heartbeat.start()
        try:
            self._run()
        finally:
            self.heartbeat.end()

    def _start_afresh(self) -> None:
        """A resumed extraction (reaped, handed back, resumed) reads everything again: that
        is idempotent and cheap next to a restore, so its counters start from zero.

        A cancel request stays: resume() clears it, so one still set was made while
        the session ran and must stop this run too. resume_count is the resume's own."""
        session = self.session
        metadata = dict(session.metadata or {})
        metadata.pop("ran_before", None)  # written by earlier versions
        for key in ("per_type", "plan", "errors", "throughput", "summary", "api", "throttled"):
            metadata.pop(key, None)
        fields: dict[str, Any] = {name: 0 for name in COUNTERS}
        RestorationSession.objects.filter(pk=session.pk).update(metadata=metadata, **fields)
        RestorationCheckpoint.objects.filter(session=session).delete()
        session.refresh_from_db()
        self.errors = []

    def _run(self) -> None:
        status, error = SessionStatus.COMPLETED, ""
        try:
            self.instance = get_instance(self.section)
            limiters: list[Any] = [
                RateLimiter(self.options.rate_limit_per_second, self.options.rate_limit_per_minute)
            ]
            if shared := shared_limiter_for(self.instance):
                limiters.append(shared)
            self.limiters = limiters
            self.caller = LookerCaller(
                limiters, self.options.max_retries, base_delay=self.options.retry_base_delay
            )
            self._check_login()
            with ThreadPoolExecutor(
                max_workers=self.options.workers, thread_name_prefix="extract"
            ) as pool:
                try:
                    self._extract_all(pool)
                finally:
                    close_pool_connections(pool, self.options.workers)
        except ExtractionStopped:
            reason = self.heartbeat.reason
            if reason == StopReason.SHUTDOWN:
                self._flush_counters()
                with self.db_lock:
                    self.backup_run.finish(
                        SessionStatus.FAILED,
                        "Handed back at a worker shutdown; the resumed backup is a new run",
                    )
                    self.session.hand_back(self.worker)
                return
            if reason != StopReason.CANCEL:
                # Reaped or claimed by another worker: that run owns the session now.
                logger.warning("Extraction %s stopped here: %s", self.session.pk, reason)
                return
            status, error = SessionStatus.CANCELLED, "Cancelled by request"
        except InstanceNotConfigured as exc:
            status, error = SessionStatus.FAILED, str(exc)
        except LookerCallFailed as exc:
            hint = ""
            if exc.status in (401, 403, 404):
                hint = f" (check client_id and client_secret of [{self.section}] in looker.ini)"
            status, error = SessionStatus.FAILED, f"Could not log in to {self.section}: {exc}{hint}"
        except Exception as exc:  # noqa: BLE001  (recorded on the session, then re-raised)
            logger.exception("Extraction %s failed", self.session.pk)
            self._finish(SessionStatus.FAILED, f"{type(exc).__name__}: {exc}")
            raise
        self._finish(status, error)

    def check_in(self) -> None:
        """One heartbeat, as the heartbeat thread does every second (tests drive it)."""
        self.heartbeat.check_in()

    def _check_login(self) -> None:
        # One cheap call up front turns wrong credentials or a wrong URL into one clear
        # session error instead of an error per content type.
        self.caller.call(self._sdk().me, fields="id")

    def _extract_all(self, pool: ThreadPoolExecutor) -> None:
        """List the types one after the other while earlier types' reads still run, so
        the workers never idle at a type boundary; each type is finished (deletions
        marked, checkpoint closed) as soon as its own reads are done."""
        self._pool = pool
        self._in_flight: dict[Future, TypeRun] = {}
        self._active: list[TypeRun] = []
        try:
            for content_type in self.options.types:
                run = TypeRun(self, READERS[ContentType(content_type)])
                self._active.append(run)
                self._list(run)
                self._finish_done_runs()
            while self._in_flight:
                self._settle_some(self._active[0])
            self._finish_done_runs()
        except ExtractionStopped:
            for future in self._in_flight:
                future.cancel()
            raise

    def _list(self, run: TypeRun) -> None:
        reader = run.reader
        try:
            for listed in reader.list(self._sdk(), self.caller.call):
                if listed.content_id in run.seen:
                    continue  # offset paging repeats an object when others are created meanwhile
                run.seen.add(listed.content_id)
                run.tally.listed += 1
                if (
                    self.options.incremental
                    and reader.has_updated_at
                    and run.writer.is_unchanged(listed.content_id, listed.updated_at)
                ):
                    run.unchanged.append(listed.content_id)
                    if len(run.unchanged) >= WRITE_BATCH:
                        self._touch(run)
                elif reader.reads_each:
                    while len(self._in_flight) >= 4 * self.options.workers:
                        self._settle_some(run)
                    future = self._pool.submit(self._read, reader, listed)
                    self._in_flight[future] = run
                    run.pending += 1
                else:
                    self._accept(run, self._read(reader, listed))
                self._tick(run)
            run.listing_complete = True
        except LookerCallFailed as exc:
            self._record_error(run.content_type, None, exc)
            run.tally.errors += 1
        run.listing_done = True

    def _settle_some(self, shown: TypeRun) -> None:
        done, _ = wait(self._in_flight, timeout=TICK_SECONDS, return_when=FIRST_COMPLETED)
        for future in done:
            run = self._in_flight.pop(future)
            run.pending -= 1
            self._accept(run, future.result())
        self._finish_done_runs()
        self._tick(shown)

    def _accept(self, run: TypeRun, result: ExtractedItem | tuple[Listed, BaseException]) -> None:
        if isinstance(result, ExtractedItem):
            run.ready.append(result)
            if len(run.ready) >= WRITE_BATCH:
                self._store(run)
        else:
            self._failed(run, *result)

    def _finish_done_runs(self) -> None:
        for run in list(self._active):
            if run.listing_done and run.pending == 0:
                self._finish_type(run)
                self._active.remove(run)

    def _finish_type(self, run: TypeRun) -> None:
        self._store(run)
        self._touch(run)
        tally = run.tally
        gone: list[str] = []
        if run.listing_complete:
            gone = self._confirm_gone(run, run.writer.missing_from(run.seen))
        with self.db_lock:
            tally.deleted += run.writer.mark_gone(gone, timezone.now())
            run.checkpoint.update_restoration_checkpoint(
                item_count=tally.done,
                error_count=tally.errors,
                checkpoint_data={"listed": tally.listed, "listing_complete": run.listing_complete},
                completed_at=timezone.now(),
            )
        self._tick(run, force=True)
        logger.info(
            "Extracted %ss from %s: %s",
            run.content_type.label.lower(),
            self.section,
            ", ".join(f"{k} {v}" for k, v in asdict(tally).items()),
        )

    def _confirm_gone(self, run: TypeRun, missing: set[str]) -> list[str]:
        """Of the objects the listing did not show, those Looker answers 404 for.

        Offset paging skips an object whenever an earlier one is deleted during the
        listing; asking for each missing object keeps that from soft-deleting it."""
        if not missing:
            return []

        def check(content_id: str) -> tuple[str, bool | BaseException]:
            try:
                return content_id, run.reader.still_exists(
                    self._sdk(), self.caller.call, content_id
                )
            except Exception as exc:  # noqa: BLE001  (unsure: keep the stored copy)
                return content_id, exc

        gone = []
        for content_id, answer in self._pool.map(check, sorted(missing)):
            if answer is False:
                gone.append(content_id)
            elif isinstance(answer, BaseException):
                logger.warning(
                    "Could not confirm that %s %s is gone; keeping it: %s",
                    run.content_type.label,
                    content_id,
                    answer,
                )
        return gone

    # --- results ----------------------------------------------------------------------
    @holding_db_lock
    def _store(self, run: TypeRun) -> None:
        if not run.ready:
            return
        counts = run.writer.write(run.ready)
        run.ready.clear()
        run.tally.created += counts.created
        run.tally.updated += counts.updated
        run.tally.unchanged += counts.unchanged

    @holding_db_lock
    def _touch(self, run: TypeRun) -> None:
        if not run.unchanged:
            return
        run.writer.touch(run.unchanged)
        run.tally.unchanged += len(run.unchanged)
        run.unchanged.clear()

    @holding_db_lock
    def _failed(self, run: TypeRun, listed: Listed, exc: BaseException) -> None:
        if isinstance(exc, LookerCallFailed) and is_gone(exc):
            # Deleted between the listing and the read.
            run.tally.deleted += run.writer.mark_gone([listed.content_id], timezone.now())
            return
        run.tally.errors += 1
        self._record_error(run.content_type, listed.content_id, exc)

    def _record_error(
        self, content_type: ContentType, content_id: str | None, exc: BaseException
    ) -> None:
        what = (
            f"{content_type.label} {content_id}"
            if content_id
            else f"listing of {content_type.label}s"
        )
        logger.warning("Could not read %s from %s: %s", what, self.section, exc)
        if len(self.errors) >= MAX_RECORDED_ERRORS:
            return
        entry: dict[str, Any] = {
            "content_type": int(content_type),
            "content_id": content_id,
            "message": str(exc)[:1000],
            "at": timezone.now().isoformat(),
        }
        if isinstance(exc, LookerCallFailed):
            entry.update(
                status=exc.status,
                error_type=exc.error_type,
                retry_count=exc.retry_count,
            )
        else:
            entry.update(status=None, error_type=type(exc).__name__, retry_count=0)
        self.errors.append(entry)

    # --- progress, heartbeat, counters ---------------------------------------------------
    def _tick(self, run: TypeRun, *, force: bool = False) -> None:
        now = time.monotonic()
        if self.stop.is_set():
            raise ExtractionStopped(self.heartbeat.reason)
        if not force and now - self._last_tick < TICK_SECONDS:
            return
        self._last_tick = now
        self._flush_counters()
        if self.progress:
            elapsed = max(1e-6, now - self._started)
            tally = run.tally
            self.progress(
                Progress(
                    run.content_type,
                    tally.listed,
                    tally.done,
                    tally.errors,
                    run.listing_done,
                    self._done / elapsed,
                )
            )

    def _totals(self) -> TypeTally:
        total = TypeTally()
        for tally in self.tallies.values():
            for name, value in asdict(tally).items():
                setattr(total, name, getattr(total, name) + value)
        return total

    @holding_db_lock
    def _flush_counters(self) -> None:
        total = self._totals()
        last = self._reported
        calls = self.caller.calls if hasattr(self, "caller") else 0
        self.session.add_counts(
            planned_items=total.listed - last.listed,
            total_items=total.done - last.done,
            success_count=(total.done - total.errors) - (last.done - last.errors),
            error_count=total.errors - last.errors,
            created_count=total.created - last.created,
            updated_count=total.updated - last.updated,
            skipped_count=total.unchanged - last.unchanged,
            api_calls=calls - self._reported_calls,
        )
        self._reported = total
        self._reported_calls = calls
        self._done = total.done
        self.throughput.append([timezone.now().isoformat(), total.done])
        if len(self.throughput) > MAX_THROUGHPUT_SAMPLES:
            self.throughput = self.throughput[::2]
        metadata = {
            **(self.session.metadata or {}),
            "per_type": {ContentType(ct).slug: asdict(t) for ct, t in sorted(self.tallies.items())},
            "plan": {"per_type": {str(ct): t.listed for ct, t in sorted(self.tallies.items())}},
            "errors": self.errors,
            "throughput": self.throughput,
            "throttled": any(
                getattr(lim, "throttled", False) for lim in getattr(self, "limiters", [])
            ),
        }
        if hasattr(self, "caller"):
            metadata["api"] = self.caller.stats()
        self.session.metadata = metadata
        RestorationSession.objects.filter(pk=self.session.pk).update(metadata=metadata)

    @holding_db_lock
    def _finish(self, status: str, error: str) -> None:
        self._flush_counters()
        total = self._totals()
        elapsed = time.monotonic() - self._started
        summary = {
            "instance": self.section,
            **asdict(total),
            "api_calls": self.caller.calls if hasattr(self, "caller") else 0,
            "duration_seconds": round(elapsed, 3),
            "items_per_second": round(total.done / elapsed, 2) if elapsed > 0 else 0.0,
        }
        self.backup_run.finish(status, error)
        summary["backup_run"] = self.backup_run.pk
        self.session.finish(status, error=error, summary=summary)
