"""Watching a session from a terminal: a one-line progress bar, and running it inline
when no django-q2 cluster is there to pick it up."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from restoration.models import RestorationSession


def progress_line(session: RestorationSession, width: int = 30) -> str:
    planned = session.planned_items or 0
    done = session.total_items
    ratio = min(1.0, done / planned) if planned else (1.0 if session.is_finished else 0.0)
    bar = "#" * int(ratio * width) + "." * (width - int(ratio * width))
    return (
        f"[{bar}] {ratio:4.0%} {done}/{planned}  created {session.created_count}  "
        f"updated {session.updated_count}  skipped {session.skipped_count}  "
        f"failed {session.error_count}  ({session.status})"
    )


def wait_for(
    session: RestorationSession,
    *,
    inline: bool,
    out: TextIO = sys.stdout,
    interval: float = 0.5,
) -> RestorationSession:
    """Draw the bar until the session finishes: run it here when `inline` (the runner
    reports after each checkpoint), else poll the database while a cluster runs it."""
    tty = out.isatty()
    last = [""]
    waiting_said = [False]

    def draw(current: RestorationSession) -> None:
        line = progress_line(current)
        if line != last[0]:
            out.write(("\r" + line) if tty else (line + "\n"))
            out.flush()
            last[0] = line

    if inline:
        from restoration.engine import run_session

        while True:
            run_session(session.pk, progress=draw)
            session.refresh_from_db()
            draw(session)
            if session.status != "pending" or not session.waiting_for_id:
                break
            # Another session writes into this Looker: wait here until it is done.
            if not waiting_said[0]:
                out.write(f"Waiting for session {session.waiting_for_id} into the same Looker\n")
                waiting_said[0] = True
            time.sleep(max(interval, 1.0))
    else:
        while True:
            session.refresh_from_db()
            draw(session)
            if session.is_finished:
                break
            time.sleep(interval)
    if tty:
        out.write("\n")
    return session
