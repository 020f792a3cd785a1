"""Folders: the built-in roots, personal folders, the tree and cascading deletes."""

import pytest
from looker_sdk import error
from looker_sdk.sdk.api40 import models as m


def test_the_roots_and_the_api_users_personal_folder_exist_from_the_start(sdk):
    shared = sdk.folder("1")
    users = sdk.folder("2")
    assert (shared.name, shared.is_shared_root) == ("Shared", True)
    assert (users.name, users.is_users_root) == ("Users", True)
    personal = sdk.folder(sdk.me().personal_folder_id)
    assert personal.is_personal and personal.parent_id == "2"


def test_a_new_user_gets_a_personal_folder(sdk):
    user = sdk.create_user(m.WriteUser(first_name="Ada", last_name="Lovelace"))
    folder = sdk.folder(user.personal_folder_id)
    assert (folder.name, folder.is_personal, folder.creator_id) == ("Ada Lovelace", True, user.id)


def test_create_folder_requires_name_and_parent(sdk, looker_destination):
    response = sdk.transport.session.post(
        f"{looker_destination.base_url}/api/4.0/folders",
        json={"name": "Lonely"},
        headers=sdk.auth.authenticate({}),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "parent_id"


def test_a_parent_must_exist(sdk):
    with pytest.raises(error.SDKError) as exc:
        sdk.create_folder(m.CreateFolder(name="Orphan", parent_id="404"))
    assert (exc.value.errors[0].field, exc.value.errors[0].code) == ("parent_id", "missing")


def test_rule_folder_names_may_repeat_under_one_parent(sdk):
    first = sdk.create_folder(m.CreateFolder(name="Sales", parent_id="1"))
    second = sdk.create_folder(m.CreateFolder(name="Sales", parent_id="1"))
    third = sdk.create_folder(m.CreateFolder(name="Other", parent_id="1"))
    sdk.update_folder(third.id, m.UpdateFolder(name="Sales"))
    names = [f.name for f in sdk.folder_children("1") if f.id in (first.id, second.id, third.id)]
    assert names == ["Sales", "Sales", "Sales"]


def test_children_ancestors_and_parent(sdk):
    sales = sdk.create_folder(m.CreateFolder(name="Sales", parent_id="1"))
    emea = sdk.create_folder(m.CreateFolder(name="EMEA", parent_id=sales.id))
    assert [f.id for f in sdk.folder_children(sales.id)] == [emea.id]
    assert [f.name for f in sdk.folder_ancestors(emea.id)] == ["Shared", "Sales"]
    assert sdk.folder_parent(emea.id).id == sales.id
    assert sdk.folder(sales.id).child_count == 1


def test_a_folder_moves_and_renames(sdk):
    sales = sdk.create_folder(m.CreateFolder(name="Sales", parent_id="1"))
    moved = sdk.update_folder(sales.id, m.UpdateFolder(name="Revenue", parent_id="2"))
    assert (moved.name, moved.parent_id) == ("Revenue", "2")


def test_a_folder_cannot_move_into_its_own_subtree(sdk):
    sales = sdk.create_folder(m.CreateFolder(name="Sales", parent_id="1"))
    emea = sdk.create_folder(m.CreateFolder(name="EMEA", parent_id=sales.id))
    with pytest.raises(error.SDKError):
        sdk.update_folder(sales.id, m.UpdateFolder(parent_id=emea.id))


def test_deleting_a_folder_deletes_its_subfolders_and_content(sdk):
    sales = sdk.create_folder(m.CreateFolder(name="Sales", parent_id="1"))
    emea = sdk.create_folder(m.CreateFolder(name="EMEA", parent_id=sales.id))
    dash = sdk.create_dashboard(m.WriteDashboard(title="Deep", folder_id=emea.id))
    sdk.delete_folder(sales.id)
    for fetch, object_id in ((sdk.folder, emea.id), (sdk.dashboard, dash.id)):
        with pytest.raises(error.SDKError):
            fetch(object_id)


def test_root_folders_cannot_be_deleted(sdk):
    with pytest.raises(error.SDKError) as exc:
        sdk.delete_folder("1")
    assert "/422/delete/folders/:folder_id" in exc.value.documentation_url


def test_folder_content_lists(demo_sdk):
    look = demo_sdk.all_looks()[0]
    assert look.id in [x.id for x in demo_sdk.folder_looks(look.folder_id)]
    dash = demo_sdk.all_dashboards()[0]
    assert dash.id in [x.id for x in demo_sdk.folder_dashboards(dash.folder.id)]


def test_search_folders_by_name_and_parent(demo_sdk):
    found = demo_sdk.search_folders(name="sales", parent_id="1")
    assert [f.name for f in found] == ["Sales"]


def test_rule_root_folders_may_be_patched(sdk):
    shared = sdk.folder("1")
    assert sdk.update_folder("1", m.UpdateFolder(name=shared.name)).name == shared.name
    assert sdk.update_folder("2", m.UpdateFolder(name="People")).name == "People"
    assert sdk.folder("2").is_users_root
