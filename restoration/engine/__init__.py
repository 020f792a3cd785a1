"""The restoration engine: plan, upsert, checkpoint and report one session.

`run_session(session_id)` runs or resumes a session to its end; it is what the
django-q2 task, `manage.py restore` and the stale-session reaper all call.
"""

from restoration.engine.runner import run_session

__all__ = ["run_session"]
