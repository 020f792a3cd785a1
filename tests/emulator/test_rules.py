"""One test per rule of restoration/emulator/EVIDENCE.md, named after it, through the real
SDK.  Every rejected call is also checked to leave the emulator's objects unchanged."""

from __future__ import annotations

import json

import pytest
import requests
from looker_sdk import error
from looker_sdk.sdk.api40 import models as m

from tests.emulator.sdk_client import configure_model, sdk_for


def _state(emulator) -> str:
    with emulator.store.lock:
        tables = {kind: rows for kind, rows in emulator.store.tables.items() if rows}
        return json.dumps(tables, sort_keys=True, default=str)


def rejected(emulator, call, status: int, field: str | None = None) -> error.SDKError:
    """`call()` fails with `status` (and a 422 naming `field`; a 409 has Looker's conflict
    body, no field errors), and changes nothing."""
    before = _state(emulator)
    with pytest.raises(error.SDKError) as exc:
        call()
    assert f"/{status}/" in exc.value.documentation_url, str(exc.value)
    if status == 409:
        assert exc.value.message == "The resource already exists." and not exc.value.errors
    elif field is not None:
        assert field in [e.field for e in exc.value.errors]
    assert _state(emulator) == before
    return exc.value


@pytest.fixture
def emu(looker_destination):
    return looker_destination


@pytest.fixture
def api(emu):
    sdk = sdk_for(emu)
    configure_model(sdk)
    return sdk


def _query(api, **kw):
    return api.create_query(
        m.WriteQuery(model="thelook", view="users", fields=["users.count"], **kw)
    )


def _dashboard(api, title="Sales", folder_id="1"):
    return api.create_dashboard(m.WriteDashboard(title=title, folder_id=folder_id))


def _look(api, title="Users", folder_id="1"):
    return api.create_look(
        m.WriteLookWithQuery(title=title, folder_id=folder_id, query_id=_query(api).id)
    )


def _email(address="a@example.com", fmt="csv"):
    return m.ScheduledPlanDestination(type="email", format=fmt, address=address)


def _look_plan(look_id, **kw):
    body = {
        "name": "Daily",
        "look_id": look_id,
        "crontab": "0 6 * * *",
        "require_results": True,
        "require_no_results": False,
        "require_change": False,
        "scheduled_plan_destination": [_email()],
    }
    return m.WriteScheduledPlan(**{**body, **kw})


# --- errors, login, routing ----------------------------------------------------------


def test_rule_unknown_id_is_404(api, emu):
    exc = rejected(emu, lambda: api.dashboard("424242"), 404)
    assert exc.message == "Not found"


def test_rule_bad_credentials_are_404(emu):
    answer = requests.post(
        f"{emu.base_url}/api/4.0/login", data={"client_id": "x", "client_secret": "y"}
    )
    assert (answer.status_code, answer.json()["message"]) == (404, "Not found")


def test_rule_login_without_credentials_is_400(emu):
    assert requests.post(f"{emu.base_url}/api/4.0/login").status_code == 400


def test_rule_missing_token_is_401(emu):
    answer = requests.get(f"{emu.base_url}/api/4.0/folders")
    assert (answer.status_code, answer.json()["message"]) == (401, "Requires authentication.")


def test_rule_validation_error_shape(api, emu):
    exc = rejected(emu, lambda: api.create_folder(m.CreateFolder(name="x", parent_id="999")), 422)
    assert exc.message == "Validation Failed"
    detail = exc.errors[0]
    assert (detail.field, detail.code) == ("parent_id", "missing")
    assert detail.documentation_url.endswith("/422/post/folders")


def test_rule_malformed_json_is_400(api, emu):
    token = api.auth.token.access_token
    before = _state(emu)
    for raw in (b"{not json", b"[1, 2]"):
        answer = requests.post(
            f"{emu.base_url}/api/4.0/folders",
            data=raw,
            headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
        )
        assert answer.status_code == 400 and answer.json()["message"]
    assert _state(emu) == before


def test_rule_wrong_type_is_422(api, emu):
    token = api.auth.token.access_token
    answer = requests.post(
        f"{emu.base_url}/api/4.0/dashboards",
        json={"title": ["not", "a", "string"], "folder_id": "1"},
        headers={"Authorization": f"token {token}"},
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "title"


def test_rule_boolean_parameters_take_true_or_false(api, emu):
    rejected(emu, lambda: api.search_dashboards(title="x", deleted="maybe"), 400)


def test_rule_wrong_verb_is_405(api, emu):
    token = api.auth.token.access_token
    answer = requests.put(
        f"{emu.base_url}/api/4.0/dashboards/1", json={}, headers={"Authorization": f"token {token}"}
    )
    assert answer.status_code == 405


def test_rule_unknown_path_is_404(api, emu):
    token = api.auth.token.access_token
    answer = requests.get(
        f"{emu.base_url}/api/4.0/no_such_things", headers={"Authorization": f"token {token}"}
    )
    assert answer.status_code == 404


def test_rule_not_emulated_operation_is_501(api, emu):
    exc = rejected(emu, lambda: api.all_themes(), 501)
    assert exc.message == "not emulated: all_themes"


def test_rule_references_must_exist(api, emu):
    rejected(emu, lambda: _dashboard(api, folder_id="999"), 422, "folder_id")
    rejected(
        emu,
        lambda: api.create_look(m.WriteLookWithQuery(title="x", folder_id="1", query_id="999")),
        422,
        "query_id",
    )


def test_rule_required_fields_are_422_missing(api, emu):
    rejected(emu, lambda: api.create_dashboard(m.WriteDashboard(folder_id="1")), 422, "title")
    rejected(emu, lambda: api.create_group(m.WriteGroup()), 422, "name")
    dash = _dashboard(api)
    rejected(
        emu,
        lambda: api.create_dashboard_filter(
            m.WriteCreateDashboardFilter(dashboard_id=dash.id, name="f", title="F", type="")
        ),
        422,
        "type",
    )


# --- folders and content access ------------------------------------------------------


def test_rule_folder_parent_must_exist(api, emu):
    rejected(emu, lambda: api.create_folder(m.CreateFolder(name="x", parent_id="999")), 422)


def test_rule_folder_cannot_move_into_itself(api, emu):
    top = api.create_folder(m.CreateFolder(name="Top", parent_id="1"))
    sub = api.create_folder(m.CreateFolder(name="Sub", parent_id=top.id))
    rejected(emu, lambda: api.update_folder(top.id, m.UpdateFolder(parent_id=sub.id)), 422)
    rejected(emu, lambda: api.update_folder(top.id, m.UpdateFolder(name="")), 422, "name")


def test_rule_root_and_personal_folders_cannot_be_deleted(api, emu):
    personal = api.me().personal_folder_id
    for folder_id in ("1", "2", personal):
        rejected(emu, lambda folder_id=folder_id: api.delete_folder(folder_id), 422)


def test_rule_deleting_a_folder_deletes_its_content(api, emu):
    top = api.create_folder(m.CreateFolder(name="Top", parent_id="1"))
    sub = api.create_folder(m.CreateFolder(name="Sub", parent_id=top.id))
    dash, look = _dashboard(api, folder_id=sub.id), _look(api, folder_id=sub.id)
    api.delete_folder(top.id)
    rejected(emu, lambda: api.dashboard(dash.id), 404)
    rejected(emu, lambda: api.look(look.id), 404)
    rejected(emu, lambda: api.folder(sub.id), 404)


def test_rule_inherits_false_copies_parent_access(api, emu):
    group = api.create_group(m.WriteGroup(name="Finance"))
    top = api.create_folder(m.CreateFolder(name="Top", parent_id="1"))
    sub = api.create_folder(m.CreateFolder(name="Sub", parent_id=top.id))
    api.update_content_metadata(top.content_metadata_id, m.WriteContentMeta(inherits=False))
    api.create_content_metadata_access(
        m.ContentMetaGroupUser(
            content_metadata_id=top.content_metadata_id, group_id=group.id, permission_type="edit"
        )
    )
    api.update_content_metadata(sub.content_metadata_id, m.WriteContentMeta(inherits=False))
    rows = api.all_content_metadata_accesses(sub.content_metadata_id)
    # Top copied Shared's rows (All Users, group 1: edit), then got Finance's; Sub copies both.
    assert [(r.group_id, r.permission_type.value) for r in rows] == [
        ("1", "edit"),
        (group.id, "edit"),
    ]
    assert api.content_metadata(sub.content_metadata_id).inherits is False


def test_rule_only_folders_and_boards_stop_inheriting(api, emu):
    dash = _dashboard(api)
    rejected(
        emu,
        lambda: api.update_content_metadata(
            dash.content_metadata_id, m.WriteContentMeta(inherits=False)
        ),
        422,
        "inherits",
    )
    board = api.create_board(m.WriteBoard(title="Home"))
    api.update_content_metadata(board.content_metadata_id, m.WriteContentMeta(inherits=False))


def test_rule_access_names_a_group_or_user(api, emu):
    folder = api.folder("1")
    rejected(
        emu,
        lambda: api.create_content_metadata_access(
            m.ContentMetaGroupUser(content_metadata_id=folder.content_metadata_id)
        ),
        422,
        "group_id",
    )


def test_rule_access_row_once_per_group_or_user(api, emu):
    group = api.create_group(m.WriteGroup(name="Finance"))
    body = m.ContentMetaGroupUser(
        content_metadata_id=api.folder("1").content_metadata_id, group_id=group.id
    )
    api.create_content_metadata_access(body)
    rejected(emu, lambda: api.create_content_metadata_access(body), 409)


def test_rule_content_metadata_lists_need_their_parent(api, emu):
    token = api.auth.token.access_token
    for path in ("content_metadata", "content_metadata_access"):
        answer = requests.get(
            f"{emu.base_url}/api/4.0/{path}", headers={"Authorization": f"token {token}"}
        )
        assert answer.status_code == 400


# --- users and groups ----------------------------------------------------------------


def test_rule_user_email_unique(api, emu):
    first = api.create_user(
        m.WriteUser(credentials_email=m.WriteCredentialsEmail(email="a@example.com"))
    )
    rejected(
        emu,
        lambda: api.create_user(
            m.WriteUser(credentials_email=m.WriteCredentialsEmail(email="A@example.com"))
        ),
        409,
    )
    # The address's form is not checked (no evidence of what Looker accepts).
    odd = api.create_user(
        m.WriteUser(credentials_email=m.WriteCredentialsEmail(email="not-an-email"))
    )
    assert odd.email == "not-an-email"
    other = api.create_user(m.WriteUser(first_name="Bo"))
    taken = m.WriteCredentialsEmail(email="a@example.com")
    rejected(emu, lambda: api.create_user_credentials_email(other.id, taken), 409)
    # An update declares no 409 in the spec: a clash there is a 422 on `email`.
    api.create_user_credentials_email(other.id, m.WriteCredentialsEmail(email="b@example.com"))
    rejected(emu, lambda: api.update_user_credentials_email(other.id, taken), 422, "email")
    assert api.user(first.id).email == "a@example.com"


def test_rule_credentials_email_after_nested_create_is_accepted(api, emu):
    user = api.create_user(
        m.WriteUser(first_name="Ann", credentials_email=m.WriteCredentialsEmail(email="a@x.com"))
    )
    creds = api.create_user_credentials_email(user.id, m.WriteCredentialsEmail(email="b@x.com"))
    assert creds.email == "b@x.com"
    assert api.user(user.id).email == "b@x.com"


def test_rule_every_user_has_a_personal_folder(api, emu):
    user = api.create_user(m.WriteUser(first_name="Ann", last_name="Lee"))
    folder = api.folder(user.personal_folder_id)
    assert (folder.name, folder.parent_id, folder.is_personal) == ("Ann Lee", "2", True)


def test_rule_deleting_a_user_deletes_their_personal_folder(api, emu):
    user = api.create_user(m.WriteUser(first_name="Ann"))
    api.delete_user(user.id)
    rejected(emu, lambda: api.folder(user.personal_folder_id), 404)


def test_rule_user_cannot_delete_themself(api, emu):
    rejected(emu, lambda: api.delete_user(api.me().id), 403)


def test_rule_missing_email_credentials_are_404(api, emu):
    user = api.create_user(m.WriteUser(first_name="Ann"))
    rejected(emu, lambda: api.user_credentials_email(user.id), 404)
    rejected(emu, lambda: api.delete_user_credentials_email(user.id), 404)


def test_rule_group_cannot_contain_itself(api, emu):
    outer = api.create_group(m.WriteGroup(name="Outer"))
    inner = api.create_group(m.WriteGroup(name="Inner"))
    api.add_group_group(outer.id, m.GroupIdForGroupInclusion(group_id=inner.id))
    rejected(
        emu,
        lambda: api.add_group_group(inner.id, m.GroupIdForGroupInclusion(group_id=outer.id)),
        400,
    )


def test_rule_group_membership_needs_an_existing_member(api, emu):
    group = api.create_group(m.WriteGroup(name="Finance"))
    rejected(
        emu,
        lambda: api.add_group_user(group.id, m.GroupIdForGroupUserInclusion(user_id="999")),
        404,
    )
    rejected(emu, lambda: api.delete_group_user(group.id, "1"), 404)


# --- roles and sets ------------------------------------------------------------------


def test_rule_permissions_must_be_known(api, emu):
    rejected(
        emu,
        lambda: api.create_permission_set(
            m.WritePermissionSet(name="P", permissions=["access_data", "fly"])
        ),
        422,
        "permissions",
    )


def test_rule_built_ins_cannot_be_changed(api, emu):
    rejected(emu, lambda: api.delete_role("1"), 405)
    rejected(emu, lambda: api.update_permission_set("1", m.WritePermissionSet(name="x")), 405)


def test_rule_set_in_use_cannot_be_deleted(api, emu):
    ps = api.create_permission_set(m.WritePermissionSet(name="P", permissions=["access_data"]))
    ms = api.create_model_set(m.WriteModelSet(name="M", models=["thelook"]))
    api.create_role(m.WriteRole(name="R", permission_set_id=ps.id, model_set_id=ms.id))
    rejected(emu, lambda: api.delete_permission_set(ps.id), 405)
    rejected(emu, lambda: api.delete_model_set(ms.id), 405)


def test_rule_role_and_set_names_unique(api, emu):
    ms = api.create_model_set(m.WriteModelSet(name="M", models=[]))
    rejected(emu, lambda: api.create_model_set(m.WriteModelSet(name="M")), 409)
    assert api.create_model_set(m.WriteModelSet(name="m")).name == "m"
    ps = api.create_permission_set(m.WritePermissionSet(name="P", permissions=["access_data"]))
    rejected(emu, lambda: api.create_permission_set(m.WritePermissionSet(name="P")), 409)
    role = api.create_role(m.WriteRole(name="R", model_set_id=ms.id, permission_set_id=ps.id))
    rejected(emu, lambda: api.create_role(m.WriteRole(name="R")), 409)
    # Renaming onto a taken name: updates declare no 409, so 422 `already_exists`.
    other = api.create_role(m.WriteRole(name="S"))
    rejected(emu, lambda: api.update_role(other.id, m.WriteRole(name=role.name)), 422, "name")


def test_rule_role_assignment_ids_must_exist(api, emu):
    user = api.create_user(m.WriteUser(first_name="Ann"))
    rejected(emu, lambda: api.set_user_roles(user.id, ["999"]), 422, "role_ids")


# --- LookML models, queries ----------------------------------------------------------


def test_rule_model_name_format(api, emu):
    rejected(emu, lambda: api.create_lookml_model(m.WriteLookmlModel(name="Bad-Name")), 422)


def test_rule_model_name_unique(api, emu):
    rejected(emu, lambda: api.create_lookml_model(m.WriteLookmlModel(name="thelook")), 409)


def test_rule_model_connections_are_not_checked(api, emu):
    api.create_lookml_model(m.WriteLookmlModel(name="other", allowed_db_connection_names=["x"]))
    api.update_lookml_model("other", m.WriteLookmlModel(allowed_db_connection_names=["y"]))
    assert api.lookml_model("other").allowed_db_connection_names == ["y"]


def test_rule_model_cannot_be_renamed(api, emu):
    rejected(emu, lambda: api.update_lookml_model("thelook", m.WriteLookmlModel(name="x")), 422)


def test_rule_model_may_precede_its_project(api, emu):
    model = api.create_lookml_model(m.WriteLookmlModel(name="future", project_name="future"))
    assert (model.name, model.has_content) == ("future", False)


def test_rule_unknown_explore_is_404(api, emu):
    rejected(emu, lambda: api.lookml_model_explore("thelook", "nothing"), 404)


def test_rule_query_needs_a_configured_model_and_explore(api, emu):
    rejected(emu, lambda: api.create_query(m.WriteQuery(model="nope", view="users")), 404)
    rejected(emu, lambda: api.create_query(m.WriteQuery(model="thelook", view="nope")), 404)


def test_rule_identical_query_answers_the_existing_one(api, emu):
    assert _query(api).id == _query(api).id


def test_rule_rejected_calls_change_nothing(api, emu):
    """A nested query is not created when the rest of its Look or tile is refused."""
    query = m.WriteQuery(model="thelook", view="users", fields=["users.id"])
    rejected(
        emu,
        lambda: api.create_look(m.WriteLookWithQuery(title="x", folder_id="999", query=query)),
        422,
    )
    dash = _dashboard(api)
    rejected(
        emu,
        lambda: api.create_dashboard_element(
            m.WriteDashboardElement(dashboard_id=dash.id, look_id="999", query=query)
        ),
        422,
    )


# --- Looks and dashboards ------------------------------------------------------------


def test_rule_soft_deleted_content_is_hidden_from_lists(api, emu):
    look, dash = _look(api), _dashboard(api)
    api.update_look(look.id, m.WriteLookWithQuery(deleted=True))
    api.update_dashboard(dash.id, m.WriteDashboard(deleted=True))
    assert api.all_looks() == [] and api.search_looks(title="Users") == []
    assert api.all_dashboards() == [] and api.search_dashboards(title="Sales") == []
    assert [x.id for x in api.search_looks(deleted=True)] == [look.id]
    assert [x.id for x in api.search_dashboards(deleted="true")] == [dash.id]


def test_rule_copy_and_move_need_an_existing_folder(api, emu):
    look, dash = _look(api), _dashboard(api)
    rejected(emu, lambda: api.move_look(look.id, folder_id="999"), 422, "folder_id")
    rejected(emu, lambda: api.copy_dashboard(dash.id, folder_id="999"), 422, "folder_id")


def test_rule_dashboard_slug_unique(api, emu):
    dash = _dashboard(api)
    rejected(
        emu,
        lambda: api.create_dashboard(m.WriteDashboard(title="B", folder_id="1", slug=dash.slug)),
        409,
    )
    other = _dashboard(api, title="Other")
    rejected(emu, lambda: api.update_dashboard(other.id, m.WriteDashboard(slug=dash.slug)), 409)
    api.update_dashboard(dash.id, m.WriteDashboard(deleted=True))  # trashed: keeps its slug
    rejected(
        emu,
        lambda: api.create_dashboard(m.WriteDashboard(title="B", folder_id="1", slug=dash.slug)),
        409,
    )


def test_rule_result_maker_id_excludes_query_look_merge(api, emu):
    dash = _dashboard(api)
    tile = api.create_dashboard_element(
        m.WriteDashboardElement(dashboard_id=dash.id, type="vis", query_id=_query(api).id)
    )
    assert tile.result_maker_id
    rejected(
        emu,
        lambda: api.create_dashboard_element(
            m.WriteDashboardElement(
                dashboard_id=dash.id, result_maker_id=tile.result_maker_id, query_id=tile.query_id
            )
        ),
        422,
        "result_maker_id",
    )


def test_rule_parts_stay_on_their_dashboard(api, emu):
    one, two = _dashboard(api, "One"), _dashboard(api, "Two")
    tile = api.create_dashboard_element(m.WriteDashboardElement(dashboard_id=one.id, type="text"))
    rejected(
        emu,
        lambda: api.update_dashboard_element(tile.id, m.WriteDashboardElement(dashboard_id=two.id)),
        422,
        "dashboard_id",
    )
    layout = one.dashboard_layouts[0]
    rejected(
        emu,
        lambda: api.update_dashboard_layout(layout.id, m.WriteDashboardLayout(dashboard_id=two.id)),
        422,
        "dashboard_id",
    )


def test_rule_a_clash_answered_409_has_lookers_conflict_body(api, emu):
    token = api.auth.token.access_token
    group = api.create_group(m.WriteGroup(name="Finance"))
    user = api.create_user(m.WriteUser(first_name="Al"))
    api.create_user_credentials_email(user.id, m.WriteCredentialsEmail(email="al@example.com"))
    other = api.create_user(m.WriteUser(first_name="Bo"))
    meta = api.folder("1").content_metadata_id
    api.create_content_metadata_access(
        m.ContentMetaGroupUser(content_metadata_id=meta, group_id=group.id)
    )
    dash = _dashboard(api)
    api.create_dashboard_filter(
        m.WriteCreateDashboardFilter(dashboard_id=dash.id, name="d", title="D", type="date")
    )
    api.create_lookml_model(m.WriteLookmlModel(name="sales"))
    clashes = [
        ("groups", {"name": "Finance"}),
        ("users", {"credentials_email": {"email": "AL@example.com"}}),
        (f"users/{other.id}/credentials_email", {"email": "al@example.com"}),
        ("content_metadata_access", {"content_metadata_id": meta, "group_id": group.id}),
        ("dashboard_filters", {"dashboard_id": dash.id, "name": "d", "title": "E", "type": "x"}),
        ("lookml_models", {"name": "sales"}),
        ("dashboards", {"title": "Other", "folder_id": "1", "slug": dash.slug}),
    ]
    before = _state(emu)
    for path, body in clashes:
        answer = requests.post(
            f"{emu.base_url}/api/4.0/{path}",
            json=body,
            headers={"Authorization": f"token {token}"},
        )
        assert answer.status_code == 409, (path, answer.text)
        template = path.replace(f"users/{other.id}/", "users/:user_id/")
        assert answer.json() == {
            "message": "The resource already exists.",
            "documentation_url": f"https://cloud.google.com/looker/docs/r/err/4.0/409/post/{template}",
        }
    assert _state(emu) == before


def test_rule_clash_status_can_be_switched_per_operation(api, emu):
    """The test switch (`answer_clashes_with`): the same clash answered 422 or 409 as a test
    asks, per operation, so the engine's tests can show it copes with both."""
    api.create_group(m.WriteGroup(name="Ops"))
    emu.answer_clashes_with(422, "create_group")
    rejected(emu, lambda: api.create_group(m.WriteGroup(name="Ops")), 422, "name")
    dash = _dashboard(api)
    emu.answer_clashes_with(409, "create_dashboard")
    rejected(emu, lambda: _dashboard(api), 409)  # title clash, evidenced as 422
    assert emu.counters()["clashes"] == {
        "422 POST /api/4.0/groups": 1,
        "409 POST /api/4.0/dashboards": 1,
    }
    emu.set_faults(clear=True)
    rejected(emu, lambda: api.create_group(m.WriteGroup(name="Ops")), 409)
    rejected(emu, lambda: _dashboard(api, title=dash.title), 422, "[:title, :space_id]")
    with pytest.raises(ValueError, match="409 or 422"):
        emu.answer_clashes_with(400, "create_group")


def test_rule_filter_name_unique_on_dashboard(api, emu):
    dash = _dashboard(api)
    body = m.WriteCreateDashboardFilter(
        dashboard_id=dash.id, name="date", title="Date", type="field_filter"
    )
    api.create_dashboard_filter(body)
    rejected(emu, lambda: api.create_dashboard_filter(body), 409)


def test_rule_layout_component_sizes(api, emu):
    dash = _dashboard(api)
    api.create_dashboard_element(m.WriteDashboardElement(dashboard_id=dash.id, type="text"))
    layout = api.dashboard_dashboard_layouts(dash.id)[0]
    component = layout.dashboard_layout_components[0]
    rejected(
        emu,
        lambda: api.update_dashboard_layout_component(
            component.id, m.WriteDashboardLayoutComponent(dashboard_layout_id="999")
        ),
        422,
        "dashboard_layout_id",
    )
    # Sizes are not checked (no evidence either way): a negative one is stored as sent.
    moved = api.update_dashboard_layout_component(
        component.id, m.WriteDashboardLayoutComponent(width=-1, row=3)
    )
    assert (moved.width, moved.row) == (-1, 3)


def test_rule_new_tiles_join_every_layout(api, emu):
    dash = _dashboard(api)
    extra = api.create_dashboard_layout(m.WriteDashboardLayout(dashboard_id=dash.id))
    tile = api.create_dashboard_element(m.WriteDashboardElement(dashboard_id=dash.id, type="text"))
    for layout in api.dashboard_dashboard_layouts(dash.id):
        assert [c.dashboard_element_id for c in layout.dashboard_layout_components] == [tile.id]
    assert [lay.active for lay in api.dashboard_dashboard_layouts(dash.id)] == [True, False]
    assert extra.id


# --- boards --------------------------------------------------------------------------


def test_rule_new_board_order_names_no_ids(api, emu):
    rejected(
        emu,
        lambda: api.create_board(m.WriteBoard(title="Home", section_order=["7"])),
        422,
        "section_order",
    )
    board = api.create_board(m.WriteBoard(title="Home"))
    rejected(emu, lambda: api.update_board(board.id, m.WriteBoard(section_order=["99"])), 422)


def test_rule_board_item_needs_a_target(api, emu):
    board = api.create_board(m.WriteBoard(title="Home"))
    section = api.create_board_section(m.WriteBoardSection(board_id=board.id))
    rejected(
        emu,
        lambda: api.create_board_item(m.WriteBoardItem(board_section_id=section.id)),
        422,
        "dashboard_id",
    )
    other = api.create_board(m.WriteBoard(title="Other"))
    rejected(
        emu,
        lambda: api.update_board_section(section.id, m.WriteBoardSection(board_id=other.id)),
        422,
        "board_id",
    )


# --- scheduled plans -----------------------------------------------------------------


def test_rule_plan_needs_name_target_schedule_destination(api, emu):
    exc = rejected(emu, lambda: api.create_scheduled_plan(m.WriteScheduledPlan()), 422)
    fields = {e.field for e in exc.errors}
    assert {"name", "look_id", "crontab", "scheduled_plan_destination"} <= fields


def test_rule_look_plan_needs_require_flags(api, emu):
    look = _look(api)
    exc = rejected(
        emu,
        lambda: api.create_scheduled_plan(
            m.WriteScheduledPlan(
                name="Daily",
                look_id=look.id,
                crontab="0 6 * * *",
                scheduled_plan_destination=[_email()],
            )
        ),
        422,
    )
    assert {e.field for e in exc.errors} == {
        "require_results",
        "require_no_results",
        "require_change",
    }
    assert api.create_scheduled_plan(_look_plan(look.id)).id


def test_rule_wysiwyg_pdf_only_for_dashboards(api, emu):
    look, dash = _look(api), _dashboard(api)
    rejected(
        emu,
        lambda: api.create_scheduled_plan(
            _look_plan(look.id, scheduled_plan_destination=[_email(fmt="wysiwyg_pdf")])
        ),
        422,
        "scheduled_plan_destination[0].format",
    )
    plan = m.WriteScheduledPlan(
        name="D",
        dashboard_id=dash.id,
        crontab="0 6 * * *",
        scheduled_plan_destination=[_email(fmt="wysiwyg_pdf")],
    )
    assert api.create_scheduled_plan(plan).id


def test_rule_crontab_and_datagroup_not_both(api, emu):
    look = _look(api)
    rejected(
        emu,
        lambda: api.create_scheduled_plan(_look_plan(look.id, datagroup="nightly")),
        422,
        "datagroup",
    )
    assert api.create_scheduled_plan(_look_plan(look.id, crontab=None, datagroup="nightly")).id


def test_rule_s3_and_sftp_need_their_secrets(api, emu):
    look = _look(api)
    s3 = {
        "type": "s3",
        "format": "csv",
        "address": "s3://bucket/path/",
        "parameters": json.dumps({"access_key_id": "AKIA", "region": "eu-west-1"}),
    }
    rejected(
        emu,
        lambda: api.create_scheduled_plan(
            _look_plan(look.id, scheduled_plan_destination=[m.ScheduledPlanDestination(**s3)])
        ),
        422,
        "scheduled_plan_destination[0].secret_parameters",
    )
    sftp = m.ScheduledPlanDestination(
        type="sftp", format="csv", address="sftp://host/path/", parameters="{}"
    )
    exc = rejected(
        emu,
        lambda: api.create_scheduled_plan(_look_plan(look.id, scheduled_plan_destination=[sftp])),
        422,
    )
    assert {e.field for e in exc.errors} == {
        "scheduled_plan_destination[0].parameters",
        "scheduled_plan_destination[0].secret_parameters",
    }
    secret = json.dumps({"secret_access_key": "s3cr3t"})
    good = m.ScheduledPlanDestination(**s3, secret_parameters=secret)
    plan = api.create_scheduled_plan(_look_plan(look.id, scheduled_plan_destination=[good]))
    assert api.scheduled_plan(plan.id).scheduled_plan_destination[0].secret_parameters is None
    assert "s3cr3t" not in json.dumps(
        requests.get(
            f"{emu.base_url}/api/4.0/scheduled_plans/{plan.id}",
            headers={"Authorization": f"token {api.auth.token.access_token}"},
        ).json()
    )


def test_rule_plans_listed_for_the_caller(demo_sdk):
    mine = demo_sdk.all_scheduled_plans()
    everyone = demo_sdk.all_scheduled_plans(all_users=True)
    me = demo_sdk.me().id
    assert {p.user.id for p in mine} == {me}
    assert len(everyone) > len(mine)


# --- search --------------------------------------------------------------------------


def test_rule_search_wildcards(api, emu):
    for name in ("Damage", "dump", "David", "D_m"):
        api.create_folder(m.CreateFolder(name=name, parent_id="1"))
    assert sorted(f.name for f in api.search_folders(name="D_m%")) == ["D_m", "Damage", "dump"]
    assert sorted(f.name for f in api.search_folders(name="dav%")) == ["David"]
    assert [f.name for f in api.search_folders(name="D_m")] == ["D_m"]


def test_rule_search_is_null_and_not_null(api, emu):
    top = api.create_folder(m.CreateFolder(name="Top", parent_id="1"))
    roots = api.search_folders(parent_id="IS NULL")
    assert {f.id for f in roots} >= {"1", "2"} and top.id not in {f.id for f in roots}
    assert top.id in {f.id for f in api.search_folders(parent_id="NOT NULL")}


def test_rule_search_integer_lists(api, emu):
    one, two = _dashboard(api, "One"), _dashboard(api, "Two")
    found = api.search_dashboards(id=f"{one.id},{two.id}")
    assert sorted(d.id for d in found) == sorted([one.id, two.id])
    assert len(api.search_dashboards(view_count="0,5")) == 2
    assert api.search_dashboards(view_count="5") == []


def test_rule_search_filter_or(api, emu):
    _dashboard(api, "One")
    _dashboard(api, "Two")
    assert api.search_dashboards(title="One", description="x") == []
    found = api.search_dashboards(title="One", slug="nothing", filter_or=True)
    assert [d.title for d in found] == ["One"]


# Parameters a route applies itself (tested below or in test_search.py), not as a column.
_ROUTE_PARAMETERS = {
    "deleted",
    "curate",
    "not_owned_by",
    "favorited",
    "permission",
    "all_users",
}
# search_alerts' description, unlike the others, says nothing of "IS NULL"/"NOT NULL": its
# parameters are applied by the route (test_rule_alert_search_own_unless_all_owners).
_ROUTE_APPLIED = {"search_alerts"}


def test_rule_every_documented_search_parameter_filters(demo_sdk, looker_source):
    """For every documented parameter of every implemented search_* operation, "IS NULL"
    and "NOT NULL" split the unfiltered answer in two: the parameter is applied."""
    from restoration.emulator.app import ROUTES
    from restoration.emulator.search import search_parameters

    demo_sdk.me()
    headers = {"Authorization": f"token {demo_sdk.auth.token.access_token}"}
    base = {
        "search_scheduled_plans": {"all_users": "true"},
        "search_alerts": {"all_owners": "true"},
    }
    checked = []
    for route in ROUTES:
        if "search" not in route.operation or route.verb != "GET":
            continue
        path = route.template.replace("{folder_id}", "1").replace("{pattern}", "%")
        url = f"{looker_source.base_url}/api/4.0{path}"
        query = base.get(route.operation, {})

        def ids(url=url, query=query, **extra):
            answer = requests.get(url, params={**query, **extra}, headers=headers)
            assert answer.status_code == 200, answer.text
            return {row.get("id") for row in answer.json()}

        everything = ids()
        assert everything, route.operation
        if route.operation in _ROUTE_APPLIED:
            continue
        for name in search_parameters(route.operation):
            if name in _ROUTE_PARAMETERS or (route.operation, name) == (
                "search_scheduled_plans",
                "user_id",
            ):
                continue
            empty, filled = ids(**{name: "IS NULL"}), ids(**{name: "NOT NULL"})
            assert empty | filled == everything and not empty & filled, (route.operation, name)
            checked.append(f"{route.operation}.{name}")
    assert len(checked) > 60


def test_rule_search_route_parameters(api, emu):
    dash = _dashboard(api)
    user = api.create_user(m.WriteUser(first_name="Ann"))
    theirs = _dashboard(api, "Theirs", folder_id=user.personal_folder_id)
    assert [d.id for d in api.search_dashboards(user_id="1", not_owned_by=True)] == []
    assert {d.id for d in api.search_dashboards(title="%")} == {dash.id, theirs.id}
    assert [d.id for d in api.search_dashboards(title="%", curate=True)] == [dash.id]
    api.create_board(m.WriteBoard(title="Home"))
    assert api.search_boards(favorited=True) == [] and len(api.search_boards(title="H%")) == 1
