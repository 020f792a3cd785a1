"""Content metadata and access grants on folders, dashboards and Looks."""

import pytest
from looker_sdk import error
from looker_sdk.sdk.api40 import models as m


@pytest.fixture
def folder(sdk):
    return sdk.create_folder(m.CreateFolder(name="Restricted", parent_id="1"))


def test_content_metadata_follows_the_folder_tree(sdk, folder):
    cm = sdk.content_metadata(folder.content_metadata_id)
    shared = sdk.folder("1")
    assert (cm.folder_id, cm.parent_id, cm.inherits) == (
        folder.id,
        shared.content_metadata_id,
        True,
    )
    dash = sdk.create_dashboard(m.WriteDashboard(title="D", folder_id=folder.id))
    assert sdk.content_metadata(dash.content_metadata_id).parent_id == folder.content_metadata_id
    children = sdk.all_content_metadatas(parent_id=folder.content_metadata_id)
    assert [c.dashboard_id for c in children] == [dash.id]


def test_inheritance_is_switched_off_by_patch(sdk, folder):
    cm = sdk.update_content_metadata(folder.content_metadata_id, m.WriteContentMeta(inherits=False))
    assert cm.inherits is False


def test_access_is_granted_changed_and_revoked(sdk, folder):
    group = sdk.create_group(m.WriteGroup(name="Finance"))
    access = sdk.create_content_metadata_access(
        m.ContentMetaGroupUser(
            content_metadata_id=folder.content_metadata_id,
            group_id=group.id,
            permission_type="view",
        )
    )
    assert sdk.all_content_metadata_accesses(folder.content_metadata_id)[0].group_id == group.id
    changed = sdk.update_content_metadata_access(
        access.id,
        m.ContentMetaGroupUser(
            content_metadata_id=folder.content_metadata_id,
            group_id=group.id,
            permission_type="edit",
        ),
    )
    assert changed.permission_type == m.PermissionType.edit
    sdk.delete_content_metadata_access(access.id)
    assert sdk.all_content_metadata_accesses(folder.content_metadata_id) == []


def test_access_for_an_unknown_group_is_refused(sdk, folder):
    with pytest.raises(error.SDKError) as exc:
        sdk.create_content_metadata_access(
            m.ContentMetaGroupUser(
                content_metadata_id=folder.content_metadata_id,
                group_id="999",
                permission_type="view",
            )
        )
    assert (exc.value.errors[0].field, exc.value.errors[0].code) == ("group_id", "missing")


def test_the_demo_finance_folder_has_its_own_access_list(demo_sdk):
    [finance] = demo_sdk.search_folders(name="Finance")
    cm = demo_sdk.content_metadata(finance.content_metadata_id)
    assert cm.inherits is False
    assert len(demo_sdk.all_content_metadata_accesses(cm.id)) == 3
