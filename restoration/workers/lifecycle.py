"""What every session runner does around its own work, restore and backup alike: name
the worker, claim the session (pending -> running only), beat from a thread of its own
while watching for a cancel request and a worker shutdown, and close the connections
its pool threads opened.

A runner stops for one of the `StopReason`s: a cancel ends the session cancelled, a
shutdown hands it back to the queue, and a take-over (reaped, or claimed by another
worker meanwhile) leaves it to the worker that owns it now.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum

from django.conf import settings
from django.db import DatabaseError, connections

from restoration.models import RestorationSession, SessionStatus
from restoration.workers import shutdown

logger = logging.getLogger(__name__)


class StopReason(StrEnum):
    CANCEL = "cancelled by request"
    SHUTDOWN = "the worker is shutting down"
    TAKEN_OVER = "the session no longer runs on this worker"


def heartbeat_seconds() -> float:
    """How often a running session beats; the reaper judges restores and backups alike."""
    return float(getattr(settings, "RESTORE_HEARTBEAT_SECONDS", 5))


def worker_name() -> str:
    """host:pid:thread, so two sessions run by one process (a command, a test) differ."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def claim(session: RestorationSession, worker: str) -> bool:
    """Take a queued session for this worker; False when it must not run here.

    A worker that is stopping passes the task on instead of claiming it, so the
    session is not claimed only to be handed back moments later. A session that writes
    into a Looker (a restore, a dead-letter retry) first holds its destination: while
    another session writes there it stays pending, noting which one it waits for, and
    is queued again when that one ends (`RestorationSession.hold_destination`); dry
    runs and backups never wait. The claim itself is the model's compare-and-set
    (pending -> running only): a session cancelled while it waited in the queue stays
    cancelled, a finished one is not run again.
    """
    if shutdown.worker_is_stopping():
        if RestorationSession.objects.filter(pk=session.pk, status=SessionStatus.PENDING).exists():
            logger.info("session %s: this worker is stopping; queued for another", session.pk)
            session.enqueue()
        return False
    if not session.hold_destination():
        logger.info(
            "session %s waits for session %s into the same Looker",
            session.pk,
            session.waiting_for_id,
        )
        return False
    if not session.claim(worker):
        logger.info("session %s is not pending; nothing to do here", session.pk)
        return False
    return True


class Heartbeat:
    """Beats for a running session from a thread of its own, so a slow Looker call on the
    runner's thread never makes the session look dead to the reaper, and sets `stop`
    (with `reason`) on a worker shutdown, a cancel request or a take-over.

    `db_lock` is the runner's database lock: SQLite's shared-cache test database fails
    with "table is locked" instead of waiting when two threads write at once.
    """

    def __init__(self, session: RestorationSession, worker: str, db_lock: threading.RLock) -> None:
        self.session = session
        self.worker = worker
        self.db_lock = db_lock
        self.stop = threading.Event()
        self.reason: StopReason | None = None
        self.last_beat = time.monotonic()  # the claim has just beaten
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.last_beat = time.monotonic()
        self._thread = threading.Thread(
            target=self._run, name=f"heartbeat {self.session.pk[:8]}", daemon=True
        )
        self._thread.start()

    def end(self) -> None:
        """Stop beating (the run is over) and wait for the thread."""
        self.stop.set()
        if self._thread is not None:
            self._thread.join(timeout=heartbeat_seconds() + 5)

    def stop_for(self, reason: StopReason) -> None:
        if self.reason is None:
            self.reason = reason
        self.stop.set()

    def _run(self) -> None:
        try:
            while not self.stop.wait(min(max(heartbeat_seconds(), 0.05), 1.0)):
                try:
                    self.check_in()
                except DatabaseError as exc:  # a busy database: try again at the next beat
                    logger.info("Heartbeat of %s skipped: %s", self.session.pk, exc)
        finally:
            connections.close_all()

    def check_in(self) -> None:
        """One heartbeat: stop for a worker shutdown or a cancel request, beat when due."""
        if shutdown.stopping.is_set():  # SIGTERM: checkpoint, hand the session back
            self.stop_for(StopReason.SHUTDOWN)
            return
        with self.db_lock:
            cancelled = self.session.cancel_requested()
        if cancelled:
            self.stop_for(StopReason.CANCEL)
            return
        if time.monotonic() - self.last_beat >= heartbeat_seconds():
            self.last_beat = time.monotonic()
            with self.db_lock:
                beating = self.session.beat(self.worker)
            if not beating:
                self.stop_for(StopReason.TAKEN_OVER)


def close_pool_connections(pool: ThreadPoolExecutor, workers: int) -> None:
    """Close the database connections the pool's threads opened (a shared rate limit kept
    in the database, mappings): Django closes them only for request threads."""
    barrier = threading.Barrier(workers)

    def close() -> None:
        try:
            barrier.wait(timeout=10)  # one task per thread: all must be busy at once
        except threading.BrokenBarrierError:
            pass
        connections.close_all()

    for future in [pool.submit(close) for _ in range(workers)]:
        future.result()
