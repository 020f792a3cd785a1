"""/healthz: database reachable and django-q2 cluster alive, as JSON, without login."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from restoration.workers.clusters import cluster_alive

REPO = Path(django_settings.BASE_DIR)


@pytest.mark.django_db
def test_it_reports_database_ok_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["database"] == {"ok": True}
    assert set(body["cluster"]) >= {"ok", "alive", "clusters"}


@pytest.mark.django_db
def test_it_reports_no_cluster_when_none_runs(client, settings, tmp_path):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    body = client.get("/healthz").json()
    # (On the Redis pass a cluster stopped by an earlier test may linger as "Stopped".)
    assert body["cluster"]["ok"] is False
    assert body["cluster"]["alive"] == 0
    assert all(c["status"] not in ("Idle", "Working") for c in body["cluster"]["clusters"])


@pytest.mark.django_db
def test_it_rejects_post(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_it_answers_503_when_the_database_is_down(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("database is down")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == {"ok": False, "error": "ConnectionRefusedError"}


def cluster_env(data_dir: Path) -> dict[str, str]:
    # A temporary SQLite file; REDIS_URL stays, so on the Redis pass the cluster
    # reports through Redis, where this process's broker reads cluster stats.
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    # Cluster reports are signed with SECRET_KEY: the reader must share the writer's key.
    env.update(
        RESTOREADMIN_DATA_DIR=str(data_dir),
        SECRET_KEY=django_settings.SECRET_KEY,
        Q_WORKERS="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


@pytest.mark.cluster
@pytest.mark.slow
@pytest.mark.django_db
def test_it_sees_a_real_cluster_come_and_go(client, settings, tmp_path):
    """A `manage.py qcluster` on a temporary SQLite file shows up, then drops out once stopped."""
    data_dir = tmp_path / "data"
    env = cluster_env(data_dir)
    manage = [sys.executable, str(REPO / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, timeout=120, cwd=REPO)
    if not django_settings.REDIS_URL:
        # This process reads the same file cache the cluster writes its reports to.
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(data_dir / "cache"),
            }
        }
    cluster = subprocess.Popen(
        [*manage, "qcluster"],
        env=env,
        cwd=REPO,
        stdout=open(tmp_path / "cluster.log", "w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        assert wait_for(lambda: client.get("/healthz").json()["cluster"]["ok"], 30)
        body = client.get("/healthz").json()
        assert body["cluster"]["alive"] == 1
        (report,) = [c for c in body["cluster"]["clusters"] if c["status"] in ("Idle", "Working")]
        assert report["workers"] == 1
        assert report["seconds_since_report"] < 5
        assert cluster_alive()  # what `manage.py restore --wait` asks: hand it to the cluster
        cluster.send_signal(signal.SIGTERM)
        assert cluster.wait(timeout=30) == 0
        assert wait_for(lambda: not client.get("/healthz").json()["cluster"]["ok"], 10)
        assert not cluster_alive()
    finally:
        if cluster.poll() is None:
            os.killpg(cluster.pid, signal.SIGKILL)
            cluster.wait()
