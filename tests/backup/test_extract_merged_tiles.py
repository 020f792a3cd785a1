"""A backup keeps what makes a tile work: its result maker (the filters it listens to)
and, for a merged-results tile, its merge query with each source query."""

import pytest
from looker_sdk.sdk.api40 import models as m

from restoration.backup import extract_instance
from restoration.content_types import ContentType
from restoration.looker.instances import make_sdk
from restoration.models import ContentItem, SessionStatus
from tests.backup.conftest import fast

pytestmark = pytest.mark.django_db


def _dashboards() -> list[dict]:
    return [i.decoded() for i in ContentItem.objects.filter(content_type=ContentType.DASHBOARD)]


def test_a_merged_tile_keeps_its_merge_query_and_source_queries(source_ini, looker_source):
    session = extract_instance("source", fast(types=[ContentType.DASHBOARD]))
    assert session.status == SessionStatus.COMPLETED, session.last_error
    merged = [e for d in _dashboards() for e in d["dashboard_elements"] if e.get("merge_result_id")]
    assert len(merged) == 3
    for element in merged:
        merge = element["merge_query"]
        assert merge["id"] == element["merge_result_id"]
        assert [s["name"] for s in merge["source_queries"]] == ["Sales by state", "Users by state"]
        for source in merge["source_queries"]:
            query = source["query"]
            assert query["id"] == source["query_id"] and query["model"] == "thelook"
        listen = [x for f in element["result_maker"]["filterables"] for x in f.get("listen", [])]
        assert all(x["dashboard_filter_name"] and x["field"] for x in listen)
    wired = [
        e
        for d in _dashboards()
        for e in d["dashboard_elements"]
        if any(f.get("listen") for f in (e.get("result_maker") or {}).get("filterables", []))
    ]
    assert len(wired) > 20


def test_a_merge_query_looker_no_longer_serves_leaves_the_tile_without_it(source_ini):
    # looker-cli #233: GET merge_queries/{id} answered 404 for a tile's merge_result_id.
    sdk = make_sdk("source")
    dash = sdk.all_dashboards()[0]
    sdk.create_dashboard_element(
        m.WriteDashboardElement(dashboard_id=dash.id, type="vis", merge_result_id="999")
    )
    session = extract_instance("source", fast(types=[ContentType.DASHBOARD]))
    assert session.status == SessionStatus.COMPLETED and session.error_count == 0
    blob = ContentItem.objects.get(content_type=ContentType.DASHBOARD, content_id=dash.id)
    [orphan] = [
        e for e in blob.decoded()["dashboard_elements"] if e.get("merge_result_id") == "999"
    ]
    assert "merge_query" not in orphan
