"""Serve an emulated Looker API 4.0 instance (demos, manual testing, benchmarks)."""

from __future__ import annotations

import json
import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from restoration.emulator import LookerEmulator


class Command(BaseCommand):
    help = (
        "Run a Looker API 4.0 emulator on 127.0.0.1. Point looker.ini at the printed "
        "base_url with the client id/secret (defaults: emulator / emulator-secret)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=19999, help="TCP port (0 = any free port)")
        parser.add_argument("--seed", default=None, help='"demo", "scale:N" or nothing (empty)')
        parser.add_argument(
            "--state", default=None, help="SQLite file keeping the instance across restarts"
        )
        parser.add_argument("--client-id", default="emulator")
        parser.add_argument("--client-secret", default="emulator-secret")
        parser.add_argument(
            "--faults",
            default=None,
            help='JSON fault settings, e.g. \'{"latency_ms": 50, "error_rate": 0.05}\'',
        )
        parser.add_argument(
            "--connections",
            default=None,
            help="comma-separated database connection names (default: thelook,bigquery_prod,snowflake_finance)",
        )
        parser.add_argument(
            "--projects",
            default=None,
            help='LookML projects deployed: "demo" (default), "none" or JSON '
            '\'{"project": {"model": ["explore", ...]}}\'',
        )
        parser.add_argument(
            "--auto-configure-models",
            action="store_true",
            help="deploying a project configures its models that have no configuration yet, "
            "as Looker often does",
        )
        parser.add_argument("--verbose-http", action="store_true", help="log every request")

    def handle(self, *args, **options) -> None:
        try:
            faults = json.loads(options["faults"]) if options["faults"] else None
            emulator = LookerEmulator(
                seed=options["seed"],
                state_file=options["state"],
                client_id=options["client_id"],
                client_secret=options["client_secret"],
                faults=faults,
                verbose=options["verbose_http"],
                connections=options["connections"].split(",") if options["connections"] else None,
                projects=options["projects"],
                auto_configure_models=options["auto_configure_models"],
            )
            emulator.start(port=options["port"])
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        self.stdout.write(
            f"Looker emulator on {emulator.base_url} (seed={options['seed'] or 'empty'}, "
            f"state={options['state'] or 'memory'}); client_id={emulator.client_id}. "
            "Control API under /_emulator/. Ctrl-C stops it."
        )
        self.stdout.flush()
        stop.wait()
        emulator.stop()
        self.stdout.write("Looker emulator stopped.")
