"""Live Looker emulators for tests: `looker_source` (the "demo" instance),
`looker_destination` (an empty instance), `looker_ini` (a looker.ini naming both) and
`emulator_factory` (more emulators with any options).  All are stopped after the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import looker_sdk.error
import pytest

from restoration.emulator import LookerEmulator

LOOKER_INI_TIMEOUT = 10


@pytest.fixture(autouse=True)
def _no_error_doc_lookups(monkeypatch: pytest.MonkeyPatch) -> None:
    # On every error the SDK would fetch Looker's error-doc index from the internet.
    monkeypatch.setattr(
        looker_sdk.error.ErrorDocHelper, "parse_and_lookup", lambda self, *a, **kw: ("", "")
    )


@pytest.fixture
def emulator_factory() -> Iterator[Callable[..., LookerEmulator]]:
    """`emulator_factory(seed=..., state_file=..., faults={...}, port=0)` -> a started emulator."""
    started: list[LookerEmulator] = []

    def start(port: int = 0, **options: Any) -> LookerEmulator:
        emulator = LookerEmulator(**options).start(port=port)
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()


@pytest.fixture
def looker_source(emulator_factory) -> LookerEmulator:
    return emulator_factory(seed="demo")


@pytest.fixture
def looker_destination(emulator_factory) -> LookerEmulator:
    """Empty, with the demo LookML projects deployed but no `lookml_model` configured: a
    query answers 404 until a restore (or the test) creates the models."""
    return emulator_factory(seed=None)


def write_looker_ini(path: Path, **sections: LookerEmulator) -> Path:
    lines = []
    for name, emulator in sections.items():
        lines += [
            f"[{name}]",
            f"base_url={emulator.base_url}",
            f"client_id={emulator.client_id}",
            f"client_secret={emulator.client_secret}",
            "verify_ssl=false",
            f"timeout={LOOKER_INI_TIMEOUT}",
            "",
        ]
    path.write_text("\n".join(lines))
    return path


@pytest.fixture
def looker_ini(tmp_path, settings, looker_source, looker_destination) -> Path:
    """A looker.ini with sections `source` and `destination`; settings.LOOKER_INI points at it."""
    path = write_looker_ini(
        tmp_path / "looker.ini", source=looker_source, destination=looker_destination
    )
    settings.LOOKER_INI = str(path)
    return path
