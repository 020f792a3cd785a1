"""The demo that needs no Looker: two local Looker emulators ("demo-prod", seeded with
the demo instance, and an empty "demo-staging"), a looker.ini naming both, and a first
backup extracted from demo-prod.

`start_demo()` is called by the run command when no looker.ini exists. The emulators
keep their state in the data directory and listen on fixed ports when they are free,
so ID mappings (keyed by base URL) stay meaningful from one run to the next.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from restoration.emulator.process import free_port, wait_until_up

logger = logging.getLogger(__name__)

DEMO_INSTANCES = (
    # section, seed, preferred port
    ("demo-prod", "demo", 19101),
    ("demo-staging", None, 19102),
)
CLIENT_ID = "demo"
# Not a secret: the emulators run on 127.0.0.1 for this demo only.
CLIENT_SECRET = "demo-secret"
STARTUP_TIMEOUT_SECONDS = 60
PORT_WAIT_SECONDS = 5
EXTRACT_TIMEOUT_SECONDS = 300


def demo_dir() -> Path:
    path = Path(settings.DATA_DIR) / "demo"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait_for_free_port(port: int, seconds: float = PORT_WAIT_SECONDS) -> bool:
    """True once `port` is free; an emulator of the previous run may still be shutting down."""
    deadline = time.monotonic() + seconds
    while not _port_is_free(port):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def manage_py() -> list[str]:
    return [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]


def spawn_emulator(
    section: str, seed: str | None, preferred_port: int, env: dict[str, str]
) -> tuple[str, subprocess.Popen]:
    """Start an emulator process; it is ready once `wait_until_up` returns."""
    port = preferred_port if _wait_for_free_port(preferred_port) else free_port()
    command = [
        *manage_py(),
        "looker_emulator",
        "--port",
        str(port),
        "--state",
        str(demo_dir() / f"{section}.sqlite3"),
        "--client-id",
        CLIENT_ID,
        "--client-secret",
        CLIENT_SECRET,
    ]
    if seed:
        command += ["--seed", seed]
    log = open(demo_dir() / f"{section}.log", "ab")  # noqa: SIM115 - the child owns it
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    return f"http://127.0.0.1:{port}", process


def write_looker_ini(path: Path, instances: dict[str, str]) -> Path:
    lines = []
    for section, base_url in instances.items():
        lines += [
            f"[{section}]",
            f"base_url={base_url}",
            f"client_id={CLIENT_ID}",
            f"client_secret={CLIENT_SECRET}",
            "verify_ssl=false",
            "",
        ]
    path.write_text("\n".join(lines))
    path.chmod(0o600)
    return path


def backup_is_empty() -> bool:
    from restoration.models import ContentItem

    return not ContentItem.objects.exists()


def extract_first_backup(looker_ini: Path, env: dict[str, str], section: str = "demo-prod") -> bool:
    """Take the demo's first backup; False (and a logged reason) when it could not."""
    env = {**env, "LOOKER_INI": str(looker_ini)}
    try:
        result = subprocess.run(
            [
                *manage_py(),
                "extract",
                "--instance",
                section,
                # The emulators are local: no need for the polite pace a real Looker gets.
                "--workers",
                "8",
                "--rate-per-second",
                "100",
                "--rate-per-minute",
                "6000",
                "--no-progress",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=EXTRACT_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        logger.warning(
            "The demo backup of %s took over %s s; skipped", section, EXTRACT_TIMEOUT_SECONDS
        )
        return False
    if result.returncode != 0:
        logger.warning(
            "The demo backup of %s failed (exit %s): %s",
            section,
            result.returncode,
            (result.stderr or result.stdout).strip()[-2000:],
        )
        return False
    return True


def start_demo(
    *,
    env: dict[str, str] | None = None,
    take_backup: bool | None = None,
    say: Callable[[str], None] | None = None,
) -> tuple[Path, list[subprocess.Popen]]:
    """Start the two demo emulators, write their looker.ini, take a first backup.

    Returns the looker.ini path and the processes the caller stops on exit.
    `env` is the environment of the child processes (default: this one's);
    `take_backup` None means "when the backup is still empty"; `say` prints a line
    before and after the backup, which takes several seconds.
    """
    env = dict(os.environ if env is None else env)
    processes: list[subprocess.Popen] = []
    instances: dict[str, str] = {}
    try:
        # Both start at once: each is a Django process that takes seconds to boot.
        for section, seed, port in DEMO_INSTANCES:
            base_url, process = spawn_emulator(section, seed, port, env)
            processes.append(process)
            instances[section] = base_url
        for base_url, process in zip(instances.values(), processes, strict=True):
            wait_until_up(base_url, process, STARTUP_TIMEOUT_SECONDS)
    except RuntimeError:
        stop_demo(processes)
        raise
    looker_ini = write_looker_ini(demo_dir() / "looker.ini", instances)
    logger.info("Demo: %s", ", ".join(f"{name} at {url}" for name, url in instances.items()))
    if take_backup or (take_backup is None and backup_is_empty()):
        if say:
            say("Demo mode: taking a first backup of demo-prod (takes about 10 s)…")
        started = time.monotonic()
        if extract_first_backup(looker_ini, env) and say:
            say(f"Demo mode: first backup taken in {time.monotonic() - started:.0f} s")
    return looker_ini, processes


def stop_demo(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
