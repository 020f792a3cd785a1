"""An outside capture tool (lmanage, gzr, sdk-codegen's examples) reads the demo instance
to the end with the plain looker_sdk: every list call it makes first answers, and what the
answers name is there."""

from __future__ import annotations


def test_a_capture_tool_reads_the_demo_instance_to_the_end(demo_sdk):
    sdk = demo_sdk
    users = {u.id: u for u in sdk.all_users()}
    groups = {g.id: g for g in sdk.all_groups()}
    roles = {r.id: r for r in sdk.all_roles()}
    permission_sets = {p.id for p in sdk.all_permission_sets()}
    model_sets = {s.id for s in sdk.all_model_sets()}
    folders = {f.id: f for f in sdk.all_folders()}
    dashboards = sdk.all_dashboards()
    looks = sdk.all_looks()
    boards = sdk.all_boards()
    plans = sdk.all_scheduled_plans(all_users=True)
    models = {x.name for x in sdk.all_lookml_models()}
    assert users and groups and roles and folders and dashboards and looks and boards and plans

    # People: every membership and role names an object the instance lists.
    for user in users.values():
        assert set(user.group_ids or []) <= set(groups)
        assert set(user.role_ids or []) <= set(roles)
        assert user.personal_folder_id in folders
    everyone = next(g for g in groups.values() if g.name == "All Users")
    assert everyone.user_count == len(users)
    for group in groups.values():
        members = sdk.all_group_users(group.id, fields="id")
        assert len(members) == group.user_count
        assert {u.id for u in members} <= set(users)
        assert {g.id for g in sdk.all_group_groups(group.id)} <= set(groups)
    for role in roles.values():
        assert role.permission_set.id in permission_sets
        assert role.model_set.id in model_sets
        assert {g.id for g in sdk.role_groups(role.id)} <= set(groups)

    # Folders and their access, as sdk-codegen's folder_permission_access example walks them
    # (it drops the `lookml` folder by id, so that folder must be listed).
    assert "lookml" in folders
    for folder in folders.values():
        assert folder.parent_id is None or folder.parent_id in folders
        for access in sdk.all_content_metadata_accesses(folder.content_metadata_id):
            assert access.group_id in groups or access.user_id in users
        for child in sdk.all_content_metadatas(parent_id=folder.content_metadata_id):
            assert child.folder_id is None or child.folder_id in folders

    # Content: every dashboard's LookML, as lmanage captures it (LookML dashboards skipped).
    for dash in dashboards:
        assert dash.folder.id in folders
        if "::" in str(dash.id):
            continue
        lookml = sdk.dashboard_lookml(dash.id)
        assert lookml.dashboard_id == dash.id
        assert lookml.lookml.startswith("---\n- dashboard: ")
        assert f"preferred_slug: {dash.slug}" in lookml.lookml
        for plan in sdk.scheduled_plans_for_dashboard(dash.id, all_users=True):
            assert plan.dashboard_id == dash.id
    for look in looks:
        assert look.folder_id in folders
        assert sdk.query(look.query_id).model in models
    dashboard_ids = {d.id for d in dashboards}
    look_ids = {lk.id for lk in looks}
    for board in boards:
        for section in board.board_sections or []:
            for item in section.board_items or []:
                assert item.dashboard_id in dashboard_ids or item.look_id in look_ids
    for plan in plans:
        assert plan.user_id in users
        assert plan.dashboard_id in dashboard_ids or plan.look_id in look_ids


def test_a_capture_tool_reads_user_attributes_and_alerts(demo_sdk):
    sdk = demo_sdk
    attributes = sdk.all_user_attributes()
    names = {a.name for a in attributes}
    assert {"email", "name", "first_name", "last_name", "locale", "id"} <= names
    elements = {
        e.id
        for d in sdk.all_dashboards()
        for e in sdk.dashboard_dashboard_elements(d.id, fields="id")
    }
    users = {u.id for u in sdk.all_users()}
    alerts = sdk.search_alerts(all_owners=True)
    assert alerts  # the demo has alerts: the checks below are not vacuous
    for alert in alerts:
        assert alert.dashboard_element_id in elements
        assert alert.owner_id in users
