"""Talking to a Looker emulator that runs in a process of its own (`manage.py
looker_emulator`): the demo and the benchmark commands start one on a free port, wait
until it answers, and steer it through its control API."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def control(
    base_url: str, path: str, payload: dict[str, Any] | None = None, timeout: float = 10
) -> Any:
    """GET (no payload) or POST (payload) `/_emulator/{path}`; the decoded answer or None."""
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(
        f"{base_url}/_emulator/{path}",
        data=data,
        method="POST" if data is not None else "GET",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body = response.read()
    return json.loads(body) if body else None


def wait_until_up(base_url: str, process: subprocess.Popen, timeout: float) -> None:
    """Return once the emulator answers; RuntimeError if it exits or stays silent."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the emulator for {base_url} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/api/4.0/versions", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the emulator for {base_url} did not answer within {timeout:.0f} s")
