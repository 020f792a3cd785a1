"""The plan: which backup rows a session restores, in dependency order and a stable order."""

from datetime import UTC, datetime

import pytest

from restoration.config import RestorationConfig
from restoration.content_types import ContentType
from restoration.engine.plan import Plan
from restoration.models import ContentItem, encode_blob


def item(content_type, content_id, name="", **data):
    fields = {k: data.pop(k) for k in ("updated_at", "deleted_at") if k in data}
    return ContentItem.objects.create(
        content_type=content_type,
        content_id=content_id,
        name=name,
        content_data=encode_blob({"id": content_id, "name": name, **data}),
        **fields,
    )


@pytest.fixture
def backup(db):
    item(ContentType.FOLDER, "30", "child", parent_id="20")
    item(ContentType.FOLDER, "20", "parent", parent_id="1")
    item(ContentType.FOLDER, "1", "Shared", parent_id=None)
    item(ContentType.FOLDER, "40", "grandchild", parent_id="30")
    item(ContentType.DASHBOARD, "7", "b", updated_at=datetime(2024, 5, 1, tzinfo=UTC))
    item(ContentType.DASHBOARD, "5", "a", updated_at=datetime(2024, 1, 1, tzinfo=UTC))
    item(ContentType.DASHBOARD, "9", "gone", deleted_at=datetime(2024, 6, 1, tzinfo=UTC))
    item(ContentType.USER, "3", "u")
    item(ContentType.EXPLORE, "m::e", "explore")


def test_types_follow_dependency_order_and_skip_explores(backup):
    plan = Plan(RestorationConfig(destination_instance="x"))
    types = plan.types()
    assert types.index(ContentType.USER) < types.index(ContentType.FOLDER)
    assert types.index(ContentType.FOLDER) < types.index(ContentType.DASHBOARD)
    assert ContentType.EXPLORE not in types
    assert "LookML" in plan.skipped_types()[ContentType.EXPLORE]


def test_folders_come_parent_before_child(backup):
    entries = list(Plan(RestorationConfig(destination_instance="x")).entries(ContentType.FOLDER))
    assert [e.content_id for e in entries] == ["1", "20", "30", "40"]
    assert [e.level for e in entries] == [0, 1, 2, 3]
    assert [e.offset for e in entries] == [0, 1, 2, 3]


def test_deleted_rows_are_planned_only_when_asked(backup):
    plain = Plan(RestorationConfig(destination_instance="x"))
    assert [e.content_id for e in plain.entries(ContentType.DASHBOARD)] == ["5", "7"]
    with_deleted = Plan(RestorationConfig(destination_instance="x", include_deleted=True))
    assert [e.content_id for e in with_deleted.entries(ContentType.DASHBOARD)] == ["5", "7", "9"]


def test_filters_by_ids_and_date_range_and_reports_unknown_ids(backup):
    config = RestorationConfig(
        destination_instance="x",
        content_types=[ContentType.DASHBOARD],
        content_ids=["5", "7", "404"],
        date_range=(datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 12, 1, tzinfo=UTC)),
    )
    plan = Plan(config)
    assert [e.content_id for e in plan.entries(ContentType.DASHBOARD)] == ["7"]
    assert plan.per_type() == {ContentType.DASHBOARD: 1}
    assert plan.unknown_ids() == ["5", "404"]


def test_rows_stream_in_pages_without_gaps_or_repeats(backup, monkeypatch):
    monkeypatch.setattr("restoration.engine.plan.PAGE", 2)
    for i in range(10, 15):
        item(ContentType.DASHBOARD, str(i), f"d{i}")
    entries = list(Plan(RestorationConfig(destination_instance="x")).entries(ContentType.DASHBOARD))
    assert [e.content_id for e in entries] == ["10", "11", "12", "13", "14", "5", "7"]
    assert [e.offset for e in entries] == list(range(7))
