"""`manage.py run` and `manage.py ensure_admin`: the app in one foreground process."""

import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command

REPO = Path(settings.BASE_DIR)


@pytest.mark.django_db
def test_ensure_admin_creates_a_superuser_with_a_generated_password_once():
    out = io.StringIO()
    call_command("ensure_admin", stdout=out)
    password = re.search(r"password: (\S+)", out.getvalue()).group(1)
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password(password)
    assert len(password) >= 16
    again = io.StringIO()
    call_command("ensure_admin", stdout=again)
    assert "password" not in again.getvalue()
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_ensure_admin_never_uses_a_fixed_password():
    passwords = set()
    for _ in range(2):
        User.objects.all().delete()
        out = io.StringIO()
        call_command("ensure_admin", stdout=out)
        passwords.add(re.search(r"password: (\S+)", out.getvalue()).group(1))
    assert len(passwords) == 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children_of(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def group_members(pgid: int) -> set[int]:
    """Live processes of a process group (each child of `run` leads its own)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def healthz(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        return json.load(response)


def start_run(tmp_path: Path) -> tuple[subprocess.Popen, int, Path]:
    """Start `manage.py run` on a free port and wait until it serves with a live cluster."""
    port = free_port()
    looker_ini = tmp_path / "looker.ini"
    looker_ini.write_text("[destination]\nbase_url=http://127.0.0.1:9\n")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        RESTOREADMIN_DATA_DIR=str(tmp_path / "data"),
        LOOKER_INI=str(looker_ini),
        Q_WORKERS="1",
        PYTHONUNBUFFERED="1",
    )
    env.pop("RESTOREADMIN_DEMO", None)
    log = tmp_path / "run.log"
    with open(log, "w") as out:
        launcher = subprocess.Popen(
            [
                sys.executable,
                str(REPO / "manage.py"),
                "run",
                "--port",
                str(port),
                "--web-workers",
                "1",
            ],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 90
    while f"running at http://127.0.0.1:{port}/" not in log.read_text():
        assert launcher.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.25)
    deadline = time.monotonic() + 30
    while not healthz(port)["cluster"]["ok"]:
        assert time.monotonic() < deadline, "the cluster never reported"
        time.sleep(0.25)
    return launcher, port, log


def wait_until_gone(groups: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    left = set().union(*(group_members(g) for g in groups))
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = set().union(*(group_members(g) for g in groups))
    return left


@pytest.mark.cluster
@pytest.mark.slow
def test_run_serves_the_app_with_a_cluster_and_ctrl_c_stops_both(tmp_path):
    launcher, port, log = start_run(tmp_path)
    try:
        text = log.read_text()
        assert re.search(r"username: admin\n\s+password: \S{16,}", text), text
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert "/accounts/login/" in response.url  # every page needs login
        children = children_of(launcher.pid)
        assert len(children) == 2, children  # web server and task cluster
        groups = {os.getpgid(pid) for pid in children}
        assert len(set().union(*(group_members(g) for g in groups))) > 2  # their workers too
        launcher.send_signal(signal.SIGINT)
        assert launcher.wait(timeout=45) == 0, log.read_text()
        assert not wait_until_gone(groups, 5), "a web or cluster worker outlived run"
        assert "Stopped." in log.read_text()
        # A clean Ctrl-C with idle workers is nothing to warn about (issue 13).
        # Match our own messages, not a random cluster name such as "…-tennis stopping."
        assert "worker is stopping" not in log.read_text(), log.read_text()
        assert not re.search(r"cluster of worker \d+ is stopping", log.read_text()), log.read_text()
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()


@pytest.mark.cluster
@pytest.mark.slow
def test_run_leaves_no_orphaned_cluster_worker_when_the_cluster_dies(tmp_path):
    launcher, port, log = start_run(tmp_path)
    try:
        children = children_of(launcher.pid)
        groups = {os.getpgid(pid) for pid in children}
        cluster = next(
            pid for pid in children if "qcluster" in Path(f"/proc/{pid}/cmdline").read_text()
        )
        workers = children_of(cluster)
        assert workers, "the cluster has no worker processes"
        # The cluster's main process dies at once: its workers would keep going alone.
        os.kill(cluster, signal.SIGKILL)
        assert launcher.wait(timeout=45) == 1, log.read_text()
        assert not wait_until_gone(groups, 5), "a worker outlived its cluster and run"
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()


@pytest.mark.django_db
def test_ensure_admin_leaves_an_existing_admin_username_alone():
    User.objects.create_user("admin", password="kept-password-1")
    assert call_command("ensure_admin", stdout=io.StringIO()) is None
    assert User.objects.get(username="admin").check_password("kept-password-1")
    assert not User.objects.filter(is_superuser=True).exists()
