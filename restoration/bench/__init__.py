"""Developer benchmarks, run as `manage.py bench <what>`: each module measures one thing
and prints figures (speed targets are checked by these, never by timed tests).

A module holds one benchmark as a `Command` (its options and its body), which the
`bench` management command runs as a subcommand.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import import_module
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

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


def figures_from_child(
    what: str, spec: dict[str, Any], data_dir: str, *, ini: Path | None = None, log_level: str
) -> dict[str, Any]:
    """Run `manage.py bench <what> --child SPEC` in a process of its own, with `data_dir`
    as its data folder, `ini` (default: looker.ini in `data_dir`) and no DATABASE_URL, so
    every run starts from an empty SQLite database; its figures are its last line (JSON)."""
    env = {
        **os.environ,
        "RESTOREADMIN_DATA_DIR": data_dir,
        "LOOKER_INI": str(ini or Path(data_dir) / "looker.ini"),
        "LOG_LEVEL": log_level,
    }
    env.pop("DATABASE_URL", None)
    manage = Path(settings.BASE_DIR) / "manage.py"
    done = subprocess.run(
        [sys.executable, str(manage), "bench", what, "--child", json.dumps(spec)],
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode != 0:
        raise CommandError(f"bench run {spec} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
