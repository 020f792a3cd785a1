"""Dry runs: nothing reaches the destination; each item says what would happen and why."""

import pytest
from looker_sdk.sdk.api40 import models as m

from restoration.content_types import ContentType
from restoration.looker.instances import make_sdk
from restoration.models import IDMapping
from tests.engine.conftest import fast_config, restore

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_dry_run_into_an_empty_instance_writes_nothing_and_plans_creates(
    backup, looker_source, looker_destination
):
    looker_destination.reset_counters()
    session = restore(fast_config(looker_source, looker_destination, dry_run=True))
    assert session.kind == "dry_run" and session.status == "completed_with_errors"
    counters = looker_destination.counters()
    assert counters["writes"] == 0 and counters["creates"] == {}
    assert not IDMapping.objects.exists()

    items = session.dry_run_items()
    assert len(items) == session.planned_items == session.total_items
    actions = {(i["content_type"], i["content_id"]): i for i in items}
    dashboards = [i for i in items if i["content_type"] == ContentType.DASHBOARD]
    assert {i["action"] for i in dashboards} <= {"create", "fail"}
    assert sum(i["action"] == "create" for i in dashboards) >= 10
    # Built-ins are mapped, never created.
    assert any(
        i["action"] == "skip" and "built-in" in i["reason"]
        for i in items
        if i["content_type"] == ContentType.FOLDER
    )
    failing = [i for i in items if i["action"] == "fail"]
    assert all("was not restored" in i["reason"] for i in failing)
    assert actions  # keys are (type, id): one row per backup item


def test_a_dry_run_after_a_restore_shows_field_differences_and_skips_modified_objects(
    backup, looker_source, looker_destination
):
    restore(fast_config(looker_source, looker_destination))
    sdk = make_sdk("destination")
    changed, touched = sdk.all_dashboards()[:2]
    sdk.update_dashboard(changed.id, m.WriteDashboard(description="edited in the destination"))
    looker_destination.reset_counters()

    dashboards_only = {"content_types": [ContentType.DASHBOARD]}
    session = restore(
        fast_config(looker_source, looker_destination, dry_run=True, **dashboards_only)
    )
    assert looker_destination.counters()["writes"] == 0
    by_dest = {
        IDMapping.objects.get(
            content_type=ContentType.DASHBOARD, source_id=i["content_id"]
        ).destination_id: i
        for i in session.dry_run_items()
        if i["content_type"] == ContentType.DASHBOARD and i["action"] != "fail"
    }
    row = by_dest[changed.id]
    assert row["action"] == "update"
    assert row["diff"]["description"][0] == "edited in the destination"
    assert by_dest[touched.id]["action"] == "skip"

    # skip_if_modified: the destination changed after the backup, so it is left alone.
    careful = restore(
        fast_config(
            looker_source,
            looker_destination,
            dry_run=True,
            skip_if_modified=True,
            **dashboards_only,
        )
    )
    row = next(
        i
        for i in careful.dry_run_items()
        if i["content_type"] == ContentType.DASHBOARD
        and IDMapping.objects.get(
            content_type=ContentType.DASHBOARD, source_id=i["content_id"]
        ).destination_id
        == changed.id
    )
    assert row["action"] == "skip" and "after the backup" in row["reason"]
    real = restore(
        fast_config(looker_source, looker_destination, skip_if_modified=True, **dashboards_only)
    )
    assert real.status == "completed_with_errors"
    assert sdk.dashboard(changed.id).description == "edited in the destination"
