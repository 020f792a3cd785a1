"""`manage.py bench <what>`: one command for the developer benchmarks, each with its options."""

import io
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from restoration.bench import BENCHMARKS


def test_it_lists_every_benchmark_with_its_own_options():
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
    listing = subprocess.run([*manage, "bench", "--help"], capture_output=True, text=True)
    assert listing.returncode == 0
    for what in ("emulator", "extract", "history", "import", "pages", "restore", "scaleout"):
        assert what in BENCHMARKS and what in listing.stdout
    restore = subprocess.run(
        [*manage, "bench", "restore", "--help"], capture_output=True, text=True
    )
    assert "--latency-ms" in restore.stdout and "--skip-matrix" in restore.stdout


def test_it_runs_the_benchmark_asked_for_and_prints_its_figures(tmp_path, monkeypatch):
    monkeypatch.setenv("RESTOREADMIN_DATA_DIR", str(tmp_path))
    out = io.StringIO()
    call_command("bench", "import", "--rows", "50", "--blob-kb", "1", stdout=out)
    assert "first import (inserts): 50 rows in" in out.getvalue()
    assert "rows/s" in out.getvalue() and "peak RSS" in out.getvalue()


def test_an_unknown_benchmark_is_refused():
    with pytest.raises(CommandError, match="invalid choice: 'speed'"):
        call_command("bench", "speed")


def test_the_old_bench_commands_are_gone():
    with pytest.raises(CommandError, match="Unknown command"):
        call_command("bench_restore")
