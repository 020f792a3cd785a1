"""Fixtures of the scale-out tests: they need the suite itself on PostgreSQL + Redis
(tests/scaleout/ci_postgres_redis.sh starts both and runs the suite on them), then start
real `manage.py qcluster` processes against the same test database and Redis."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.scaleout.clusters import ClusterProcess, cluster_env, flush_redis, on_postgres_and_redis
from tests.scaleout.services import pg_bin


def _in_ci() -> bool:
    return os.getenv("CI", "").strip().lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def postgres_and_redis() -> None:
    """Skip unless the suite runs on PostgreSQL + Redis; fail where that pass must run."""
    from restoration.models import RestorationSession  # noqa: F401  (apps are loaded)

    if on_postgres_and_redis():
        return
    if os.getenv("RESTOREADMIN_SCALEOUT_PASS"):
        pytest.fail(
            "RESTOREADMIN_SCALEOUT_PASS is set but the suite is not on PostgreSQL + Redis: "
            "set DATABASE_URL=postgres://... and REDIS_URL=redis://..."
        )
    missing = [] if shutil.which("redis-server") else ["redis-server is not installed"]
    try:
        pg_bin("initdb")
    except RuntimeError as exc:
        missing.append(str(exc))
    if missing and _in_ci():
        pytest.fail(f"CI needs PostgreSQL and Redis for the scale-out pass: {'; '.join(missing)}")
    if missing:
        pytest.skip(f"scale-out tests need PostgreSQL and redis-server: {'; '.join(missing)}")
    pytest.skip(
        "scale-out tests run in the PostgreSQL + Redis pass "
        "(tests/scaleout/ci_postgres_redis.sh sets DATABASE_URL and REDIS_URL)"
    )


@pytest.fixture
def clusters(postgres_and_redis, tmp_path: Path) -> Iterator[Callable[..., ClusterProcess]]:
    """`clusters(name, looker_ini, **env)` starts a qcluster; all are killed after the test."""
    flush_redis()
    started: list[ClusterProcess] = []

    def start(name: str, looker_ini: Path, **extra: str) -> ClusterProcess:
        env = cluster_env(tmp_path / f"node-{name}", looker_ini, **extra)
        cluster = ClusterProcess(name, env, tmp_path)
        started.append(cluster)
        return cluster

    yield start
    for cluster in started:
        cluster.stop()
    flush_redis()
