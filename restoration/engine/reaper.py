"""Finding sessions whose worker died (a killed cluster, a lost machine) and resuming them."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from restoration.models import RestorationSession, SessionStatus

logger = logging.getLogger(__name__)


def reap_stale_sessions(stale_after: float | None = None) -> list[RestorationSession]:
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
            heartbeat_at=None,
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
    return resumed
