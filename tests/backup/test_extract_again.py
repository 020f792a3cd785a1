"""A second extraction: deletions become soft deletes, unchanged objects stay untouched,
objects Looker failed to serve are picked up by the next run."""

import pytest

from restoration.backup import extract_instance
from restoration.content_types import ContentType
from restoration.looker.instances import make_sdk
from restoration.models import ContentItem, SessionStatus
from tests.backup.conftest import fast

pytestmark = pytest.mark.django_db

DASHBOARD_GET = "GET /api/4.0/dashboards/{dashboard_id}"


def test_a_deleted_dashboard_is_marked_deleted_and_nothing_else(source_ini):
    extract_instance("source", fast())
    first_sync = dict(ContentItem.objects.values_list("row_id", "synced_at"))
    sdk = make_sdk("source")
    victim = sdk.all_dashboards()[3].id
    sdk.delete_dashboard(victim)

    session = extract_instance("source", fast())

    deleted = ContentItem.objects.filter(deleted_at__isnull=False)
    assert [(d.content_type, d.content_id) for d in deleted] == [(ContentType.DASHBOARD, victim)]
    assert session.metadata["per_type"]["dashboard"]["deleted"] == 1
    for row_id, synced_at in ContentItem.objects.values_list("row_id", "synced_at"):
        assert synced_at > first_sync[row_id]


def test_a_dashboard_that_comes_back_is_undeleted(source_ini, looker_source):
    extract_instance("source", fast(types=[ContentType.DASHBOARD]))
    sdk = make_sdk("source")
    victim = sdk.all_dashboards()[0].id
    sdk.update_dashboard(victim, body={"deleted": True})  # Looker's trash: a soft delete
    extract_instance("source", fast(types=[ContentType.DASHBOARD]))
    row = ContentItem.objects.get(content_type=ContentType.DASHBOARD, content_id=victim)
    assert row.deleted_at is not None

    sdk.update_dashboard(victim, body={"deleted": False})
    extract_instance("source", fast(types=[ContentType.DASHBOARD]))
    row.refresh_from_db()
    assert row.deleted_at is None


def test_unchanged_objects_are_not_rewritten(source_ini):
    first = extract_instance("source", fast())
    second = extract_instance("source", fast())
    assert second.created_count == 0
    assert second.updated_count == 0
    assert second.skipped_count == first.created_count


def test_incremental_skips_reading_unchanged_dashboards(source_ini, looker_source):
    extract_instance("source", fast(types=[ContentType.DASHBOARD]))
    sdk = make_sdk("source")
    changed = sdk.all_dashboards()[1].id
    sdk.update_dashboard(changed, body={"title": "Renamed for the incremental test"})
    looker_source.reset_counters()

    session = extract_instance("source", fast(types=[ContentType.DASHBOARD], incremental=True))

    assert looker_source.counters()["calls"].get(DASHBOARD_GET) == 1
    assert session.updated_count == 1
    row = ContentItem.objects.get(content_type=ContentType.DASHBOARD, content_id=changed)
    assert row.name == "Renamed for the incremental test"
    assert row.decoded()["title"] == "Renamed for the incremental test"


def test_types_without_updated_at_are_compared_by_content(source_ini):
    extract_instance("source", fast(types=[ContentType.GROUP]))
    sdk = make_sdk("source")
    group = sdk.all_groups()[0]
    sdk.update_group(group.id, body={"name": f"{group.name} renamed"})
    session = extract_instance("source", fast(types=[ContentType.GROUP], incremental=True))
    assert session.updated_count == 1
    assert session.skipped_count == ContentItem.objects.filter(content_type=8).count() - 1


def fail_one_dashboard(emulator, dashboard_id, monkeypatch):
    """Looker answers 500 for one dashboard, as a real instance does for a corrupt one."""
    original = emulator.app._api

    def api(environ, verb, path):
        if verb == "GET" and path == f"/api/4.0/dashboards/{dashboard_id}":
            return (
                500,
                [],
                {
                    "message": "An error has occurred.",
                    "documentation_url": "https://cloud.google.com/looker/docs/r/err/4.0/500/get/dashboards/:dashboard_id",
                },
            )
        return original(environ, verb, path)

    monkeypatch.setattr(emulator.app, "_api", api)


def test_a_500_on_one_dashboard_is_counted_and_the_rest_is_extracted(
    source_ini, looker_source, monkeypatch
):
    sdk = make_sdk("source")
    all_ids = sorted(d.id for d in sdk.all_dashboards())
    broken = all_ids[2]
    fail_one_dashboard(looker_source, broken, monkeypatch)

    session = extract_instance("source", fast(max_retries=2))

    assert session.status == SessionStatus.COMPLETED_WITH_ERRORS
    assert session.error_count == 1
    [error] = session.metadata["errors"]
    assert error["content_id"] == broken
    assert error["status"] == 500
    assert error["retry_count"] == 2
    stored = ContentItem.objects.filter(content_type=ContentType.DASHBOARD)
    assert sorted(stored.values_list("content_id", flat=True)) == sorted(
        i for i in all_ids if i != broken
    )
    assert ContentItem.objects.filter(content_type=ContentType.LOOK).exists()

    monkeypatch.undo()
    rerun = extract_instance("source", fast(incremental=True))
    assert rerun.error_count == 0
    assert stored.filter(content_id=broken).exists()
    assert rerun.created_count == 1


def test_a_failed_read_never_marks_the_stored_copy_deleted(source_ini, looker_source, monkeypatch):
    extract_instance("source", fast(types=[ContentType.DASHBOARD]))
    broken = make_sdk("source").all_dashboards()[0].id
    fail_one_dashboard(looker_source, broken, monkeypatch)
    extract_instance("source", fast(types=[ContentType.DASHBOARD], max_retries=0))
    row = ContentItem.objects.get(content_type=ContentType.DASHBOARD, content_id=broken)
    assert row.deleted_at is None


def test_a_listing_that_fails_marks_nothing_deleted(source_ini, looker_source):
    extract_instance("source", fast(types=[ContentType.LOOK]))
    looker_source.set_faults(
        error_rate=1, error_statuses=[503], route_pattern=r"^GET /api/4\.0/looks/search$"
    )
    session = extract_instance("source", fast(types=[ContentType.LOOK], max_retries=1))
    assert session.error_count == 1
    assert session.metadata["errors"][0]["content_id"] is None
    assert not ContentItem.objects.filter(deleted_at__isnull=False).exists()


def test_transient_faults_are_retried_until_everything_is_read(source_ini, looker_source):
    looker_source.set_faults(error_rate=0.3, error_statuses=[500, 502, 503])
    session = extract_instance("source", fast(max_retries=10))
    looker_source.set_faults(clear=True)
    assert session.error_count == 0
    assert session.metadata["api"]["retries"] > 0
    assert ContentItem.objects.filter(content_type=ContentType.DASHBOARD).count() == len(
        make_sdk("source").all_dashboards()
    )


def test_an_object_the_listing_skipped_is_not_marked_deleted(
    source_ini, looker_source, monkeypatch
):
    extract_instance("source", fast(types=[ContentType.DASHBOARD]))
    skipped = make_sdk("source").all_dashboards()[5].id
    original = looker_source.app._api

    def api(environ, verb, path):
        # Offset paging: a dashboard deleted on page 1 shifts this one out of page 2.
        status, headers, body = original(environ, verb, path)
        if verb == "GET" and path == "/api/4.0/dashboards/search" and isinstance(body, list):
            body = [d for d in body if d.get("id") != skipped]
        return status, headers, body

    monkeypatch.setattr(looker_source.app, "_api", api)
    session = extract_instance("source", fast(types=[ContentType.DASHBOARD]))

    assert session.metadata["per_type"]["dashboard"]["deleted"] == 0
    assert not ContentItem.objects.filter(deleted_at__isnull=False).exists()
    assert looker_source.counters()["calls"][DASHBOARD_GET] >= 1
