"""Real `manage.py qcluster` processes sharing this process's PostgreSQL database and
Redis, Looker emulators whose every API call is timed, and backups of simple items:
the pieces of the scale-out tests and of `manage.py bench scaleout`."""

from __future__ import annotations

import bisect
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from restoration.content_types import ContentType
from restoration.models import ContentItem, RestorationSession, encode_blob

MANAGE = Path(settings.BASE_DIR) / "manage.py"


def on_postgres_and_redis() -> bool:
    return connection.vendor == "postgresql" and bool(getattr(settings, "REDIS_URL", ""))


def database_url() -> str:
    """The database this process uses right now (the test database during tests)."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def flush_redis() -> None:
    """Forget queued tasks, cluster reports and shared rate-limit state of earlier runs."""
    import redis

    redis.Redis.from_url(settings.REDIS_URL).flushdb()


def wait_for(predicate: Callable[[], Any], seconds: float, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


class ClusterProcess:
    """One `manage.py qcluster` in a process group of its own, like a worker machine."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"cluster-{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, str(MANAGE), "qcluster"],
            env=env,
            cwd=settings.BASE_DIR,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = self.process.pid

    def stat(self):
        from django_q.status import Stat

        for stat in Stat.get_all():
            if stat.pid == self.pid:
                return stat
        return None

    def wait_serving(self, seconds: float = 30) -> None:
        from django_q.conf import Conf

        def serving() -> bool:
            stat = self.stat()
            return stat is not None and str(stat.status) in (str(Conf.IDLE), str(Conf.WORKING))

        if not wait_for(serving, seconds, 0.2):
            raise AssertionError(f"cluster {self.name} did not start:\n{self.log_tail()}")

    def worker_pids(self) -> set[int]:
        stat = self.stat()
        return set(stat.workers) if stat else set()

    def signal_group(self, sig: int) -> None:
        """Signal every process of this cluster (what systemd or a dying machine does)."""
        os.killpg(self.pid, sig)

    def is_gone(self) -> bool:
        """No process of the group is left (main, sentinel, workers, monitor, pusher)."""
        self.process.poll()
        try:
            os.killpg(self.pid, 0)
        except ProcessLookupError:
            return True
        return False

    def processes(self) -> str:
        """`ps` of what is left of the group (for failure messages)."""
        done = subprocess.run(
            ["ps", "-o", "pid,ppid,stat,args", "--no-headers", "-g", str(self.pid)],
            capture_output=True,
            text=True,
        )
        return done.stdout

    def workers_gone(self, pids: set[int]) -> bool:
        """None of these worker processes is alive any more."""
        alive = set()
        for pid in pids:
            try:
                os.kill(pid, 0)
                if Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][:1] != "Z":
                    alive.add(pid)
            except (ProcessLookupError, FileNotFoundError):
                pass
        return not alive

    def stop(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)
        self._log.close()

    def log_tail(self, lines: int = 40) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


def cluster_env(data_dir: Path, looker_ini: Path, **extra: str) -> dict[str, str]:
    """Environment of a worker node: the settings every node must share (docs/deploy.md)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(),
        REDIS_URL=settings.REDIS_URL,
        SECRET_KEY=settings.SECRET_KEY,  # django-q2 signs tasks with it
        LOOKER_INI=str(looker_ini),
        RESTOREADMIN_DATA_DIR=str(data_dir),
        TIME_ZONE=settings.TIME_ZONE,
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


def write_looker_ini(path: Path, sections: dict[str, tuple[Any, float | None]]) -> Path:
    """sections: name -> (emulator, the instance's shared rate limit per second or None)."""
    lines = []
    for name, (emulator, per_second) in sections.items():
        lines += [
            f"[{name}]",
            f"base_url={emulator.base_url}",
            f"client_id={emulator.client_id}",
            f"client_secret={emulator.client_secret}",
            "verify_ssl=false",
            "timeout=30",
        ]
        if per_second:
            lines.append(f"rate_limit_per_second={per_second:g}")
        lines.append("")
    path.write_text("\n".join(lines))
    return path


class CallLog:
    """Arrival time of every Looker API call an emulator serves, and how many got a 429.

    Wraps the emulator app's fault injection, which every routed API call passes through
    before its server-side rate limit; the emulator itself is unchanged.
    """

    def __init__(self, emulator: Any) -> None:
        self.times: list[float] = []
        self.login_times: list[float] = []
        self.rejected_429 = 0
        self.rejections: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        app = emulator.app
        inject = app._inject_faults

        def timed(route_key: str) -> None:
            now = time.monotonic()
            with self._lock:
                (self.login_times if route_key.endswith("/login") else self.times).append(now)
            try:
                inject(route_key)
            except Exception as exc:
                if getattr(exc, "status", None) == 429:
                    with self._lock:
                        self.rejected_429 += 1
                        self.rejections.append((now, route_key))
                raise

        app._inject_faults = timed

    def reset(self) -> None:
        with self._lock:
            self.times.clear()
            self.login_times.clear()
            self.rejected_429 = 0
            self.rejections.clear()

    def max_in_window(self, seconds: float = 1.0) -> int:
        """Most calls (logins aside) that arrived within any window of `seconds`."""
        times = sorted(self.times)
        best = 0
        for i, start in enumerate(times):
            best = max(best, bisect.bisect_left(times, start + seconds) - i)
        return best

    def average_rate(self) -> float:
        times = self.times
        if len(times) < 2:
            return 0.0
        return (len(times) - 1) / (max(times) - min(times))


def seed_groups(count: int, prefix: str) -> None:
    """A backup of `count` groups: each restores with exactly one create call."""
    start = ContentItem.objects.filter(content_type=ContentType.GROUP).count()
    ContentItem.objects.bulk_create(
        ContentItem(
            content_type=ContentType.GROUP,
            content_id=f"{prefix}-{i}",
            name=f"{prefix} group {i}",
            content_data=encode_blob({"id": f"{prefix}-{i}", "name": f"{prefix} group {i}"}),
        )
        for i in range(start + 1, start + count + 1)
    )


def launch_groups(
    section: str, base_url: str, ids: list[str], *, workers: int, per_second: int
) -> RestorationSession:
    from restoration.config import RestorationConfig

    config = RestorationConfig(
        workers=workers,
        rate_limit_per_second=per_second,
        rate_limit_per_minute=per_second * 60,
        content_types=[ContentType.GROUP],
        content_ids=ids,
        checkpoint_interval=5,
        source_instance="http://backup-source.invalid",
        destination_instance=base_url,
    )
    return RestorationSession.objects.launch(config, destination_section=section)


def group_ids(prefix: str) -> list[str]:
    return list(
        ContentItem.objects.filter(
            content_type=ContentType.GROUP, content_id__startswith=f"{prefix}-"
        ).values_list("content_id", flat=True)
    )
