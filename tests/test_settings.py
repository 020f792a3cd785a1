"""restoreadmin/settings.py: environment switches, the embedded default, production mode."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from restoreadmin.settings import database_from_url, envbool, sqlite_database

REPO = Path(django_settings.BASE_DIR)
PROBE = """
import json, django
django.setup()
from django.conf import settings as s
from django.db import connection
db = s.DATABASES["default"]
cursor = connection.cursor()
cursor.execute("PRAGMA journal_mode" if connection.vendor == "sqlite" else "SELECT 'n/a'")
print(json.dumps({
    "engine": db["ENGINE"], "name": str(db["NAME"]),
    "cache": s.CACHES["default"]["BACKEND"],
    "q_broker": "redis" if "redis" in s.Q_CLUSTER else s.Q_CLUSTER.get("orm"),
    "secret_key": s.SECRET_KEY, "journal_mode": cursor.fetchone()[0],
}))
"""


def clean_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "RESTOREADMIN_PRODUCTION")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="restoreadmin.settings",
        RESTOREADMIN_DATA_DIR=str(tmp_path / "data"),
        STATIC_ROOT=str(tmp_path / "static"),
    )
    env.update(overrides)
    return env


def probe(env: dict[str, str]) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_postgres_url_becomes_a_postgresql_database():
    db = database_from_url("postgres://ops:p%40ss%2Fword@db.example:5433/restore?sslmode=require")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"]) == ("restore", "ops", "p@ss/word")
    assert (db["HOST"], db["PORT"]) == ("db.example", "5433")
    assert db["OPTIONS"] == {"sslmode": "require"}
    assert database_from_url("postgresql://u@localhost/x")["PORT"] == ""


def test_a_sqlite_url_names_the_file():
    assert database_from_url("sqlite:////var/lib/restore/db.sqlite3")["NAME"] == Path(
        "/var/lib/restore/db.sqlite3"
    )
    assert database_from_url("sqlite:///relative/db.sqlite3")["NAME"] == Path("relative/db.sqlite3")


def test_an_unknown_database_scheme_is_a_clear_error():
    with pytest.raises(ValueError, match="scheme 'mysql' is not supported"):
        database_from_url("mysql://u:p@h/db")


def test_sqlite_runs_in_wal_mode_with_immediate_transactions_and_a_busy_timeout():
    options = sqlite_database(Path("x.sqlite3"))["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "PRAGMA journal_mode=WAL" in options["init_command"]
    assert "PRAGMA busy_timeout=" in options["init_command"]


def test_envbool_refuses_what_is_not_a_boolean(monkeypatch):
    monkeypatch.setenv("RESTOREADMIN_X", "maybe")
    with pytest.raises(ValueError, match="RESTOREADMIN_X='maybe' is not a boolean"):
        envbool("RESTOREADMIN_X")
    monkeypatch.setenv("RESTOREADMIN_X", "Yes")
    assert envbool("RESTOREADMIN_X") is True


def test_the_task_cluster_retries_only_after_a_task_timed_out():
    assert django_settings.Q_CLUSTER["retry"] > django_settings.Q_CLUSTER["timeout"]


def test_the_embedded_default_is_sqlite_a_file_cache_and_a_kept_secret_key(tmp_path):
    env = clean_env(tmp_path)
    first, second = probe(env), probe(env)
    assert first["engine"] == "django.db.backends.sqlite3"
    assert first["name"] == str(tmp_path / "data" / "restoreadmin.sqlite3")
    assert first["cache"].endswith("FileBasedCache")
    assert first["q_broker"] == "default"
    assert first["journal_mode"] == "wal"
    assert first["secret_key"] == second["secret_key"]
    assert len(first["secret_key"]) >= 50
    key_file = tmp_path / "data" / "secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_database_url_and_redis_url_switch_database_broker_and_cache(tmp_path):
    env = clean_env(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path}/other.sqlite3",
        REDIS_URL="redis://127.0.0.1:6399/0",
    )
    found = probe(env)
    assert found["name"] == str(tmp_path / "other.sqlite3")
    assert found["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert found["q_broker"] == "redis"


def test_production_mode_requires_a_secret_key(tmp_path):
    env = clean_env(tmp_path, RESTOREADMIN_PRODUCTION="true")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set in the environment" in result.stderr
    assert not (tmp_path / "data" / "secret_key").exists()


def test_production_mode_passes_the_deployment_checks_without_a_warning(tmp_path):
    env = clean_env(
        tmp_path,
        RESTOREADMIN_PRODUCTION="true",
        SECRET_KEY="prod-" + "k3y-N0t-fixed-" * 5,
        ALLOWED_HOSTS="restore.example.com",
        DEBUG="true",  # production mode overrides it; --deploy would warn otherwise
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


ENGINE_TIMINGS = {
    "RESTORE_HEARTBEAT_SECONDS": "1.5",
    "RESTORE_STALE_AFTER_SECONDS": "45",
    "RESTORE_PENDING_REQUEUE_SECONDS": "90",
    "RESTORE_RETRY_BASE_DELAY": "0.25",
}
TIMINGS_PROBE = """
import json, django
django.setup()
from django.conf import settings as s
names = %r
print(json.dumps({n: getattr(s, n) for n in names}))
"""


def test_every_engine_timing_comes_from_the_environment(tmp_path):
    env = clean_env(tmp_path, **ENGINE_TIMINGS)
    result = subprocess.run(
        [sys.executable, "-c", TIMINGS_PROBE % list(ENGINE_TIMINGS)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen == {name: float(value) for name, value in ENGINE_TIMINGS.items()}


def test_every_engine_timing_is_in_the_readme_configuration_table():
    readme = (REPO / "README.md").read_text()
    for name in ENGINE_TIMINGS:
        assert f"| `{name}`" in readme, name


def test_a_timing_that_is_not_a_number_is_a_clear_error(tmp_path):
    env = clean_env(tmp_path, RESTORE_PENDING_REQUEUE_SECONDS="soon")
    result = subprocess.run(
        [sys.executable, "-c", TIMINGS_PROBE % ["RESTORE_PENDING_REQUEUE_SECONDS"]],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "RESTORE_PENDING_REQUEUE_SECONDS='soon' is not a number of seconds" in result.stderr
