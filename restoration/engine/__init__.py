"""The restoration engine: plan, upsert, checkpoint and report one session.

`run_session(session_id)` runs or resumes a session to its end; it is what the
django-q2 task and `manage.py restore` call (the reaper and a worker shutdown queue
that task again). Claim, heartbeat and stop reasons: `restoration/workers/`.
"""

from restoration.engine.runner import run_session

__all__ = ["run_session"]
