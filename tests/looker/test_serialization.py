"""api_dict: a model as the API's dict at every depth, and back to the same model."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from looker_sdk.rtl import serialize
from looker_sdk.sdk.api40 import models as m

from restoration.looker.serialization import api_dict, deserialize40

RESERVED = m.LookmlModelExploreJoins  # its `from` field is `from_` in Python
SAMPLE = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "looker-api"
    / "samples"
    / "gzr-dashboard-export.json"
)


def test_nested_models_become_dicts_without_none_fields():
    dash = m.Dashboard(
        id="5",
        title="Sales",
        created_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        dashboard_elements=[m.DashboardElement(id="9", query=m.Query(model="shop", view="orders"))],
    )
    assert api_dict(dash) == {
        "id": "5",
        "title": "Sales",
        "created_at": "2024-01-02T03:04:05.000000+0000",
        "dashboard_elements": [{"id": "9", "query": {"model": "shop", "view": "orders"}}],
    }


def test_reserved_words_keep_their_api_names():
    assert api_dict(m.PermissionSet(id="1", name="n")) == {"id": "1", "name": "n"}
    assert api_dict(RESERVED(from_="me@example.com")) == {"from": "me@example.com"}


def test_enums_become_their_values():
    assert api_dict(m.CreateQueryTask(query_id="1", result_format=m.ResultFormat.csv)) == {
        "query_id": "1",
        "result_format": "csv",
    }


def test_a_real_dashboard_round_trips_through_the_sdk_models():
    if not SAMPLE.exists():
        pytest.skip(f"{SAMPLE} is absent (the shared Looker API samples)")
    raw = json.loads(SAMPLE.read_text())
    dashboard = deserialize40(data=json.dumps(raw), structure=m.Dashboard)
    as_dict = api_dict(dashboard)
    assert serialize.converter40.structure(as_dict, m.Dashboard) == dashboard
    assert as_dict["dashboard_elements"] and isinstance(as_dict["dashboard_elements"][0], dict)


def test_our_deserialize_gives_the_sdk_deserialize_result():
    body = json.dumps({"id": "1", "title": "T", "dashboard_filters": [{"id": "2", "name": "Date"}]})
    assert deserialize40(data=body, structure=m.Dashboard) == serialize.deserialize40(
        data=body, structure=m.Dashboard
    )


def test_bad_json_is_a_deserialize_error():
    with pytest.raises(serialize.DeserializeError):
        deserialize40(data="<html>", structure=m.Dashboard)
