"""Every route the emulator serves, called through the real looker_sdk: each answer
deserialises into the SDK's models (no cattrs errors), and the counters prove each route
was reached."""

import pytest
from looker_sdk.sdk.api40 import models as m

from restoration.emulator.app import API_PREFIX, ROUTES
from tests.emulator.sdk_client import configure_model, sdk_for


def _walk(sdk, emulator) -> None:
    sdk.versions()
    me = sdk.me()
    folder = sdk.create_folder(m.CreateFolder(name="Walk", parent_id="1"))
    child = sdk.create_folder(m.CreateFolder(name="Child", parent_id=folder.id))
    sdk.folder(folder.id)
    sdk.update_folder(child.id, m.UpdateFolder(name="Kid"))
    sdk.all_folders()
    sdk.search_folders(name="walk")
    sdk.folder_children(folder.id)
    sdk.folder_children_search(folder.id, name="kid")
    sdk.folder_parent(child.id)
    sdk.folder_ancestors(child.id)
    sdk.folder_looks(folder.id)
    sdk.folder_dashboards(folder.id)

    cm = folder.content_metadata_id
    sdk.all_content_metadatas(parent_id=sdk.folder("1").content_metadata_id)
    sdk.content_metadata(cm)
    sdk.update_content_metadata(cm, m.WriteContentMeta(inherits=False))
    group = sdk.create_group(m.WriteGroup(name="Walkers"))
    access = sdk.create_content_metadata_access(
        m.ContentMetaGroupUser(
            content_metadata_id=cm, group_id=group.id, permission_type=m.PermissionType.view
        )
    )
    sdk.all_content_metadata_accesses(cm)
    sdk.update_content_metadata_access(
        access.id,
        m.ContentMetaGroupUser(
            content_metadata_id=cm, group_id=group.id, permission_type=m.PermissionType.edit
        ),
    )
    sdk.delete_content_metadata_access(access.id)

    configure_model(sdk)
    query = sdk.create_query(m.WriteQuery(model="thelook", view="users", fields=["users.count"]))
    sdk.query(query.id)
    sdk.query_for_slug(query.slug)
    look = sdk.create_look(
        m.WriteLookWithQuery(title="Walk look", folder_id=folder.id, query_id=query.id)
    )
    sdk.all_looks()
    sdk.search_looks(title="walk%")
    sdk.look(look.id)
    sdk.update_look(look.id, m.WriteLookWithQuery(description="d"))
    look_copy = sdk.copy_look(look.id, folder_id="1")
    sdk.move_look(look_copy.id, folder_id=child.id)

    dash = sdk.create_dashboard(m.WriteDashboard(title="Walk dash", folder_id=folder.id))
    sdk.all_dashboards()
    sdk.search_dashboards(title="walk%")
    sdk.dashboard(dash.id)
    sdk.update_dashboard(dash.id, m.WriteDashboard(description="d"))
    element = sdk.create_dashboard_element(
        m.WriteDashboardElement(dashboard_id=dash.id, type="vis", look_id=look.id)
    )
    sdk.search_dashboard_elements(dashboard_id=dash.id)
    sdk.dashboard_element(element.id)
    sdk.update_dashboard_element(element.id, m.WriteDashboardElement(title="t"))
    sdk.dashboard_dashboard_elements(dash.id)
    merge = sdk.create_merge_query(
        m.WriteMergeQuery(
            source_queries=[m.MergeQuerySourceQuery(query_id=look.query_id, name="walk")]
        )
    )
    sdk.merge_query(merge.id)
    dfilter = sdk.create_dashboard_filter(
        m.WriteCreateDashboardFilter(dashboard_id=dash.id, name="f", title="F", type="field_filter")
    )
    sdk.dashboard_filter(dfilter.id)
    sdk.update_dashboard_filter(dfilter.id, m.WriteDashboardFilter(title="G"))
    sdk.dashboard_dashboard_filters(dash.id)
    [layout] = sdk.dashboard_dashboard_layouts(dash.id)
    extra = sdk.create_dashboard_layout(m.WriteDashboardLayout(dashboard_id=dash.id))
    sdk.dashboard_layout(extra.id)
    sdk.update_dashboard_layout(extra.id, m.WriteDashboardLayout(width=100))
    [component] = sdk.dashboard_layout_dashboard_layout_components(layout.id)
    sdk.dashboard_layout_component(component.id)
    sdk.update_dashboard_layout_component(component.id, m.WriteDashboardLayoutComponent(width=12))
    sdk.delete_dashboard_layout(extra.id)
    dash_copy = sdk.copy_dashboard(dash.id, folder_id="1")
    sdk.move_dashboard(dash_copy.id, folder_id=child.id)
    lookml = sdk.dashboard_lookml(dash.id).lookml
    imported = sdk.import_dashboard_from_lookml(
        m.WriteDashboardLookml(lookml=lookml.replace("preferred_slug: ", "preferred_slug: x"))
    )
    sdk.delete_dashboard(imported.id)

    board = sdk.create_board(m.WriteBoard(title="Walk board"))
    section = sdk.create_board_section(m.WriteBoardSection(board_id=board.id))
    item = sdk.create_board_item(m.WriteBoardItem(board_section_id=section.id, look_id=look.id))
    sdk.all_boards()
    sdk.search_boards(title="walk%")
    sdk.board(board.id)
    sdk.update_board(board.id, m.WriteBoard(description="d"))
    sdk.all_board_sections()
    sdk.board_section(section.id)
    sdk.update_board_section(section.id, m.WriteBoardSection(title="s"))
    sdk.all_board_items(board_section_id=section.id)
    sdk.board_item(item.id)
    sdk.update_board_item(item.id, m.WriteBoardItem(order=1))

    plan = sdk.create_scheduled_plan(
        m.WriteScheduledPlan(
            name="Walk plan",
            look_id=look.id,
            require_results=True,
            require_no_results=False,
            require_change=False,
            crontab="0 6 * * *",
            scheduled_plan_destination=[
                m.ScheduledPlanDestination(type="email", format="csv", address="w@example.com")
            ],
        )
    )
    sdk.all_scheduled_plans()
    sdk.search_scheduled_plans(name="walk%")
    sdk.scheduled_plan(plan.id)
    sdk.update_scheduled_plan(plan.id, m.WriteScheduledPlan(enabled=False))
    sdk.scheduled_plans_for_look(look.id)
    sdk.scheduled_plans_for_dashboard(dash.id)
    sdk.scheduled_plans_for_lookml_dashboard("thelook::walk")
    sdk.scheduled_plans_for_space(folder.id)

    user = sdk.create_user(m.WriteUser(first_name="Walk", last_name="Er"))
    sdk.all_users(ids=m.DelimSequence([user.id]))
    sdk.search_users(first_name="walk")
    sdk.user(user.id)
    sdk.update_user(user.id, m.WriteUser(locale="fr"))
    sdk.create_user_credentials_email(user.id, m.WriteCredentialsEmail(email="walk@example.com"))
    sdk.user_credentials_email(user.id)
    sdk.user_for_credential("email", "walk@example.com")
    sdk.search_users_names("walk%")
    sdk.update_user_credentials_email(user.id, m.WriteCredentialsEmail(email="walker@example.com"))
    sdk.delete_user_credentials_email(user.id)
    inner = sdk.create_group(m.WriteGroup(name="Inner walkers"))
    sdk.all_groups()
    sdk.search_groups(name="walk%")
    sdk.group(group.id)
    sdk.update_group(group.id, m.WriteGroup(name="Walkers 2"))
    sdk.add_group_user(group.id, m.GroupIdForGroupUserInclusion(user_id=user.id))
    sdk.all_group_users(group.id)
    sdk.delete_group_user(group.id, user.id)
    sdk.add_group_group(group.id, m.GroupIdForGroupInclusion(group_id=inner.id))
    sdk.all_group_groups(group.id)
    sdk.delete_group_from_group(group.id, inner.id)
    pset = sdk.create_permission_set(
        m.WritePermissionSet(name="Walk perms", permissions=["see_looks"])
    )
    mset = sdk.create_model_set(m.WriteModelSet(name="Walk models", models=["thelook"]))
    sdk.all_permission_sets()
    sdk.search_permission_sets(name="walk%")
    sdk.permission_set(pset.id)
    sdk.update_permission_set(pset.id, m.WritePermissionSet(permissions=["see_looks", "explore"]))
    sdk.all_model_sets()
    sdk.search_model_sets(name="walk%")
    sdk.model_set(mset.id)
    sdk.update_model_set(mset.id, m.WriteModelSet(models=["faa"]))
    sdk.all_permissions()
    role = sdk.create_role(
        m.WriteRole(name="Walk role", permission_set_id=pset.id, model_set_id=mset.id)
    )
    sdk.all_roles()
    sdk.search_roles(name="walk%")
    sdk.role(role.id)
    sdk.update_role(role.id, m.WriteRole(name="Walk role 2"))
    sdk.set_role_groups(role.id, [group.id])
    sdk.role_groups(role.id)
    sdk.set_role_users(role.id, [user.id])
    sdk.role_users(role.id)
    sdk.set_user_roles(user.id, [role.id])
    sdk.user_roles(user.id)

    sdk.create_lookml_model(
        m.WriteLookmlModel(
            name="walk", project_name="walk", allowed_db_connection_names=["thelook"]
        )
    )
    sdk.all_lookml_models()
    sdk.lookml_model("walk")
    sdk.update_lookml_model("walk", m.WriteLookmlModel(unlimited_db_connections=True))
    emulator.set_projects({"walk": {"walk": ["users"]}})  # explores come from deployed LookML
    sdk.lookml_model_explore("walk", "users")
    sdk.all_connections()
    sdk.connection("thelook")

    sdk.delete_scheduled_plan(plan.id)
    sdk.delete_board_item(item.id)
    sdk.delete_board_section(section.id)
    sdk.delete_board(board.id)
    sdk.delete_dashboard_filter(dfilter.id)
    sdk.delete_dashboard_element(element.id)
    sdk.delete_dashboard(dash.id)
    sdk.delete_look(look.id)
    sdk.delete_role(role.id)
    sdk.delete_permission_set(pset.id)
    sdk.delete_model_set(mset.id)
    sdk.delete_group(group.id)
    sdk.delete_user(user.id)
    sdk.delete_lookml_model("walk")
    sdk.delete_folder(folder.id)
    assert me.id == "1"
    sdk.logout()


def _walk_alerts_and_user_attributes(sdk) -> None:
    dash = sdk.create_dashboard(m.WriteDashboard(title="Alerting", folder_id="1"))
    tile = sdk.create_dashboard_element(m.WriteDashboardElement(dashboard_id=dash.id, type="text"))
    body = {
        "dashboard_element_id": tile.id,
        "cron": "0 5 * * *",
        "comparison_type": "LESS_THAN",
        "threshold": 10,
        "field": {"title": "Count", "name": "orders.count"},
        "destinations": [{"destination_type": "EMAIL", "email_address": "ops@example.com"}],
    }
    # looker-sdk 26.12's create_alert/update_alert cannot serialise nested models.
    alert = sdk.post("/alerts", m.Alert, body=body)
    sdk.search_alerts(all_owners=True)
    sdk.get_alert(alert.id)
    sdk.put(f"/alerts/{alert.id}", m.Alert, body={**body, "owner_id": alert.owner_id})
    sdk.update_alert_field(alert.id, m.AlertPatch(is_disabled=True))
    sdk.follow_alert(alert.id)
    sdk.unfollow_alert(alert.id)
    sdk.delete_alert(alert.id)

    user = sdk.create_user(m.WriteUser(first_name="Attr", last_name="Walker"))
    group = sdk.create_group(m.WriteGroup(name="Attr walkers"))
    attr = sdk.create_user_attribute(m.WriteUserAttribute(name="zone", label="Zone", type="string"))
    sdk.all_user_attributes()
    sdk.user_attribute(attr.id)
    sdk.update_user_attribute(
        attr.id, m.WriteUserAttribute(name="zone", label="Zone", type="string", default_value="n")
    )
    sdk.set_user_attribute_group_values(
        attr.id, [m.UserAttributeGroupValue(group_id=group.id, value="s")]
    )
    sdk.all_user_attribute_group_values(attr.id)
    sdk.update_user_attribute_group_value(group.id, attr.id, m.UserAttributeGroupValue(value="e"))
    sdk.delete_user_attribute_group_value(group.id, attr.id)
    sdk.set_user_attribute_user_value(user.id, attr.id, m.WriteUserAttributeWithValue(value="w"))
    sdk.user_attribute_user_values(user.id, all_values=True)
    sdk.delete_user_attribute_user_value(user.id, attr.id)
    sdk.delete_user_attribute(attr.id)
    sdk.login_user(user.id)


@pytest.mark.slow  # ~150 SDK calls; the SDK's cattrs structuring costs most of the time
def test_the_sdk_reaches_every_route(looker_destination):
    _walk_alerts_and_user_attributes(sdk_for(looker_destination))
    _walk(sdk_for(looker_destination), looker_destination)
    called = set(looker_destination.counters()["calls"])
    expected = {f"{r.verb} {API_PREFIX}{r.template}" for r in ROUTES}
    assert sorted(expected - called) == []
