"""A backup schedule on a real django-q2 cluster: the scheduler starts the backup task,
which records an extraction session and a scheduled backup run, then applies the
schedule's retention.

Like tests/engine/test_cluster_kill.py, everything that touches the database runs in
subprocesses on a temporary SQLite file; the Looker emulator runs in this process.
"""

from __future__ import annotations

import sqlite3
import time

import pytest

from tests.engine.test_cluster_kill import Project, stop
from tests.fixtures_emulator import write_looker_ini

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

SET_SCHEDULE = """
from datetime import timedelta
from django.utils import timezone
from django_q.models import Schedule
from restoration.versions import BackupSchedule
BackupSchedule.objects.set_for(
    "source", cron="0 3 * * *", keep_days=30, incremental=False,
    rate_limit_per_second=10000, rate_limit_per_minute=600000,
)
# Due now instead of at 03:00: the cluster's scheduler looks every 30 seconds.
Schedule.objects.filter(name="Backup of source").update(
    next_run=timezone.now() - timedelta(seconds=1)
)
"""


def test_a_scheduled_backup_runs_on_the_cluster(tmp_path, emulator_factory):
    source = emulator_factory(seed="demo")
    ini = write_looker_ini(tmp_path / "looker.ini", source=source)
    data = tmp_path / "data"
    data.mkdir()
    project = Project(data, ini)
    project.manage("migrate", "-v0")
    project.manage("shell", "-c", SET_SCHEDULE)

    cluster = project.cluster()
    try:
        deadline = time.monotonic() + 120
        run = None
        while time.monotonic() < deadline:
            with sqlite3.connect(project.db, timeout=30) as db:
                db.row_factory = sqlite3.Row
                run = db.execute(
                    "SELECT * FROM backup_runs WHERE scheduled = 1 AND status != 'running'"
                ).fetchone()
            if run is not None:
                break
            time.sleep(0.5)
        assert run is not None, "the scheduled backup did not run within two minutes"
    finally:
        stop(cluster)

    assert run["status"] == "completed" and run["section"] == "source"
    assert run["incremental"] == 0 and run["new_versions"] > 100
    session = project.session(run["session_id"])
    assert session["kind"] == "extract" and session["status"] == "completed"
    with sqlite3.connect(project.db) as db:
        (next_run,) = db.execute(
            "SELECT next_run FROM django_q_schedule WHERE name = 'Backup of source'"
        ).fetchone()
        actions = [r[0] for r in db.execute("SELECT action FROM audit_events ORDER BY at")]
        (items,) = db.execute("SELECT count(*) FROM content_items").fetchone()
    assert "03:00:00" in next_run  # the scheduler moved it on to the next 03:00
    assert actions[0] == "schedule_backup" and "launch" in actions
    assert actions[-1] == "apply_retention"
    assert items == run["new_versions"]
