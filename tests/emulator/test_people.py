"""Users, groups, roles, permission sets and model sets, with Looker's built-ins."""

import pytest
from looker_sdk import error
from looker_sdk.sdk.api40 import models as m


def _user(sdk, first="Ada", email=None):
    creds = m.WriteCredentialsEmail(email=email) if email else None
    return sdk.create_user(m.WriteUser(first_name=first, last_name="Test", credentials_email=creds))


def test_users_are_created_with_email_credentials(sdk):
    user = _user(sdk, email="ada@example.com")
    assert user.email == "ada@example.com"
    assert sdk.user_credentials_email(user.id).email == "ada@example.com"
    assert [u.id for u in sdk.search_users(email="ADA@example.com")] == [user.id]


def test_an_email_belongs_to_one_user(sdk):
    _user(sdk, email="ada@example.com")
    other = _user(sdk, first="Bob")
    with pytest.raises(error.SDKError) as exc:
        sdk.create_user_credentials_email(
            other.id, m.WriteCredentialsEmail(email="ada@example.com")
        )
    assert "/409/post/users/:user_id/credentials_email" in exc.value.documentation_url


def test_email_credentials_are_added_changed_and_removed(sdk):
    user = _user(sdk)
    sdk.create_user_credentials_email(user.id, m.WriteCredentialsEmail(email="a@example.com"))
    sdk.update_user_credentials_email(user.id, m.WriteCredentialsEmail(email="b@example.com"))
    assert sdk.user(user.id).email == "b@example.com"
    sdk.delete_user_credentials_email(user.id)
    with pytest.raises(error.SDKError):
        sdk.user_credentials_email(user.id)


def test_user_updates_ignore_role_ids(sdk, looker_destination):
    user = _user(sdk)
    response = sdk.transport.session.patch(
        f"{looker_destination.base_url}/api/4.0/users/{user.id}",
        json={"last_name": "Changed", "role_ids": ["1"]},
        headers=sdk.auth.authenticate({}),
    )
    assert response.json()["last_name"] == "Changed" and response.json()["role_ids"] == []


def test_roles_are_set_on_users_and_read_back(sdk):
    user = _user(sdk)
    [role] = sdk.set_user_roles(user.id, ["1"])
    assert role.name == "Admin"
    assert [r.id for r in sdk.user_roles(user.id)] == ["1"]
    assert sdk.user(user.id).role_ids == ["1"]


def test_unknown_role_ids_are_refused(sdk):
    user = _user(sdk)
    with pytest.raises(error.SDKError) as exc:
        sdk.set_user_roles(user.id, ["1", "999"])
    assert exc.value.errors[0].code == "missing"


def test_deleting_a_user_deletes_the_personal_folder(sdk):
    user = _user(sdk)
    sdk.delete_user(user.id)
    with pytest.raises(error.SDKError):
        sdk.folder(user.personal_folder_id)


def test_groups_hold_users_and_groups(sdk):
    outer = sdk.create_group(m.WriteGroup(name="Analytics"))
    inner = sdk.create_group(m.WriteGroup(name="Marketing"))
    user = _user(sdk)
    assert (
        sdk.add_group_user(outer.id, m.GroupIdForGroupUserInclusion(user_id=user.id)).id == user.id
    )
    assert (
        sdk.add_group_group(outer.id, m.GroupIdForGroupInclusion(group_id=inner.id)).id == inner.id
    )
    assert [u.id for u in sdk.all_group_users(outer.id)] == [user.id]
    assert [g.id for g in sdk.all_group_groups(outer.id)] == [inner.id]
    assert sdk.group(outer.id).user_count == 1
    sdk.delete_group_user(outer.id, user.id)
    sdk.delete_group_from_group(outer.id, inner.id)
    assert sdk.all_group_users(outer.id) == [] and sdk.all_group_groups(outer.id) == []


def test_a_group_cannot_contain_itself(sdk):
    outer = sdk.create_group(m.WriteGroup(name="Outer"))
    inner = sdk.create_group(m.WriteGroup(name="Inner"))
    sdk.add_group_group(outer.id, m.GroupIdForGroupInclusion(group_id=inner.id))
    with pytest.raises(error.SDKError):
        sdk.add_group_group(inner.id, m.GroupIdForGroupInclusion(group_id=outer.id))


def test_rule_group_name_unique(sdk):
    sdk.create_group(m.WriteGroup(name="Analytics"))
    with pytest.raises(error.SDKError) as exc:
        sdk.create_group(m.WriteGroup(name="Analytics"))
    assert "/409/post/groups" in exc.value.documentation_url
    assert sdk.create_group(m.WriteGroup(name="analytics")).name == "analytics"  # exact case


def test_adding_an_unknown_user_to_a_group_is_404(sdk):
    group = sdk.create_group(m.WriteGroup(name="Analytics"))
    with pytest.raises(error.SDKError) as exc:
        sdk.add_group_user(group.id, m.GroupIdForGroupUserInclusion(user_id="999"))
    assert "/404/post/groups/:group_id/users" in exc.value.documentation_url


def test_a_role_joins_a_permission_set_and_a_model_set(sdk):
    pset = sdk.create_permission_set(
        m.WritePermissionSet(name="Look readers", permissions=["access_data", "see_looks"])
    )
    mset = sdk.create_model_set(m.WriteModelSet(name="Retail", models=["thelook"]))
    role = sdk.create_role(
        m.WriteRole(name="Retail Viewer", permission_set_id=pset.id, model_set_id=mset.id)
    )
    assert (role.permission_set.name, role.model_set.models) == ("Look readers", ["thelook"])


def test_a_role_needs_existing_sets(sdk):
    with pytest.raises(error.SDKError) as exc:
        sdk.create_role(m.WriteRole(name="Broken", permission_set_id="77", model_set_id="1"))
    assert (exc.value.errors[0].field, exc.value.errors[0].code) == ("permission_set_id", "missing")


def test_role_users_and_groups_are_replaced_by_put(sdk):
    group = sdk.create_group(m.WriteGroup(name="Analytics"))
    member = _user(sdk)
    sdk.add_group_user(group.id, m.GroupIdForGroupUserInclusion(user_id=member.id))
    direct = _user(sdk, first="Direct")
    role = sdk.create_role(m.WriteRole(name="Readers", permission_set_id="1", model_set_id="1"))
    assert [g.id for g in sdk.set_role_groups(role.id, [group.id])] == [group.id]
    assert [u.id for u in sdk.set_role_users(role.id, [direct.id])] == [direct.id]
    assert {u.id for u in sdk.role_users(role.id)} == {member.id, direct.id}
    assert [u.id for u in sdk.role_users(role.id, direct_association_only=True)] == [direct.id]
    assert [g.id for g in sdk.role_groups(role.id)] == [group.id]
    assert role.id in [r.id for r in sdk.user_roles(member.id)]


def test_unknown_permissions_are_refused(sdk):
    with pytest.raises(error.SDKError) as exc:
        sdk.create_permission_set(
            m.WritePermissionSet(name="Odd", permissions=["see_looks", "fly"])
        )
    assert exc.value.errors[0].field == "permissions"


@pytest.mark.parametrize(
    "change",
    [
        lambda sdk: sdk.update_permission_set("1", m.WritePermissionSet(name="Mine")),
        lambda sdk: sdk.delete_permission_set("1"),
        lambda sdk: sdk.update_model_set("1", m.WriteModelSet(models=["x"])),
        lambda sdk: sdk.delete_model_set("1"),
        lambda sdk: sdk.update_role("1", m.WriteRole(name="Boss")),
        lambda sdk: sdk.delete_role("1"),
    ],
)
def test_built_ins_cannot_be_modified(sdk, change):
    with pytest.raises(error.SDKError) as exc:
        change(sdk)
    assert "/405/" in exc.value.documentation_url


def test_built_ins_are_there_from_the_start(sdk):
    assert [(p.name, p.built_in, p.all_access) for p in sdk.all_permission_sets()] == [
        ("Admin", True, True),
        ("Developer", False, False),
        ("User", False, False),
        ("Viewer", False, False),
    ]
    assert [(s.name, s.built_in) for s in sdk.all_model_sets()] == [("All", True)]
    assert [r.name for r in sdk.all_roles()] == ["Admin", "Developer", "User", "Viewer"]


def test_custom_sets_can_be_changed_searched_and_deleted(sdk):
    pset = sdk.create_permission_set(
        m.WritePermissionSet(name="Readers", permissions=["see_looks"])
    )
    sdk.update_permission_set(pset.id, m.WritePermissionSet(permissions=["see_looks", "explore"]))
    assert sdk.search_permission_sets(name="read%")[0].permissions == ["see_looks", "explore"]
    sdk.delete_permission_set(pset.id)
    mset = sdk.create_model_set(m.WriteModelSet(name="Retail", models=["thelook"]))
    assert sdk.search_model_sets(models="thelook")[0].id == mset.id
    sdk.delete_model_set(mset.id)


def test_the_demo_instance_has_nested_groups(demo_sdk):
    [analytics] = demo_sdk.search_groups(name="Analytics")
    assert {g.name for g in demo_sdk.all_group_groups(analytics.id)} == {
        "Marketing Analysts",
        "Finance Analysts",
    }
    assert len(demo_sdk.all_users()) == 21


def test_a_user_is_found_by_email_credential(sdk):
    user = _user(sdk, email="ada@example.com")
    assert sdk.user_for_credential("email", "ADA@example.com").id == user.id
    with pytest.raises(error.SDKError):
        sdk.user_for_credential("email", "nobody@example.com")


def test_users_are_found_by_any_part_of_their_name(sdk):
    user = _user(sdk, first="Grace", email="hopper@example.com")
    assert [u.id for u in sdk.search_users_names("grace%")] == [user.id]
    assert [u.id for u in sdk.search_users_names("%hopper%")] == [user.id]
    assert sdk.search_users_names("zed%") == []
