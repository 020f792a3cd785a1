"""Finding sessions whose worker died (a killed cluster, a lost machine) and resuming them,
and pending sessions whose queued task was lost, and queueing them again.

A pending session's `heartbeat_at` is the time it was (re)queued: launch leaves it empty
(`started_at` is then the launch time), and resume, hand-back and the reaper set it to
now. A pending session that nobody claimed for RESTORE_PENDING_REQUEUE_SECONDS (default
300) is queued again: a cluster killed with the task in its local prefetch queue, or a
Redis broker that lost it, would otherwise leave it pending forever. A duplicate task is
harmless: the runner claims only a pending session, by compare-and-set, so the second
task finds it running (or finished) and exits without work.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from restoration.models import RestorationSession, SessionStatus

logger = logging.getLogger(__name__)


def reap_stale_sessions(
    stale_after: float | None = None, pending_after: float | None = None
) -> list[RestorationSession]:
    """Make running sessions with a stale heartbeat pending again and queue them to resume.

    The compare-and-set on (status, heartbeat_at) means two reapers never resume the
    same session twice, and a worker that beats in the meantime keeps its session.
    """
    if stale_after is None:
        stale_after = float(getattr(settings, "RESTORE_STALE_AFTER_SECONDS", 60))
    seconds = stale_after
    cutoff = timezone.now() - timedelta(seconds=seconds)
    resumed = []
    for session in RestorationSession.objects.stale(cutoff):
        changed = RestorationSession.objects.filter(
            pk=session.pk, status=SessionStatus.RUNNING, heartbeat_at=session.heartbeat_at
        ).update(
            status=SessionStatus.PENDING,
            heartbeat_at=timezone.now(),  # for a pending session: when it was queued
            resume_count=F("resume_count") + 1,
            last_error=(
                f"Worker {session.worker or '?'} stopped beating at "
                f"{session.heartbeat_at:%Y-%m-%d %H:%M:%S %Z}; queued to resume from its checkpoints"
                if session.heartbeat_at
                else f"Worker {session.worker or '?'} never beat; queued to resume"
            ),
        )
        if changed != 1:
            continue
        logger.warning("session %s: worker %s went silent; resuming", session.pk, session.worker)
        transaction.on_commit(session.enqueue)
        resumed.append(session)
    return resumed + requeue_unclaimed_sessions(pending_after)


def requeue_unclaimed_sessions(pending_after: float | None = None) -> list[RestorationSession]:
    """Queue again the pending sessions queued longer than `pending_after` seconds ago."""
    if pending_after is None:
        pending_after = float(getattr(settings, "RESTORE_PENDING_REQUEUE_SECONDS", 300))
    cutoff = timezone.now() - timedelta(seconds=pending_after)
    waiting = RestorationSession.objects.filter(status=SessionStatus.PENDING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    requeued = []
    for session in waiting.only("pk", "kind", "heartbeat_at"):
        # Compare-and-set on the queued time: two reapers queue it once per period.
        changed = RestorationSession.objects.filter(
            pk=session.pk, status=SessionStatus.PENDING, heartbeat_at=session.heartbeat_at
        ).update(heartbeat_at=timezone.now())
        if changed != 1:
            continue
        logger.warning("session %s: queued but never claimed; queueing it again", session.pk)
        transaction.on_commit(session.enqueue)
        requeued.append(session)
    return requeued
