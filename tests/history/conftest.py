"""The history's cast: a demo instance backed up, one dashboard changed three ways (title,
a tile, a filter), and backed up again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from django.utils import timezone

from restoration.backup import ExtractionOptions, extract_instance
from restoration.looker.instances import make_sdk
from restoration.models import RestorationSession
from restoration.versions import BackupRun

FAST = ["--rate-limit-per-second", "10000", "--rate-limit-per-minute", "600000"]


@pytest.fixture(autouse=True)
def _quick_engine(settings):
    settings.RESTORE_RETRY_BASE_DELAY = 0.01
    settings.RESTORE_HEARTBEAT_SECONDS = 3600  # tests drive the work themselves


def take_backup(section: str = "source", **options: Any) -> RestorationSession:
    values = {"workers": 4, "rate_limit_per_second": 10000, "rate_limit_per_minute": 600000}
    values.update(options)
    session = extract_instance(section, ExtractionOptions(**values))
    assert session.status == "completed", session.last_error
    return session


@dataclass
class ChangedDashboard:
    """What the dashboard was at the first backup, and what changed before the second."""

    id: str
    title: str
    tile_id: str
    tile_title: str
    filter_id: str
    filter_default: str
    first_run: BackupRun
    second_run: BackupRun
    between: datetime  # a moment after the first backup and before the second


def dashboard_state(sdk: Any, dashboard_id: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """Title, tile titles by id, filter defaults by id, as Looker has them now."""
    dash = sdk.dashboard(dashboard_id)
    tiles = {str(e.id): e.title or "" for e in dash.dashboard_elements or []}
    filters = {str(f.id): f.default_value or "" for f in dash.dashboard_filters or []}
    return dash.title, tiles, filters


def change_dashboard(sdk: Any, dashboard_id: str) -> tuple[str, str]:
    dash = sdk.dashboard(dashboard_id)
    tile = next(e for e in dash.dashboard_elements if e.title)
    flt = dash.dashboard_filters[0]
    sdk.update_dashboard(dashboard_id, body={"title": f"{dash.title} (edited)"})
    sdk.update_dashboard_element(str(tile.id), body={"title": "A tile renamed by mistake"})
    sdk.update_dashboard_filter(str(flt.id), body={"default_value": "changed default"})
    return str(tile.id), str(flt.id)


@pytest.fixture
def changed_dashboard(looker_ini) -> ChangedDashboard:
    first = take_backup("source")
    between = timezone.now()
    sdk = make_sdk("source")
    candidates = [
        d
        for d in (sdk.dashboard(x.id) for x in sdk.all_dashboards(fields="id"))
        if d.dashboard_filters and any(e.title for e in d.dashboard_elements or [])
    ]
    dash = candidates[0]
    tile = next(e for e in dash.dashboard_elements if e.title)
    flt = dash.dashboard_filters[0]
    before = ChangedDashboard(
        id=str(dash.id),
        title=dash.title,
        tile_id=str(tile.id),
        tile_title=tile.title,
        filter_id=str(flt.id),
        filter_default=flt.default_value or "",
        first_run=BackupRun.objects.get(session=first),
        second_run=None,  # type: ignore[arg-type]
        between=between,
    )
    change_dashboard(sdk, before.id)
    second = take_backup("source")
    before.second_run = BackupRun.objects.get(session=second)
    return before


@pytest.fixture
def operator_client(operator):
    from django.test import Client

    client = Client()
    client.force_login(operator)
    return client


@pytest.fixture
def auditor_client(auditor):
    from django.test import Client

    client = Client()
    client.force_login(auditor)
    return client
