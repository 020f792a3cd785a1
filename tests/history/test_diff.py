"""diff_versions: fields, and a dashboard's tiles and filters added, removed, changed;
Looker's bookkeeping never counts as a change."""

from restoration.backup.diff import diff_versions
from restoration.content_types import ContentType


def dashboard(**overrides):
    value = {
        "id": "7",
        "title": "Sales",
        "updated_at": "2026-01-01T00:00:00.000000+0000",
        "last_updater_id": "1",
        "dashboard_elements": [
            {"id": "1", "title": "Revenue", "type": "vis"},
            {"id": "2", "title": "Orders", "type": "vis"},
        ],
        "dashboard_filters": [
            {"id": "5", "name": "date", "title": "Date", "default_value": "7 days"}
        ],
        "query": {"model": "m", "fields": ["a"]},
    }
    value.update(overrides)
    return value


def test_bookkeeping_alone_is_no_change():
    diff = diff_versions(
        ContentType.DASHBOARD,
        dashboard(),
        dashboard(updated_at="2026-02-02T00:00:00.000000+0000", last_updater_id="9"),
    )
    assert diff.count == 0


def test_tiles_and_filters_added_removed_and_changed():
    after = dashboard(
        dashboard_elements=[
            {"id": "1", "title": "Revenue (net)", "type": "vis"},
            {"id": "3", "title": "Returns", "type": "vis"},
        ],
        dashboard_filters=[],
    )
    diff = diff_versions(ContentType.DASHBOARD, dashboard(), after)
    assert [(p.kind, p.part_id, p.change) for p in diff.parts] == [
        ("tile", "1", "changed"),
        ("tile", "2", "removed"),
        ("tile", "3", "added"),
        ("filter", "5", "removed"),
    ]
    assert [(f.path, f.before, f.after) for f in diff.parts[0].fields] == [
        ("title", "Revenue", "Revenue (net)")
    ]
    assert diff.fields == []


def test_nested_maps_are_followed_to_the_field_that_changed():
    diff = diff_versions(
        ContentType.LOOK, dashboard(), dashboard(query={"model": "m", "fields": ["a", "b"]})
    )
    assert [(f.path, f.before, f.after) for f in diff.fields] == [
        ("query.fields", ["a"], ["a", "b"])
    ]
    assert diff.parts == []  # only dashboards are split into tiles and filters
