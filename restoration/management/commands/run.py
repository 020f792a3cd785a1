"""`manage.py run`: the whole app in one foreground process.

Applies migrations, creates the first admin account (password printed once),
collects static files, then runs the web server (gunicorn) and a django-q2
cluster side by side. Ctrl-C or SIGTERM stops both; if either dies, the other is
stopped too and the command exits non-zero, so a supervisor can restart it.

Demo mode: with no looker.ini (or --demo, or RESTOREADMIN_DEMO=true) it calls
`restoration.demo.start_demo()`, which starts local Looker emulators and returns
the looker.ini to use plus the processes to stop on exit.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from restoration.management.commands.ensure_admin import ensure_admin, first_admin_message

# The cluster finishes the item in hand and checkpoints before it exits; a web
# request is short. Past this, a child is killed.
STOP_TIMEOUT_SECONDS = 30
READY_TIMEOUT_SECONDS = 60


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def stop_processes(processes: dict[str, subprocess.Popen], timeout: float) -> None:
    """SIGTERM every child that still runs, wait, then SIGKILL what is left of each group.

    Each child leads its own process group (start_new_session). SIGTERM goes to the
    leader only: django-q2's main process then stops its workers, which hand running
    sessions back. Whatever of the group outlives the wait (a worker whose main
    process was killed or hung) is killed with the group, so nothing keeps working
    against Looker after `run` has returned; a session it held is resumed from its
    checkpoints by the reaper.
    """
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in processes.values():
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for process in processes.values():
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass  # the whole group is gone already


class Command(BaseCommand):
    help = "Run restoreadmin: migrations, first admin account, web server and task cluster."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.getenv("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.getenv("PORT", "8000")))
        parser.add_argument(
            "--web-workers",
            type=int,
            default=int(os.getenv("WEB_WORKERS", "2")),
            help="gunicorn worker processes (each runs 4 threads).",
        )
        demo = parser.add_mutually_exclusive_group()
        demo.add_argument("--demo", action="store_true", help="Run against local Looker emulators.")
        demo.add_argument(
            "--no-demo", action="store_true", help="Never start the demo, even without looker.ini."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        if not port_is_free(host, port):
            raise CommandError(f"Port {port} on {host} is in use; choose another with --port.")

        self.say(f"Database: {settings.DATABASES['default']['NAME']}")
        call_command("migrate", interactive=False, verbosity=0)
        if password := ensure_admin():
            self.say(self.style.WARNING(first_admin_message("admin", password)))
        call_command("collectstatic", interactive=False, verbosity=0)

        env = dict(os.environ)
        demo_processes: list[subprocess.Popen] = []
        stop_demo = None
        if self.wants_demo(options):
            demo_processes, stop_demo = self.start_demo(env)

        children: dict[str, subprocess.Popen] = {}
        stopping = threading.Event()
        exit_code = 0

        def request_stop(signum: int, frame: Any) -> None:
            stopping.set()

        previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            # Own sessions: a terminal's Ctrl-C reaches only us, and we stop the
            # children in order instead of all of them racing to exit.
            children["web server"] = subprocess.Popen(
                self.web_command(host, port, options["web_workers"]),
                env=env,
                cwd=settings.BASE_DIR,
                start_new_session=True,
            )
            children["task cluster"] = subprocess.Popen(
                [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "qcluster"],
                env=env,
                cwd=settings.BASE_DIR,
                start_new_session=True,
            )
            shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
            url = f"http://{shown}:{port}/"
            if self.wait_until_ready(f"{url}healthz", children, stopping):
                self.say(
                    self.style.SUCCESS(f"\n  restoreadmin is running at {url}\n")
                    + "  Web server and task cluster are up; press Ctrl-C to stop both.\n"
                )
            while not stopping.wait(0.5):
                if dead := [name for name, p in children.items() if p.poll() is not None]:
                    self.stderr.write(
                        f"The {dead[0]} exited with code {children[dead[0]].returncode}; "
                        "stopping the rest."
                    )
                    exit_code = 1
                    break
        finally:
            self.say("Stopping the web server and the task cluster…")
            stop_processes(children, STOP_TIMEOUT_SECONDS)
            if stop_demo is not None:
                stop_demo(demo_processes)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        self.say("Stopped.")
        if exit_code:
            sys.exit(exit_code)

    def say(self, message: str) -> None:
        # Flushed at once: under a supervisor stdout is a pipe, and the one-time
        # password must not wait in a buffer behind the children's logs.
        self.stdout.write(message)
        self.stdout.flush()

    def wants_demo(self, options: dict[str, Any]) -> bool:
        if options["no_demo"]:
            return False
        return options["demo"] or settings.DEMO_MODE or not Path(settings.LOOKER_INI).exists()

    def start_demo(self, env: dict[str, str]) -> tuple[list[subprocess.Popen], Any]:
        """The demo hook: restoration.demo.start_demo() when that module exists."""
        try:
            from restoration.demo import start_demo, stop_demo
        except ImportError:
            self.stderr.write(
                f"No looker.ini at {settings.LOOKER_INI} and no demo available: "
                "the app runs, but lists no Looker instances."
            )
            return [], None
        self.say("Demo mode: starting local Looker emulators…")
        looker_ini, processes = start_demo(say=self.say)
        env["LOOKER_INI"] = str(looker_ini)
        env["RESTOREADMIN_DEMO"] = "true"
        self.say(f"Demo mode: Looker instances are in {looker_ini}")
        return list(processes), stop_demo

    def web_command(self, host: str, port: int, workers: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "restoreadmin.wsgi",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(workers),
            "--threads",
            "4",
            "--graceful-timeout",
            "10",
            "--log-level",
            "warning",
        ]

    def wait_until_ready(
        self, url: str, children: dict[str, subprocess.Popen], stopping: threading.Event
    ) -> bool:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline and not stopping.is_set():
            if any(p.poll() is not None for p in children.values()):
                return False
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return True
            except OSError:
                pass
            stopping.wait(0.25)
        return False
