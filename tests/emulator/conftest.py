"""SDK clients on the emulator fixtures from tests/fixtures_emulator.py."""

import pytest

from tests.emulator.sdk_client import sdk_for


@pytest.fixture
def sdk(looker_destination):
    """The real looker_sdk on an empty instance (Looker's built-ins only)."""
    return sdk_for(looker_destination)


@pytest.fixture
def demo_sdk(looker_source):
    """The real looker_sdk on the "demo" instance."""
    return sdk_for(looker_source)
