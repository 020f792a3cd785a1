"""Dashboards, their tiles, filters, layouts and layout components, as Looker keeps them."""

import pytest
from looker_sdk import error
from looker_sdk.sdk.api40 import models as m

from tests.emulator.sdk_client import configure_model


@pytest.fixture
def dashboard(sdk):
    return sdk.create_dashboard(
        m.WriteDashboard(title="Sales", folder_id="1", description="Weekly")
    )


def test_create_dashboard_answers_the_whole_dashboard(dashboard):
    assert dashboard.id == "1"
    assert dashboard.folder.id == "1"
    assert dashboard.content_metadata_id
    layout = dashboard.dashboard_layouts[0]
    assert (layout.type, layout.active, layout.dashboard_layout_components) == (
        "newspaper",
        True,
        [],
    )


def test_read_only_fields_are_ignored_on_write(sdk):
    body = {
        "title": "T",
        "folder_id": "1",
        "id": "777",
        "view_count": 99,
        "content_metadata_id": "5",
    }
    dash = sdk.create_dashboard(m.WriteDashboard(**{k: body[k] for k in ("title", "folder_id")}))
    raw = sdk.transport.session.post  # the SDK drops read-only fields itself; send them raw too
    assert dash.id != "777"
    response = raw(
        f"{sdk.auth.settings.base_url}/api/4.0/dashboards",
        json={**body, "title": "Raw"},
        headers=sdk.auth.authenticate({}),
    )
    assert response.status_code == 200
    assert response.json()["id"] != "777" and response.json()["view_count"] == 0


def test_a_tile_gets_a_layout_component(sdk, dashboard):
    configure_model(sdk)
    query = sdk.create_query(m.WriteQuery(model="thelook", view="users", fields=["users.count"]))
    element = sdk.create_dashboard_element(
        m.WriteDashboardElement(
            dashboard_id=dashboard.id, type="vis", query_id=query.id, title="Users"
        )
    )
    layout = sdk.dashboard(dashboard.id).dashboard_layouts[0]
    [component] = layout.dashboard_layout_components
    assert component.dashboard_element_id == element.id
    assert component.element_title == "Users"


def test_a_tile_with_an_inline_query_creates_the_query(sdk, dashboard):
    configure_model(sdk)
    element = sdk.create_dashboard_element(
        m.WriteDashboardElement(
            dashboard_id=dashboard.id,
            type="vis",
            query=m.WriteQuery(model="thelook", view="users", fields=["users.id"]),
        )
    )
    assert element.query_id and element.query.fields == ["users.id"]


def test_layout_components_are_positioned_by_patch(sdk, dashboard):
    sdk.create_dashboard_element(
        m.WriteDashboardElement(dashboard_id=dashboard.id, type="text", body_text="hi")
    )
    layout_id = dashboard.dashboard_layouts[0].id
    [component] = sdk.dashboard_layout_dashboard_layout_components(layout_id)
    sdk.update_dashboard_layout_component(
        component.id, m.WriteDashboardLayoutComponent(row=2, column=8, width=16, height=4)
    )
    again = sdk.dashboard_layout_component(component.id)
    assert (again.row, again.column, again.width, again.height) == (2, 8, 16, 4)


def test_deleting_a_tile_removes_its_component(sdk, dashboard):
    element = sdk.create_dashboard_element(
        m.WriteDashboardElement(dashboard_id=dashboard.id, type="text")
    )
    sdk.delete_dashboard_element(element.id)
    assert sdk.dashboard(dashboard.id).dashboard_layouts[0].dashboard_layout_components == []


def test_a_tile_needs_an_existing_dashboard(sdk):
    with pytest.raises(error.SDKError) as exc:
        sdk.create_dashboard_element(m.WriteDashboardElement(dashboard_id="404", type="text"))
    assert (exc.value.errors[0].field, exc.value.errors[0].code) == ("dashboard_id", "missing")


def test_a_filter_needs_its_required_fields(sdk, dashboard, looker_destination):
    response = sdk.transport.session.post(
        f"{looker_destination.base_url}/api/4.0/dashboard_filters",
        json={"dashboard_id": dashboard.id, "name": "Date"},
        headers=sdk.auth.authenticate({}),
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"title", "type"}


def test_filters_are_created_updated_and_deleted(sdk, dashboard):
    dfilter = sdk.create_dashboard_filter(
        m.WriteCreateDashboardFilter(
            dashboard_id=dashboard.id, name="Date", title="Date", type="date_filter"
        )
    )
    sdk.update_dashboard_filter(dfilter.id, m.WriteDashboardFilter(default_value="7 days"))
    assert sdk.dashboard_dashboard_filters(dashboard.id)[0].default_value == "7 days"
    sdk.delete_dashboard_filter(dfilter.id)
    assert sdk.dashboard(dashboard.id).dashboard_filters == []


def test_rule_dashboard_title_unique_in_folder(sdk, dashboard):
    with pytest.raises(error.SDKError) as exc:
        sdk.create_dashboard(m.WriteDashboard(title="Sales", folder_id="1"))
    detail = exc.value.errors[0]
    assert (detail.field, detail.code) == ("[:title, :space_id]", "already_exists")
    assert sdk.create_dashboard(m.WriteDashboard(title="Sales", folder_id="2")).id
    other = sdk.create_dashboard(m.WriteDashboard(title="Other", folder_id="1"))
    with pytest.raises(error.SDKError):
        sdk.update_dashboard(other.id, m.WriteDashboard(title="Sales"))
    assert sdk.dashboard(other.id).title == "Other"


def test_rule_dashboard_title_clash_is_case_sensitive(sdk, dashboard):
    assert sdk.create_dashboard(m.WriteDashboard(title="SALES", folder_id="1")).title == "SALES"


def test_a_missing_folder_is_a_validation_error(sdk):
    with pytest.raises(error.SDKError) as exc:
        sdk.create_dashboard(m.WriteDashboard(title="X", folder_id="999"))
    assert (exc.value.errors[0].field, exc.value.errors[0].code) == ("folder_id", "missing")


def test_soft_delete_hides_the_dashboard_from_lists(sdk, dashboard):
    sdk.update_dashboard(dashboard.id, m.WriteDashboard(deleted=True))
    assert dashboard.id not in [x.id for x in sdk.all_dashboards()]
    assert sdk.search_dashboards(title="Sales") == []
    [trashed] = sdk.search_dashboards(title="Sales", deleted=True)
    assert trashed.deleted and trashed.deleted_at
    assert sdk.dashboard(dashboard.id).deleted is True


def test_a_trashed_title_can_be_reused(sdk, dashboard):
    sdk.update_dashboard(dashboard.id, m.WriteDashboard(deleted=True))
    assert sdk.create_dashboard(m.WriteDashboard(title="Sales", folder_id="1")).id != dashboard.id


def test_hard_delete_removes_the_dashboard_and_its_parts(sdk, dashboard, looker_destination):
    sdk.create_dashboard_element(m.WriteDashboardElement(dashboard_id=dashboard.id, type="text"))
    sdk.delete_dashboard(dashboard.id)
    with pytest.raises(error.SDKError):
        sdk.dashboard(dashboard.id)
    store = looker_destination.store
    assert store.all("dashboard_element") == [] and store.all("dashboard_layout_component") == []


def test_fields_limits_the_answer(sdk, dashboard):
    only = sdk.dashboard(dashboard.id, fields="id,title")
    assert (only.id, only.title, only.description) == (dashboard.id, "Sales", None)


def test_search_matches_titles_with_wildcards_case_insensitively(demo_sdk):
    target = demo_sdk.all_dashboards()[0]
    word = target.title.split()[0]
    found = demo_sdk.search_dashboards(title=f"{word.lower()}%")
    assert target.id in [d.id for d in found]
    assert all(d.title.lower().startswith(word.lower()) for d in found)
    assert target.id in [d.id for d in demo_sdk.search_dashboards(title=target.title.upper())]


def test_copy_and_move_keep_tiles(sdk, dashboard):
    sdk.create_dashboard_element(
        m.WriteDashboardElement(dashboard_id=dashboard.id, type="text", body_text="x")
    )
    copy = sdk.copy_dashboard(dashboard.id, folder_id="1")
    assert copy.title == "Sales (copy)" and len(copy.dashboard_elements) == 1
    moved = sdk.move_dashboard(copy.id, folder_id="2")
    assert moved.folder_id == "2"


def test_a_copy_gets_result_makers_of_its_own(demo_sdk):
    source = next(d for d in demo_sdk.all_dashboards() if d.id == "1")
    original = demo_sdk.dashboard(source.id).dashboard_elements
    copy = demo_sdk.copy_dashboard(source.id, folder_id="1").dashboard_elements
    assert [e.query_id for e in copy] == [e.query_id for e in original]
    makers = {e.result_maker_id for e in original if e.result_maker_id}
    assert makers and not makers & {e.result_maker_id for e in copy}


def test_an_extra_layout_gets_components_for_existing_tiles(sdk, dashboard):
    sdk.create_dashboard_element(m.WriteDashboardElement(dashboard_id=dashboard.id, type="text"))
    layout = sdk.create_dashboard_layout(
        m.WriteDashboardLayout(dashboard_id=dashboard.id, type="static")
    )
    assert layout.active is False and len(layout.dashboard_layout_components) == 1
    sdk.update_dashboard_layout(layout.id, m.WriteDashboardLayout(active=True))
    assert [x.active for x in sdk.dashboard_dashboard_layouts(dashboard.id)] == [False, True]


def test_rule_active_layout_may_be_deleted(sdk, dashboard):
    layout_id = dashboard.dashboard_layouts[0].id
    assert sdk.dashboard_layout(layout_id).active
    sdk.delete_dashboard_layout(layout_id)
    assert sdk.dashboard_dashboard_layouts(dashboard.id) == []


def test_title_uniqueness_follows_a_moved_dashboard(sdk, dashboard):
    sdk.move_dashboard(dashboard.id, folder_id="2")
    assert sdk.create_dashboard(m.WriteDashboard(title="Sales", folder_id="1")).id
    with pytest.raises(error.SDKError):
        sdk.create_dashboard(m.WriteDashboard(title="Sales", folder_id="2"))


def test_a_data_tile_gets_a_result_maker(sdk, dashboard):
    configure_model(sdk)
    element = sdk.create_dashboard_element(
        m.WriteDashboardElement(dashboard_id=dashboard.id, type="vis", query=_users_query())
    )
    text = sdk.create_dashboard_element(
        m.WriteDashboardElement(dashboard_id=dashboard.id, type="text", body_text="hi")
    )
    assert element.result_maker_id and text.result_maker_id is None


def test_a_result_maker_with_a_query_look_or_merge_result_is_refused(sdk, dashboard):
    configure_model(sdk)
    query = sdk.create_query(_users_query())
    for source in ({"query_id": query.id}, {"look_id": "1"}, {"merge_result_id": "1"}):
        with pytest.raises(error.SDKError) as exc:
            sdk.create_dashboard_element(
                m.WriteDashboardElement(
                    dashboard_id=dashboard.id, type="vis", result_maker_id="54", **source
                )
            )
        [problem] = exc.value.errors
        assert problem.field == "result_maker_id"
        assert problem.message == (
            "Query ID, Look ID, and Merge Result ID should not be specified if a"
            " Result Maker ID is provided"
        )
    assert sdk.dashboard_dashboard_elements(dashboard.id) == []


def test_an_update_naming_a_result_maker_and_a_query_is_refused(sdk, dashboard):
    configure_model(sdk)
    query = sdk.create_query(_users_query())
    element = sdk.create_dashboard_element(
        m.WriteDashboardElement(dashboard_id=dashboard.id, type="vis", query_id=query.id)
    )
    with pytest.raises(error.SDKError) as exc:
        sdk.update_dashboard_element(
            element.id,
            m.WriteDashboardElement(result_maker_id=element.result_maker_id, query_id=query.id),
        )
    assert exc.value.errors[0].field == "result_maker_id"
    renamed = sdk.update_dashboard_element(element.id, m.WriteDashboardElement(title="Users"))
    assert renamed.result_maker_id == element.result_maker_id


def _users_query() -> m.WriteQuery:
    return m.WriteQuery(model="thelook", view="users", fields=["users.count"])


def test_rule_unset_nullable_booleans_answer_null(sdk, dashboard):
    # gzr's export of a real dashboard: show_title / show_filters_bar / a query's total
    # null while unset, non-nullable booleans false.
    raw = sdk.transport.session.get(
        f"{sdk.auth.settings.base_url}/api/4.0/dashboards/{dashboard.id}",
        headers=sdk.auth.authenticate({}),
    ).json()
    assert (raw["show_title"], raw["show_filters_bar"]) == (None, None)
    assert (raw["hidden"], raw["crossfilter_enabled"], raw["filters_bar_collapsed"]) == (
        False,
        False,
        False,
    )
    configure_model(sdk)
    unset = sdk.create_query(m.WriteQuery(model="thelook", view="users", fields=["users.id"]))
    assert sdk.query(unset.id).total is None
    off = sdk.create_query(
        m.WriteQuery(model="thelook", view="users", fields=["users.id"], total=False)
    )
    assert sdk.query(off.id).total is False
    shown = sdk.update_dashboard(dashboard.id, m.WriteDashboard(show_title=False))
    assert shown.show_title is False and shown.show_filters_bar is None
