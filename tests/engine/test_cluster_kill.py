"""kill -9 of a real django-q2 cluster in the middle of a restore, then a restart: the
stale-session reaper resumes the session and every object is created exactly once.

Everything that touches the database runs in subprocesses sharing a temporary SQLite
file (the test's own database is not involved); the emulators run in this process.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fixtures_emulator import write_looker_ini

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
FAST = ["--rate-limit-per-second", "10000", "--rate-limit-per-minute", "600000"]


class Project:
    """manage.py in subprocesses against one data directory."""

    def __init__(self, data: Path, ini: Path) -> None:
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
            "RESTOREADMIN_DATA_DIR": str(data),
            "LOOKER_INI": str(ini),
            "Q_WORKERS": "1",
            "RESTORE_HEARTBEAT_SECONDS": "0.5",
            "RESTORE_STALE_AFTER_SECONDS": "2",
            "LOG_LEVEL": "WARNING",
        }
        self.db = data / "restoreadmin.sqlite3"

    def manage(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode in (0, 1), done.stderr[-3000:]
        return done.stdout

    def cluster(self) -> subprocess.Popen:
        # Its own process group, so kill -9 takes the cluster and all its workers.
        return subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=REPO,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def session(self, session_id: str) -> dict:
        with sqlite3.connect(self.db, timeout=30) as db:
            db.row_factory = sqlite3.Row
            row = db.execute(
                "SELECT * FROM restoration_sessions WHERE id = ?", (session_id,)
            ).fetchone()
        return dict(row)

    def wait_for(self, session_id: str, check, timeout: float, what: str) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = self.session(session_id)
            if check(row):
                return row
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}: {self.session(session_id)}")


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def test_kill_9_of_the_cluster_then_restart_restores_every_object_once(tmp_path, emulator_factory):
    source = emulator_factory(seed="demo")
    destination = emulator_factory(seed=None)
    clean = emulator_factory(seed=None)
    ini = write_looker_ini(
        tmp_path / "looker.ini", source=source, destination=destination, clean=clean
    )
    data = tmp_path / "data"
    data.mkdir()
    project = Project(data, ini)
    project.manage("migrate", "-v0")
    with sqlite3.connect(project.db) as db:
        funcs = [r[0] for r in db.execute("SELECT func FROM django_q_schedule")]
    assert "restoration.tasks.reap_stale_sessions" in funcs
    project.manage(
        "extract",
        "--instance",
        "source",
        "--rate-per-second",
        "10000",
        "--rate-per-minute",
        "600000",
        "--no-progress",
    )
    # What an uninterrupted restore creates, for comparison.
    project.manage("restore", "--destination", "clean", "--source", "source", "--wait", *FAST)
    baseline = clean.counters()["creates"]
    assert baseline.get("dashboard", 0) >= 10

    # Slow enough to be killed in the middle.
    destination.set_faults(latency_ms=25)
    out = project.manage(
        "restore", "--destination", "destination", "--source", "source", "--workers", "2", *FAST
    )
    session_id = out.split("Session ", 1)[1].split()[0]
    cluster = project.cluster()
    try:
        row = project.wait_for(
            session_id, lambda r: r["total_items"] >= 30, 60, "the session to get going"
        )
        os.killpg(cluster.pid, signal.SIGKILL)
        cluster.wait(timeout=10)
        killed_at = project.session(session_id)
        assert killed_at["status"] == "running"
        assert killed_at["total_items"] < killed_at["planned_items"]
        time.sleep(2.5)  # the heartbeat goes stale

        destination.set_faults(clear=True)
        cluster = project.cluster()
        # What the minute schedule does, without waiting for the minute.
        project.manage(
            "shell", "-c", "from restoration.tasks import reap_stale_sessions as r; print(r())"
        )
        row = project.wait_for(
            session_id,
            lambda r: r["status"] in ("completed", "completed_with_errors"),
            90,
            "the resumed session to finish",
        )
    finally:
        stop(cluster)

    assert row["status"] == ("completed_with_errors" if row["error_count"] else "completed")
    assert row["resume_count"] == 1
    assert row["total_items"] == row["planned_items"]
    assert destination.counters()["creates"] == baseline
    metadata = json.loads(row["metadata"])
    assert metadata["summary"]["total_items"] == row["planned_items"]
