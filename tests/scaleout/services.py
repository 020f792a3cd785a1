"""Throwaway PostgreSQL and Redis servers on free loopback ports in temporary directories,
for the PostgreSQL + Redis test pass and `manage.py bench scaleout`.

`python -m tests.scaleout.services -- COMMAND...` starts both, runs COMMAND with
DATABASE_URL and REDIS_URL set to them, stops them, and exits with COMMAND's status.
Debian's PostgreSQL 15 (/usr/lib/postgresql/15/bin) and redis-server must be installed;
PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PG_BIN_DIRS = [Path(p) for p in os.getenv("PG_BIN_DIRS", "/usr/lib/postgresql/15/bin").split(":")]
DB_USER = "restoreadmin"


class ServiceMissing(RuntimeError):
    """A server binary is not installed on this machine."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bin(name: str) -> str:
    for directory in PG_BIN_DIRS:
        if (directory / name).exists():
            return str(directory / name)
    found = shutil.which(name)
    if found:
        return found
    raise ServiceMissing(
        f"PostgreSQL's {name} was not found in {':'.join(map(str, PG_BIN_DIRS))} or PATH "
        "(apt-get install postgresql-15)"
    )


def redis_bin() -> str:
    found = shutil.which("redis-server")
    if not found:
        raise ServiceMissing("redis-server was not found in PATH (apt-get install redis-server)")
    return found


def _as_postgres(cmd: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def wait_until(check, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if check():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up within {seconds:g} s")
        time.sleep(0.05)


@dataclass
class Postgres:
    """A PostgreSQL server of our own; `url` names its database `restoreadmin`."""

    port: int = 0
    directory: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="pg-")))
    log: Path | None = None

    @property
    def url(self) -> str:
        return self.url_for(DB_USER)

    def url_for(self, database: str) -> str:
        return f"postgres://{DB_USER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> Postgres:
        initdb, pg_ctl, createdb = pg_bin("initdb"), pg_bin("pg_ctl"), pg_bin("createdb")
        self.port = self.port or free_port()
        data = self.directory / "data"
        self.log = self.directory / "postgres.log"
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            os.chown(self.directory, entry.pw_uid, entry.pw_gid)
        run = dict(check=True, capture_output=True, text=True, timeout=120)
        subprocess.run(
            _as_postgres(
                [initdb, "-D", str(data), "-U", DB_USER, "--auth=trust", "-E", "UTF8", "--no-sync"]
            ),
            **run,
        )
        # Durability is not what these servers are for: skip fsync for speed.
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        subprocess.run(
            _as_postgres(
                [pg_ctl, "-D", str(data), "-l", str(self.log), "-o", options, "-w", "start"]
            ),
            **run,
        )
        subprocess.run(
            [createdb, "-h", "127.0.0.1", "-p", str(self.port), "-U", DB_USER, DB_USER], **run
        )
        return self

    def stop(self) -> None:
        data = self.directory / "data"
        if (data / "postmaster.pid").exists():
            subprocess.run(
                _as_postgres([pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(self.directory, ignore_errors=True)


@dataclass
class Redis:
    """A redis-server of our own, nothing saved to disk."""

    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> Redis:
        binary = redis_bin()
        self.port = self.port or free_port()
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.ping, 10, f"redis-server on port {self.port}")
        return self

    def ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1 :]
    if not argv:
        print("usage: python -m tests.scaleout.services -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    postgres, redis = Postgres(), Redis()
    try:
        postgres.start()
        redis.start()
        env = {**os.environ, "DATABASE_URL": postgres.url, "REDIS_URL": redis.url}
        print(f"PostgreSQL {postgres.url}  Redis {redis.url}", file=sys.stderr, flush=True)
        return subprocess.run(argv, env=env).returncode
    except ServiceMissing as exc:
        print(f"cannot start the PostgreSQL + Redis pass: {exc}", file=sys.stderr)
        return 3
    finally:
        redis.stop()
        postgres.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
