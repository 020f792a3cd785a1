"""The engine's cast: a backup of the demo instance taken by the extraction, and a helper
that launches a session and runs it to the end in this process."""

from __future__ import annotations

from typing import Any

import pytest

from restoration.backup import ExtractionOptions, extract_instance
from restoration.config import RestorationConfig
from restoration.engine import run_session
from restoration.models import RestorationSession


@pytest.fixture(autouse=True)
def _quick_engine(settings):
    # Retries and heartbeats on a test's time scale.
    settings.RESTORE_RETRY_BASE_DELAY = 0.01
    settings.RESTORE_HEARTBEAT_SECONDS = 0.2


def take_backup(section: str = "source", **options: Any) -> RestorationSession:
    values = {"workers": 4, "rate_limit_per_second": 10000, "rate_limit_per_minute": 600000}
    values.update(options)
    session = extract_instance(section, ExtractionOptions(**values))
    assert session.status == "completed", session.last_error
    return session


def fast_config(source: Any, destination: Any, **overrides: Any) -> RestorationConfig:
    values: dict[str, Any] = {
        "workers": 4,
        "rate_limit_per_second": 10000,
        "rate_limit_per_minute": 600000,
        "checkpoint_interval": 10,
        "max_retries": 3,
        "source_instance": source.base_url,
        "destination_instance": destination.base_url,
    }
    values.update(overrides)
    return RestorationConfig(**values)


def restore(
    config: RestorationConfig, destination: str = "destination", source: str = "source"
) -> RestorationSession:
    session = RestorationSession.objects.launch(
        config, destination_section=destination, source_section=source
    )
    run_session(session.pk)
    session.refresh_from_db()
    return session


@pytest.fixture
def backup(looker_ini, transactional_db):
    """The demo instance (section `source`) backed up by the extraction."""
    return take_backup("source")
