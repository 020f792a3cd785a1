"""Running one session to its end: claim it, walk the plan type by type with a pool of
worker threads, and save progress (checkpoint, counters, dead letters, dry-run rows)
in one transaction per checkpoint, so a resume after any crash counts nothing twice.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from restoration.config import RestorationSummary
from restoration.content_types import ContentType, dependency_rank
from restoration.engine.api import DestinationAPI, DryRunWriteBlocked, ItemFailed
from restoration.engine.checkpoints import TypeProgress
from restoration.engine.destination import DestinationState, Mappings
from restoration.engine.plan import Plan, PlanEntry, load_blobs
from restoration.engine.restorer import Outcome, Restorer
from restoration.looker.calls import CallAbandoned, LookerCaller
from restoration.looker.instances import InstanceNotConfigured, get_instance
from restoration.looker.ratelimit import RateLimiter, shared_limiter_for
from restoration.models import (
    DeadLetterItem,
    DryRunItem,
    RestorationCheckpoint,
    RestorationSession,
    SessionKind,
    SessionStatus,
    encode_blob,
)
from restoration.versions import retention_gap
from restoration.workers import lifecycle
from restoration.workers.lifecycle import Heartbeat, StopReason, close_pool_connections

logger = logging.getLogger(__name__)


def retry_base_delay() -> float:
    """First retry waits up to this long (full jitter, doubling each retry)."""
    return float(getattr(settings, "RESTORE_RETRY_BASE_DELAY", 0.5))


FLUSH_SECONDS = 1.0
THROUGHPUT_SAMPLES = 240
BLOB_BATCH = 64
WARNINGS_KEPT = 200  # warnings listed on the session page; the count is always exact


@dataclass
class Done:
    """A finished item waiting for the next checkpoint to record it."""

    entry: PlanEntry
    outcome: Outcome | None = None
    failure: ItemFailed | None = None
    blob: Any = None


class SessionRunner:
    def __init__(
        self,
        session: RestorationSession,
        progress: Callable[[RestorationSession], None] | None = None,
    ) -> None:
        self.session = session
        self.progress = progress
        self.config = session.restoration_config
        self.worker = lifecycle.worker_name()
        self.db_lock = threading.RLock()
        self.heartbeat = Heartbeat(session, self.worker, self.db_lock)
        self.stop = self.heartbeat.stop  # set on cancel, shutdown or take-over
        self.started = time.monotonic()
        self.items_done = 0
        self.checkpoint_bytes = 0  # JSON written to checkpoints: must grow linearly
        self.checkpoint_max_bytes = 0

    # -- lifecycle ----------------------------------------------------------------
    def run(self) -> None:
        session = self.session
        if not lifecycle.claim(session, self.worker):
            return
        self.heartbeat.start()
        api = None
        try:
            try:
                api, restorer = self._connect()
                self._run_plan(restorer)
            except CallAbandoned:
                pass  # stopped while waiting for the rate limit: the stop reason says why
            reason = self.heartbeat.reason
            if reason == StopReason.CANCEL:
                self._finish(SessionStatus.CANCELLED, "Cancelled by request")
            elif reason == StopReason.SHUTDOWN:
                with self.db_lock:
                    session.hand_back(self.worker)
            elif reason is not None:
                logger.warning("session %s stopped here: %s", session.pk, reason)
            else:
                self._finish(SessionStatus.COMPLETED)
        except SessionFailed as exc:
            self._finish(SessionStatus.FAILED, str(exc))
        except Exception as exc:  # the session must end failed and resumable, never stuck
            logger.exception("session %s failed", session.pk)
            self._finish(SessionStatus.FAILED, f"{type(exc).__name__}: {exc}")
        finally:
            self.heartbeat.end()
            if api is not None:
                api.close()

    def _connect(self) -> tuple[DestinationAPI, Restorer]:
        session, config = self.session, self.config
        try:
            instance = get_instance(session.destination_section)
        except InstanceNotConfigured as exc:
            raise SessionFailed(f"Destination {session.destination_section!r}: {exc}") from exc
        limiter = RateLimiter(config.rate_limit_per_second, config.rate_limit_per_minute)
        self.limiter = limiter
        limiters: list[Any] = [limiter]
        shared = (
            shared_limiter_for(instance) if hasattr(instance, "rate_limit_per_second") else None
        )
        if shared is not None:  # the instance's own limit, shared with every other session
            limiters.append(shared)
        self.caller = LookerCaller(
            limiters,
            max_retries=config.max_retries,
            base_delay=retry_base_delay(),
            stop=self.stop,  # a cancel or shutdown ends any wait for the rate limit
        )
        api = DestinationAPI(session.destination_section, self.caller, dry_run=config.dry_run)
        where = f"destination {session.destination_section!r} ({session.destination_instance})"
        try:
            me = api.read("me", fields="id,display_name")
        except ItemFailed as exc:
            if exc.status in (400, 401, 403, 404):
                # Looker answers a bad client_id/client_secret with 404 at login.
                raise SessionFailed(
                    f"Cannot log in to {where}: Looker refused the client_id/client_secret "
                    f"in looker.ini (HTTP {exc.status})"
                ) from exc
            if exc.status is None:
                raise SessionFailed(f"Cannot reach {where}: {exc.message}") from exc
            raise SessionFailed(f"Cannot use {where}: {exc.message}") from exc
        except Exception as exc:  # anything else the SDK raises at login
            raise SessionFailed(f"Cannot log in to {where}: {exc}") from exc
        state = DestinationState(api)
        state.me = {"id": str(getattr(me, "id", ""))}
        source = session.source_instance or session.destination_instance
        mappings = Mappings(
            source,
            session.destination_instance,
            session,
            persist=not config.dry_run,
            db_lock=self.db_lock,
        )
        restorer = Restorer(
            config,
            api,
            mappings,
            state,
            same_instance=source == session.destination_instance,
            db_lock=self.db_lock,
            source_section=session.source_section if source != session.destination_instance else "",
        )
        return api, restorer

    def _finish(self, status: str, error: str = "") -> None:
        with self.db_lock:
            self._write_metadata_samples()
            summary = self.summary()
            self.session.finish(status, error=error, summary=summary.as_json())

    # -- plan ------------------------------------------------------------------------
    def _run_plan(self, restorer: Restorer) -> None:
        session = self.session
        dead_letters = None
        if session.kind == SessionKind.DLQ_RETRY:
            dead_letters = list((session.metadata or {}).get("dead_letter_ids") or [])
        if self.config.as_of is not None and dead_letters is None:
            # Resumed after retention trimmed its point in time: the plan would silently
            # lack the objects whose versions went.
            if (gap := retention_gap(self.config.as_of)) is not None:
                raise SessionFailed(gap)
        plan = Plan(self.config, dead_letter_ids=dead_letters)
        per_type = plan.per_type()
        planned = sum(per_type.values())
        unknown = plan.unknown_ids()
        self._set_metadata(
            plan={
                "per_type": {str(t): n for t, n in per_type.items()},
                "skipped_types": {str(t): r for t, r in plan.skipped_types().items()},
                "unknown_ids": unknown,
            }
        )
        session.update_restoration_session(planned_items=planned)
        if unknown:
            logger.warning("session %s: ids not in the backup: %s", session.pk, unknown)
        workers = self.config.workers
        with ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix=f"restore-{session.pk[:8]}"
        ) as pool:
            try:
                for content_type in plan.types():
                    if self.stop.is_set():
                        break
                    self._run_type(plan, content_type, restorer, pool)
            finally:
                close_pool_connections(pool, workers)

    def _checkpoint_for(self, content_type: int) -> RestorationCheckpoint:
        with self.db_lock:
            found = (
                RestorationCheckpoint.objects.filter(
                    session=self.session, content_type=content_type
                )
                .order_by("-id")
                .first()
            )
            if found is None:
                found = RestorationCheckpoint.objects.create(
                    session=self.session, content_type=content_type, checkpoint_data={}
                )
            return found

    def _run_type(
        self, plan: Plan, content_type: int, restorer: Restorer, pool: ThreadPoolExecutor
    ) -> None:
        checkpoint = self._checkpoint_for(content_type)
        if checkpoint.completed_at is not None:
            return
        progress = TypeProgress.from_data(checkpoint.checkpoint_data)
        try:
            restorer.prepare(content_type)
        except ItemFailed as exc:
            raise SessionFailed(
                f"Cannot read the destination's {ContentType(content_type).label.lower()}s: {exc.message}"
            ) from exc
        pending: list[Done] = []
        in_flight: dict[Future, PlanEntry] = {}
        window = max(4, self.config.workers * 4)
        last_flush = time.monotonic()
        level = None

        def drain(block_until: int) -> None:
            nonlocal last_flush
            if self.stop.is_set():
                # Stopping: items no worker thread has started wait for the resume, so a
                # slow pace does not hold a cancel or a shutdown for the whole window.
                for future in [f for f in in_flight if f.cancel()]:
                    in_flight.pop(future)
            while len(in_flight) > block_until:
                finished, _ = wait(list(in_flight), timeout=0.5, return_when=FIRST_COMPLETED)
                for future in finished:
                    in_flight.pop(future)
                    done = future.result()
                    if done is not None:  # None: abandoned by a stop, redone on resume
                        pending.append(done)
                if len(pending) >= self.config.checkpoint_interval or (
                    time.monotonic() - last_flush >= FLUSH_SECONDS
                ):
                    self._flush(checkpoint, progress, pending)
                    last_flush = time.monotonic()

        batch: list[PlanEntry] = []

        def submit(batch: list[PlanEntry]) -> None:
            with self.db_lock:
                blobs = load_blobs(batch)
            restorer.prefetch(content_type, batch)
            for e in batch:
                if self.stop.is_set():  # cancel or shutdown: the rest waits for a resume
                    break
                in_flight[pool.submit(self._process, restorer, e, blobs.get(e.offset))] = e
                drain(window)

        for entry in plan.entries(content_type):
            if self.stop.is_set():
                break
            if progress.is_done(entry.offset, entry.content_id):
                progress.mark_done(entry.offset, entry.content_id)
                continue
            if level is not None and entry.level != level:
                # Folders: every parent is restored before any child starts.
                submit(batch)
                batch = []
                drain(0)
            level = entry.level
            batch.append(entry)
            if len(batch) >= BLOB_BATCH:
                submit(batch)
                batch = []
        if batch and not self.stop.is_set():
            submit(batch)
        drain(0)
        restorer.mappings.save_verified()  # stopping or not: what the items recorded
        if not self.stop.is_set():
            try:
                restorer.after_type(content_type, plan.entries(content_type))
            except ItemFailed as exc:
                raise SessionFailed(
                    f"{ContentType(content_type).label}s were restored but a final step failed: "
                    f"{exc.message}"
                ) from exc
        self._flush(checkpoint, progress, pending, complete=not self.stop.is_set())

    def _process(self, restorer: Restorer, entry: PlanEntry, blob: Any) -> Done | None:
        try:
            outcome = restorer.restore(entry, blob)
            if outcome.status != "created" and restorer.mappings.created_earlier(
                entry.content_type, entry.content_id
            ):
                # Created by this session before a crash, and not counted then.
                outcome.status = "created"
            return Done(entry, outcome=outcome)
        except CallAbandoned:
            return None  # not done, not failed: the resume restores it
        except ItemFailed as exc:
            if not exc.stack:
                exc.stack = "".join(traceback.format_exception(exc))
            return Done(entry, failure=exc, blob=blob)
        except DryRunWriteBlocked:
            raise
        except Exception as exc:  # one bad item must not stop the session
            logger.exception("unexpected failure restoring %s", entry)
            failed = ItemFailed(f"{type(exc).__name__}: {exc}", error_type=type(exc).__name__)
            failed.stack = "".join(traceback.format_exception(exc))
            return Done(entry, failure=failed, blob=blob)

    # -- checkpoints -------------------------------------------------------------------
    def _flush(
        self,
        checkpoint: RestorationCheckpoint,
        progress: TypeProgress,
        pending: list[Done],
        *,
        complete: bool = False,
    ) -> None:
        """Record finished items: checkpoint, counters, dead letters and dry-run rows in one
        transaction, so a crash loses all of a flush or none of it."""
        done, pending[:] = list(pending), []
        counts: Counter[str] = Counter()
        tally: Counter[str] = Counter((checkpoint.checkpoint_data or {}).get("outcomes") or {})
        errors: Counter[str] = Counter((checkpoint.checkpoint_data or {}).get("errors") or {})
        letters: list[DeadLetterItem] = []
        rows: list[DryRunItem] = []
        retried: list[int] = []
        restored: list[str] = []
        failed_retries: dict[int, DeadLetterItem] = {}
        warnings: list[dict[str, Any]] = []
        for item in done:
            e = item.entry
            progress.mark_done(e.offset, e.content_id)
            counts["total_items"] += 1
            if item.failure is not None:
                counts["error_count"] += 1
                tally["failed"] += 1
                errors[item.failure.error_type] += 1
                if self.config.dry_run:
                    rows.append(self._dry_row(e, "fail", item.failure.message, {}))
                elif e.dead_letter_id is not None:
                    failed_retries[e.dead_letter_id] = self._dead_letter(e, item)
                else:
                    letters.append(self._dead_letter(e, item))
                continue
            outcome = item.outcome
            assert outcome is not None
            status = outcome.status
            tally[status] += 1
            counts["success_count"] += 1  # the design's total = successful + failed
            restored.append(e.content_id)
            if status == "skipped":
                counts["skipped_count"] += 1
            elif status == "created":
                counts["created_count"] += 1
            elif status == "updated":
                counts["updated_count"] += 1
            if e.dead_letter_id is not None:
                retried.append(e.dead_letter_id)
            for message in outcome.warnings:
                warnings.append(
                    {
                        "content_type": e.content_type,
                        "content_id": e.content_id,
                        "name": e.name,
                        "message": message,
                    }
                )
            if self.config.dry_run:
                action = {"created": "create", "updated": "update"}.get(status, "skip")
                reason = "; ".join(filter(None, [outcome.reason, *outcome.warnings]))
                rows.append(self._dry_row(e, action, reason, outcome.diff))
        self.items_done += len(done)
        api_calls = self.caller.calls
        counts["api_calls"] = api_calls - (getattr(self, "_calls_recorded", 0))
        self._calls_recorded = api_calls
        with self.db_lock, transaction.atomic():
            checkpoint.item_count += len(done)
            checkpoint.error_count += counts["error_count"]
            # Outcome and error tallies ride in the checkpoint: exact across resumes.
            checkpoint.checkpoint_data = {
                **progress.data(),
                "outcomes": dict(tally),
                "errors": dict(errors),
                "warnings": (checkpoint.checkpoint_data or {}).get("warnings", 0) + len(warnings),
            }
            size = len(json.dumps(checkpoint.checkpoint_data))
            self.checkpoint_bytes += size
            self.checkpoint_max_bytes = max(self.checkpoint_max_bytes, size)
            fields = ["checkpoint_data", "item_count", "error_count"]
            if complete:
                checkpoint.completed_at = timezone.now()
                fields.append("completed_at")
            checkpoint.save(update_fields=fields)
            if letters:
                DeadLetterItem.objects.record_failures(self.session, letters)
            if rows:
                DryRunItem.objects.bulk_create(rows)
            if retried:
                DeadLetterItem.objects.filter(pk__in=retried).delete()
            if restored and not self.config.dry_run:
                DeadLetterItem.objects.resolve(self.session, done[0].entry.content_type, restored)
            if failed_retries:
                DeadLetterItem.objects.record_retry_failures(failed_retries)
            self.session.add_counts(**counts)
            if warnings:
                self._record_warnings(warnings)
            self._write_metadata_samples()
        if self.progress is not None:
            with self.db_lock:
                self.session.refresh_from_db()
            self.progress(self.session)

    def _record_warnings(self, warnings: list[dict[str, Any]]) -> None:
        """Parts of items left out while the rest was restored (engine/content/*:
        Outcome.warnings), kept on the session for its page; the count is exact in the
        checkpoints, the list keeps the first WARNINGS_KEPT."""
        self.session.refresh_from_db(fields=["metadata"])
        kept = list((self.session.metadata or {}).get("warnings") or [])
        kept += warnings[: max(0, WARNINGS_KEPT - len(kept))]
        self.session.metadata = {**(self.session.metadata or {}), "warnings": kept}
        self.session.save(update_fields=["metadata"])

    def _dead_letter(self, entry: PlanEntry, item: Done) -> DeadLetterItem:
        failure = item.failure
        assert failure is not None
        blob = item.blob
        if blob is None:
            blob = encode_blob({"id": entry.content_id})
        return DeadLetterItem(
            session=self.session,
            content_id=entry.content_id,
            content_type=entry.content_type,
            content_data=bytes(blob),
            error_message=failure.message[:10000],
            error_type=failure.error_type,
            stack_trace=failure.stack,
            retry_count=_retry_count(failure),
            metadata={**failure.metadata(), "name": entry.name},
        )

    def _dry_row(self, entry: PlanEntry, action: str, reason: str, diff: dict) -> DryRunItem:
        return DryRunItem(
            session=self.session,
            content_type=entry.content_type,
            content_type_rank=dependency_rank(entry.content_type),
            position=entry.offset,
            content_id=entry.content_id,
            name=entry.name,
            action=action,
            reason=reason,
            diff=_jsonable(diff),
        )

    # -- metadata, heartbeat, summary ---------------------------------------------------------
    def _set_metadata(self, **values: Any) -> None:
        with self.db_lock:
            self.session.refresh_from_db(fields=["metadata"])
            self.session.metadata = {**(self.session.metadata or {}), **values}
            self.session.save(update_fields=["metadata"])

    def _write_metadata_samples(self) -> None:
        session = self.session
        session.refresh_from_db(fields=["metadata", "total_items"])
        meta = dict(session.metadata or {})
        samples = list(meta.get("throughput") or [])
        samples.append([datetime.now(UTC).isoformat(timespec="seconds"), session.total_items])
        meta["throughput"] = samples[-THROUGHPUT_SAMPLES:]
        limiter = getattr(self, "limiter", None)
        meta["throttled"] = bool(limiter.throttled) if limiter is not None else False
        caller = getattr(self, "caller", None)
        if caller is not None:
            meta["calls"] = caller.stats()  # calls, retries, failures, rate_limited (429s)
        meta["checkpoint_bytes"] = self.checkpoint_bytes
        meta["checkpoint_max_bytes"] = self.checkpoint_max_bytes
        session.metadata = meta
        session.save(update_fields=["metadata"])

    def summary(self) -> RestorationSummary:
        """The session's summary, from its counters and checkpoints (exact across resumes)."""
        session = self.session
        session.refresh_from_db()
        per_type: dict[int, int] = {}
        warning_count = 0
        errors: Counter[str] = Counter()
        outcomes: dict[str, dict[str, int]] = {}
        for checkpoint in session.checkpoints.all():
            per_type[checkpoint.content_type] = (
                per_type.get(checkpoint.content_type, 0) + checkpoint.item_count
            )
            data = checkpoint.checkpoint_data or {}
            errors.update(data.get("errors") or {})
            warning_count += int(data.get("warnings") or 0)
            outcomes[str(checkpoint.content_type)] = dict(data.get("outcomes") or {})
        self._set_metadata(summary_by_type=outcomes)
        duration = max(0.001, time.monotonic() - self.started)
        return RestorationSummary(
            session_id=session.pk,
            total_items=session.total_items,
            success_count=session.success_count,
            created_count=session.created_count,
            updated_count=session.updated_count,
            error_count=session.error_count,
            skipped_count=session.skipped_count,
            duration_seconds=round(duration, 3),
            average_throughput=round(self.items_done / duration, 3),
            content_type_breakdown=per_type,
            error_breakdown=dict(errors),
            warning_count=warning_count,
            api_calls=session.api_calls,
        )


class SessionFailed(Exception):
    """The session cannot go on (unreachable destination, wrong credentials, ...)."""


def _retry_count(failure: ItemFailed) -> int:
    return max(0, len(failure.retry_history) - 1)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def run_session(
    session_id: str, progress: Callable[[RestorationSession], None] | None = None
) -> None:
    """Run or resume one session to its end (the django-q2 task); `progress` is called
    with the session after each checkpoint (the command line's progress bar)."""
    session = RestorationSession.objects.filter(pk=session_id).first()
    if session is None:
        logger.warning("session %s does not exist", session_id)
        return
    SessionRunner(session, progress).run()
