"""An extraction's cast: the demo instance as looker.ini section `source`, and fast options."""

import pytest

from restoration.backup import ExtractionOptions
from tests.fixtures_emulator import write_looker_ini
from tests.looker.conftest import redis_url  # noqa: F401  (the throwaway Redis server)


@pytest.fixture(autouse=True)
def _no_background_heartbeat(settings):
    # The heartbeat thread's own database connection cannot see a test's uncommitted
    # session row; tests drive Extraction.check_in() themselves where it matters.
    settings.RESTORE_HEARTBEAT_SECONDS = 3600


@pytest.fixture
def source_ini(tmp_path, settings, looker_source):
    settings.LOOKER_INI = str(write_looker_ini(tmp_path / "looker.ini", source=looker_source))
    return settings.LOOKER_INI


def fast(**overrides) -> ExtractionOptions:
    """Options that never wait on our own limiter, so tests measure behaviour, not pacing."""
    values = {
        "workers": 4,
        "rate_limit_per_second": 10000,
        "rate_limit_per_minute": 600000,
        "max_retries": 1,
        "retry_base_delay": 0.01,
    }
    values.update(overrides)
    return ExtractionOptions(**values)
