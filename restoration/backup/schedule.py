"""Scheduled backups: what django-q2's scheduler runs for a BackupSchedule (an
extraction session in this worker, then the schedule's retention rule).

The schedule itself (its cron Schedule and audit event) is set by
`BackupSchedule.objects.set_for()`; retention is `ContentVersion.objects.apply_retention()`.
"""

from __future__ import annotations

import logging

from restoration.backup.run import ExtractionOptions, create_extraction_session, run_extraction
from restoration.models import SessionStatus
from restoration.versions import BackupSchedule, ContentVersion

logger = logging.getLogger(__name__)


def run_scheduled_backup(section: str) -> str:
    """Run one scheduled backup of `section` to its end; returns the session id ('' when the
    schedule is gone or paused)."""
    schedule = BackupSchedule.objects.filter(section=section).first()
    if schedule is None or not schedule.enabled:
        logger.warning("Backup schedule of %s is gone or paused; nothing to do", section)
        return ""
    options = ExtractionOptions(
        incremental=schedule.incremental,
        rate_limit_per_second=schedule.rate_limit_per_second,
        rate_limit_per_minute=schedule.rate_limit_per_minute,
    )
    session = create_extraction_session(section, options)
    session.metadata = {**(session.metadata or {}), "scheduled": True}
    session.save(update_fields=["metadata"])
    session = run_extraction(session.pk)
    if schedule.keep_days and session.status == SessionStatus.COMPLETED:
        ContentVersion.objects.apply_retention(schedule.keep_days)
    return session.pk
