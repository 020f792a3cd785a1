"""Developer benchmarks, run as `manage.py bench <what>`: each module measures one thing
and prints figures (speed targets are checked by these, never by timed tests).

A module holds one benchmark as a `Command` (its options and its body), which the
`bench` management command runs as a subcommand.
"""

from __future__ import annotations

from importlib import import_module

from django.core.management.base import BaseCommand

# what -> module: `manage.py bench <what> --help` lists each one's options.
BENCHMARKS = {
    "emulator": "restoration.bench.emulator",
    "extract": "restoration.bench.extract",
    "history": "restoration.bench.history",
    "import": "restoration.bench.import_backup",
    "lost_answers": "restoration.bench.lost_answers",
    "pages": "restoration.bench.pages",
    "restore": "restoration.bench.restore",
    "scaleout": "restoration.bench.scaleout",
}


def benchmark(what: str) -> type[BaseCommand]:
    """The `Command` class of one benchmark."""
    return import_module(BENCHMARKS[what]).Command
