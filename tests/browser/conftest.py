"""A real restoreadmin for end-to-end tests in Debian's chromium (never a downloaded one).

Why not pytest-django's live_server: its SQLite test database lives in memory, so
neither a django-q2 cluster process nor the engine's worker threads could share it.
Instead the `app` fixture runs the product as a newcomer would, in a temporary data
directory: `migrate`, then the demo (`restoration.demo.start_demo`: emulators
"demo-prod" and "demo-staging" as processes, their looker.ini and a first backup of
demo-prod), then `runserver` and `qcluster` as subprocesses on that SQLite file.
The servers always use SQLite, even when the suite runs with DATABASE_URL / REDIS_URL.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.test import override_settings

from restoration import demo

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parents[2]
OPERATOR = ("olivia", "operator-pass-123")
AUDITOR = ("arthur", "auditor-pass-123")
STARTUP_SECONDS = 30

requires_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
)

# One Django start-up instead of two: migrate, then the cast of users.
CREATE_USERS = f"""
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.contrib.auth.models import Group, User
for (name, password), group in (({OPERATOR!r}, "Restore operators"), ({AUDITOR!r}, "Auditors")):
    user = User.objects.create_user(name, password=password)
    user.groups.add(Group.objects.get(name=group))
"""


@dataclass
class App:
    base_url: str
    data_dir: Path
    looker_ini: Path
    env: dict[str, str] = field(default_factory=dict)
    processes: list[subprocess.Popen] = field(default_factory=list)
    cluster: subprocess.Popen | None = None

    def stop_cluster(self) -> None:
        """Stop the task cluster and wait until no live cluster is reported."""
        assert self.cluster is not None
        self.cluster.terminate()
        self.cluster.wait(timeout=30)
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=5) as response:
                if not json.load(response)["cluster"]["ok"]:
                    return
            time.sleep(0.5)
        raise AssertionError("the stopped cluster is still reported alive")

    def start_cluster(self) -> None:
        self.cluster = _start(["qcluster"], self.env, self.data_dir / "qcluster-2.log")
        self.processes.append(self.cluster)

    def sql(self, statement: str, *params) -> list[tuple]:
        """Run SQL on the app's own SQLite database (to shape its backup for a test)."""
        with sqlite3.connect(self.data_dir / "restoreadmin.sqlite3", timeout=30) as db:
            return db.execute(statement, params).fetchall()

    def instance_url(self, section: str) -> str:
        return _ini_value(self.looker_ini, section, "base_url")

    def set_faults(self, section: str, **faults) -> None:
        """Inject faults into a demo emulator through its control API."""
        request = urllib.request.Request(
            f"{self.instance_url(section)}/_emulator/faults",
            data=json.dumps({"clear": True, **faults}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200


def _ini_value(path: Path, section: str, key: str) -> str:
    parser = configparser.ConfigParser()
    parser.read(path)
    return parser[section][key]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _manage(*args: str, env: dict[str, str], timeout: float = 120) -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "manage.py"), *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}"


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(REPO / "manage.py"), *command],
        env=env,
        cwd=REPO,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def _wait_for(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the server exited:\n{log.read_text()[-3000:]}"
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {STARTUP_SECONDS} s")


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[App]:
    data_dir = tmp_path_factory.mktemp("restoreadmin")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "DATABASE_TEST_NAME", "LOOKER_INI")
    }
    env.update(
        RESTOREADMIN_DATA_DIR=str(data_dir),
        RESTOREADMIN_DEMO="true",
        Q_WORKERS="2",
        PYTHONUNBUFFERED="1",
    )
    processes: list[subprocess.Popen] = []
    demo_processes: list[subprocess.Popen] = []
    try:
        _manage("shell", "-c", CREATE_USERS, env=env)
        # Ports of their own, not the demo's preferred ones: two apps started at the same
        # moment (pytest-xdist, another test run) would both find 19101 free, and one's
        # looker.ini would name the other's emulators.
        own_ports = tuple((name, seed, _free_port()) for name, seed, _ in demo.DEMO_INSTANCES)
        with (
            override_settings(DATA_DIR=data_dir),
            pytest.MonkeyPatch.context() as patch,
        ):
            patch.setattr(demo, "DEMO_INSTANCES", own_ports)
            said: list[str] = []
            looker_ini, demo_processes = demo.start_demo(env=env, take_backup=True, say=said.append)
        # `make run` is not silent while the first backup is taken (issue 13).
        assert said[0].startswith("Demo mode: taking a first backup of demo-prod"), said
        assert re.fullmatch(r"Demo mode: first backup taken in \d+ s", said[1]), said
        with sqlite3.connect(data_dir / "restoreadmin.sqlite3") as db:
            (backed_up,) = db.execute("SELECT count(*) FROM content_items").fetchone()
        assert backed_up, f"the demo took no backup of demo-prod; see {data_dir}/demo/"
        env["LOOKER_INI"] = str(looker_ini)
        port = _free_port()
        server_log = data_dir / "server.log"
        processes.append(_start(["runserver", f"127.0.0.1:{port}", "--noreload"], env, server_log))
        processes.append(_start(["qcluster"], env, data_dir / "qcluster.log"))
        base_url = f"http://127.0.0.1:{port}"
        _wait_for(f"{base_url}/healthz", processes[0], server_log)
        yield App(base_url, data_dir, looker_ini, env, processes, processes[1])
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        demo.stop_demo(demo_processes)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def logged_in_page(browser, app: App, who: tuple[str, str]):
    context = browser.new_context(base_url=app.base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(who[0])
    page.get_by_label("Password").fill(who[1])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{app.base_url}/")
    return page
