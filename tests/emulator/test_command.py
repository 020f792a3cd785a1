"""`manage.py looker_emulator` serves an instance until stopped."""

import os
import signal
import subprocess
import sys

import pytest
import requests
from django.core.management import CommandError, call_command

from tests.emulator.spec import REPO_ROOT


@pytest.mark.slow
def test_the_command_serves_a_seeded_instance_and_stops_on_sigterm(tmp_path):
    state = tmp_path / "state.sqlite"
    env = {**os.environ, "RESTOREADMIN_DATA_DIR": str(tmp_path / "data")}
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "looker_emulator",
            "--port",
            "0",
            "--seed",
            "demo",
            "--state",
            str(state),
            "--client-id",
            "cli",
            "--client-secret",
            "cli-secret",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert "Looker emulator on http://127.0.0.1:" in line, process.stderr.read()
        base_url = line.split(" on ")[1].split()[0]
        token = requests.post(
            f"{base_url}/api/4.0/login", data={"client_id": "cli", "client_secret": "cli-secret"}
        ).json()
        dashboards = requests.get(
            f"{base_url}/api/4.0/dashboards",
            headers={"Authorization": f"Bearer {token['access_token']}"},
        ).json()
        assert len(dashboards) == 29
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    assert state.stat().st_size > 0


def test_the_command_refuses_an_unknown_seed():
    with pytest.raises(CommandError, match="unknown seed 'nonsense'"):
        call_command("looker_emulator", "--port", "0", "--seed", "nonsense")
