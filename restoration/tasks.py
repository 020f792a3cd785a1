"""django-q2 tasks: plain functions referenced by dotted path, given primary keys."""


def run_session(session_id: str) -> None:
    """Run (or resume) one restoration session to its end. Implemented by the engine."""
    from restoration.engine import run_session as run

    run(session_id)


def reap_stale_sessions() -> int:
    """Resume sessions whose worker stopped beating (run every minute by django-q2's schedule)."""
    from restoration.workers.reaper import reap_stale_sessions as reap

    return len(reap())


def run_extraction(session_id: str) -> None:
    """Take a backup: run one extraction session (kind "extract") to its end."""
    from restoration.backup import run_extraction as run

    run(session_id)


def scheduled_backup(section: str) -> str:
    """A backup schedule's run (django-q2 cron Schedule): back up, then apply retention."""
    from restoration.backup.schedule import run_scheduled_backup

    return run_scheduled_backup(section)
