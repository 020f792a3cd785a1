"""Tiles keep their result maker (filter wiring, vis config, sorts, total, dynamic
fields) and merged-results tiles their merge query, as Looker answers them. One test per
rule of the evidence ledger (restoration/emulator/EVIDENCE.md, "## Tiles and merged
results")."""

import pytest
from looker_sdk import error
from looker_sdk.sdk.api40 import models as m

from restoration.emulator import LookerEmulator
from tests.emulator.sdk_client import configure_model

LISTEN = [
    m.ResultMakerFilterablesListen(dashboard_filter_name="State", field="users.state"),
    m.ResultMakerFilterablesListen(dashboard_filter_name="Brand", field="products.brand"),
]


@pytest.fixture
def dashboard(sdk):
    configure_model(sdk)
    return sdk.create_dashboard(m.WriteDashboard(title="Wired", folder_id="1"))


@pytest.fixture
def query(sdk, dashboard):
    return sdk.create_query(
        m.WriteQuery(
            model="thelook",
            view="users",
            fields=["users.state", "users.count"],
            sorts=["users.count desc"],
            vis_config={"type": "looker_bar"},
        )
    )


def _wired(dashboard_id, query_id, **result_maker):
    return m.WriteDashboardElement(
        dashboard_id=dashboard_id,
        type="vis",
        query_id=query_id,
        title="Users by state",
        result_maker=m.WriteResultMakerWithIdVisConfigAndDynamicFields(
            filterables=[m.ResultMakerFilterables(model="thelook", view="users", listen=LISTEN)],
            **result_maker,
        ),
    )


def _merge(sdk, query_id, **settings):
    return sdk.create_merge_query(
        m.WriteMergeQuery(
            source_queries=[
                m.MergeQuerySourceQuery(query_id=query_id, name="Users", merge_fields=[]),
                m.MergeQuerySourceQuery(
                    query_id=query_id,
                    name="Users again",
                    merge_fields=[
                        m.MergeFields(field_name="users.state", source_field_name="users.state")
                    ],
                ),
            ],
            **settings,
        )
    )


def test_rule_tile_result_maker_is_stored_and_returned(sdk, dashboard, query):
    created = sdk.create_dashboard_element(
        _wired(dashboard.id, query.id, vis_config={"type": "table"}, total=True)
    )
    answers = [
        created,
        sdk.dashboard_element(created.id),
        sdk.dashboard(dashboard.id).dashboard_elements[0],
        sdk.dashboard_dashboard_elements(dashboard.id)[0],
        sdk.search_dashboard_elements(dashboard_id=dashboard.id)[0],
    ]
    for element in answers:
        result_maker = element.result_maker
        assert result_maker.id == element.result_maker_id
        assert result_maker.query_id == query.id and result_maker.query.id == query.id
        [filterable] = result_maker.filterables
        assert (filterable.model, filterable.view) == ("thelook", "users")
        assert [(x.dashboard_filter_name, x.field) for x in filterable.listen] == [
            ("State", "users.state"),
            ("Brand", "products.brand"),
        ]
        assert result_maker.vis_config == {"type": "table"} and result_maker.total is True


def test_rule_tile_result_maker_update_replaces_the_settings_sent(sdk, dashboard, query):
    element = sdk.create_dashboard_element(_wired(dashboard.id, query.id, sorts=["users.state"]))
    sdk.update_dashboard_element(
        element.id,
        m.WriteDashboardElement(
            result_maker=m.WriteResultMakerWithIdVisConfigAndDynamicFields(
                filterables=[
                    m.ResultMakerFilterables(
                        model="thelook",
                        view="users",
                        listen=[
                            m.ResultMakerFilterablesListen(
                                dashboard_filter_name="Country", field="users.country"
                            )
                        ],
                    )
                ]
            )
        ),
    )
    result_maker = sdk.dashboard_element(element.id).result_maker
    assert [x.dashboard_filter_name for x in result_maker.filterables[0].listen] == ["Country"]
    assert result_maker.sorts == ["users.state"]  # not sent: kept


def test_rule_result_maker_settings_not_set_are_the_constituent_querys(sdk, dashboard, query):
    element = sdk.create_dashboard_element(
        m.WriteDashboardElement(dashboard_id=dashboard.id, type="vis", query_id=query.id)
    )
    result_maker = element.result_maker
    assert result_maker.vis_config == {"type": "looker_bar"}
    assert result_maker.sorts == ["users.count desc"]
    assert result_maker.filterables is None


def test_rule_text_tiles_have_no_result_maker(sdk, dashboard):
    element = sdk.create_dashboard_element(
        m.WriteDashboardElement(dashboard_id=dashboard.id, type="text", body_text="hello")
    )
    assert element.result_maker_id is None and element.result_maker is None


def test_rule_a_copied_dashboard_keeps_its_tiles_wiring(sdk, dashboard, query):
    sdk.create_dashboard_element(_wired(dashboard.id, query.id))
    copy = sdk.copy_dashboard(dashboard.id, folder_id="1")
    [element] = copy.dashboard_elements
    assert element.result_maker.filterables[0].listen[0].dashboard_filter_name == "State"


def test_rule_merge_query_is_stored_and_returned(sdk, query):
    merge = _merge(sdk, query.id, column_limit="50", sorts=["users.count desc"], total=True)
    again = sdk.merge_query(merge.id)
    assert again.id == merge.id and again.result_maker_id
    assert [s.name for s in again.source_queries] == ["Users", "Users again"]
    assert again.source_queries[1].merge_fields[0].field_name == "users.state"
    assert again.source_queries[0].query_slug == query.slug
    assert (again.column_limit, again.sorts, again.total) == ("50", ["users.count desc"], True)


def test_rule_merge_query_identical_body_answers_the_existing_one(sdk, query):
    first = _merge(sdk, query.id, vis_config={"type": "table"})
    assert _merge(sdk, query.id, vis_config={"type": "table"}).id == first.id
    assert _merge(sdk, query.id, vis_config={"type": "looker_bar"}).id != first.id


def test_rule_merge_query_unknown_id_is_404(sdk):
    with pytest.raises(error.SDKError) as caught:
        sdk.merge_query("999")
    assert "Not found" in str(caught.value)


def test_rule_merge_query_source_query_ids_are_not_checked(sdk, dashboard):
    merge = _merge(sdk, "424242")
    assert sdk.merge_query(merge.id).source_queries[0].query_id == "424242"


def test_rule_merged_tile_result_maker_shows_its_merge_query(sdk, dashboard, query):
    merge = _merge(sdk, query.id, vis_config={"type": "looker_column"})
    element = sdk.create_dashboard_element(
        m.WriteDashboardElement(
            dashboard_id=dashboard.id,
            type="vis",
            merge_result_id=merge.id,
            result_maker=m.WriteResultMakerWithIdVisConfigAndDynamicFields(
                filterables=[
                    m.ResultMakerFilterables(
                        model="thelook", view="users", name="Users", listen=LISTEN[:1]
                    )
                ]
            ),
        )
    )
    result_maker = sdk.dashboard_element(element.id).result_maker
    assert result_maker.merge_result_id == merge.id and result_maker.query_id is None
    assert result_maker.vis_config == {"type": "looker_column"}
    assert result_maker.filterables[0].name == "Users"


def test_rule_tile_merge_result_id_is_not_checked(sdk, dashboard):
    element = sdk.create_dashboard_element(
        m.WriteDashboardElement(dashboard_id=dashboard.id, type="vis", merge_result_id="777")
    )
    assert sdk.dashboard_element(element.id).merge_result_id == "777"


def test_rule_result_maker_id_with_a_merge_result_id_is_422(sdk, dashboard, query):
    merge = _merge(sdk, query.id)
    with pytest.raises(error.SDKError) as caught:
        sdk.create_dashboard_element(
            m.WriteDashboardElement(
                dashboard_id=dashboard.id, type="vis", merge_result_id=merge.id, result_maker_id="1"
            )
        )
    assert "Result Maker ID" in str(caught.value)
    assert sdk.dashboard(dashboard.id).dashboard_elements == []


def test_the_demo_wires_tiles_to_its_filters_and_has_merged_results(demo_sdk):
    wired = merged = 0
    for summary in demo_sdk.all_dashboards():
        dash = demo_sdk.dashboard(summary.id)
        names = {f.name for f in dash.dashboard_filters}
        for element in dash.dashboard_elements:
            for filterable in (element.result_maker and element.result_maker.filterables) or []:
                for listen in filterable.listen or []:
                    assert listen.dashboard_filter_name in names
                    wired += 1
            if element.merge_result_id:
                merge = demo_sdk.merge_query(element.merge_result_id)
                assert len(merge.source_queries) == 2
                merged += 1
    assert wired > 20 and merged == 3


def test_scale_seeds_one_merged_tile_per_ten_dashboards_and_wired_tiles():
    store = LookerEmulator(seed="scale:40").store
    merged = [e for e in store.all("dashboard_element") if e.get("merge_result_id")]
    assert len(merged) == 4
    # Merge queries have structural identity: the 1st and 4th tiles ask the same question.
    assert len(store.all("merge_query")) == 3
    wired = [
        e
        for e in store.all("dashboard_element")
        if any(f.get("listen") for f in e["_result_maker"].get("filterables", []))
    ]
    assert len(wired) > 40


def test_rule_a_look_tile_answers_its_query_under_look(sdk, dashboard, query):
    look = sdk.create_look(m.WriteLookWithQuery(title="Users", folder_id="1", query_id=query.id))
    made = sdk.create_dashboard_element(
        m.WriteDashboardElement(dashboard_id=dashboard.id, type="vis", look_id=look.id)
    )
    for tile in (
        made,
        sdk.dashboard_element(made.id),
        sdk.dashboard(dashboard.id).dashboard_elements[0],
    ):
        assert (tile.query, tile.query_id) == (None, None)
        assert tile.look.id == look.id and tile.look.query.fields == query.fields
        # The result maker still shows the Look's vis config (its constituent query).
        assert tile.result_maker.vis_config == {"type": "looker_bar"}
