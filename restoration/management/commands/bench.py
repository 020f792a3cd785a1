"""`manage.py bench <what>`: the developer benchmarks of restoration/bench/, one
subcommand each, with their own options (`manage.py bench restore --help`)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from restoration.bench import BENCHMARKS, benchmark


class Command(BaseCommand):
    help = "Developer benchmarks that print figures: " + ", ".join(BENCHMARKS) + "."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(
            dest="what", required=True, metavar="WHAT", title="benchmarks"
        )
        for what in BENCHMARKS:
            bench = benchmark(what)()
            sub = subcommands.add_parser(what, help=bench.help, description=bench.help)
            bench.add_arguments(sub)

    def handle(self, *args: Any, what: str, **opts: Any) -> None:
        bench = benchmark(what)(
            stdout=self.stdout._out, stderr=self.stderr._out, no_color=opts.get("no_color", False)
        )
        bench.handle(*args, **opts)
