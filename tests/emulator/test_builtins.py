"""What a new Looker has before anyone touches it (EVIDENCE.md, "Built-ins"): the All Users
group, the Embed roots, the `lookml` folder, the default roles, and the model
configurations Looker makes itself when a project is deployed (an emulator option)."""

import pytest
from looker_sdk import error
from looker_sdk.sdk.api40 import models as m

from restoration.emulator import LookerEmulator
from tests.emulator.sdk_client import sdk_for


def _all_users(sdk):
    [group] = [g for g in sdk.all_groups() if g.name == "All Users"]
    return group


def _new_user(sdk, first="Ada"):
    return sdk.create_user(m.WriteUser(first_name=first, last_name="Lovelace"))


def test_rule_all_users_group_holds_every_user_including_new_ones(sdk):
    everyone = _all_users(sdk)
    assert everyone.include_by_default is True
    before = {u.id for u in sdk.all_group_users(everyone.id)}
    assert before == {u.id for u in sdk.all_users()}
    user = _new_user(sdk)
    assert everyone.id in user.group_ids
    assert user.id in {u.id for u in sdk.all_group_users(everyone.id)}
    assert sdk.group(everyone.id).user_count == len(before) + 1


def test_rule_all_users_group_cannot_be_deleted(sdk):
    everyone = _all_users(sdk)
    with pytest.raises(error.SDKError) as exc:
        sdk.delete_group(everyone.id)
    assert "/403/" in exc.value.documentation_url
    assert "can't be deleted" in exc.value.message
    assert _all_users(sdk).id == everyone.id


def test_rule_users_cannot_be_removed_from_all_users(sdk):
    everyone = _all_users(sdk)
    user = _new_user(sdk)
    with pytest.raises(error.SDKError) as exc:
        sdk.delete_group_user(everyone.id, user.id)
    assert "/403/" in exc.value.documentation_url
    assert everyone.id in sdk.user(user.id).group_ids
    # Adding someone who is already a member changes nothing and is not an error.
    sdk.add_group_user(everyone.id, m.GroupIdForGroupUserInclusion(user_id=user.id))
    assert sdk.user(user.id).group_ids.count(everyone.id) == 1


def test_rule_roles_can_be_given_to_all_users_through_the_api(sdk):
    everyone = _all_users(sdk)
    viewer = next(r for r in sdk.all_roles() if r.name == "Viewer")
    assert [g.id for g in sdk.set_role_groups(viewer.id, [everyone.id])] == [everyone.id]
    user = _new_user(sdk)
    assert viewer.id in {r.id for r in sdk.user_roles(user.id)}


def test_rule_all_users_can_edit_the_shared_folder(sdk):
    everyone = _all_users(sdk)
    shared = next(f for f in sdk.all_folders() if f.is_shared_root)
    access = sdk.all_content_metadata_accesses(shared.content_metadata_id)
    assert [(a.group_id, a.permission_type.value) for a in access] == [(everyone.id, "edit")]
    sub = sdk.create_folder(m.CreateFolder(name="Finance", parent_id=shared.id))
    assert sdk.content_metadata(sub.content_metadata_id).inherits is True


def test_rule_all_users_and_its_shared_access_row_have_id_1(sdk):
    """lmanage resets the Shared folder's All Users access by these ids (access row 1,
    content metadata 1, group 1) and lists folders 1 to 5 and `lookml` as system folders."""
    assert _all_users(sdk).id == "1"
    shared = sdk.folder("1")
    assert shared.is_shared_root and shared.content_metadata_id == "1"
    row = sdk.update_content_metadata_access(
        "1",
        m.ContentMetaGroupUser(permission_type="view", content_metadata_id="1", group_id="1"),
    )
    assert (row.group_id, row.permission_type.value) == ("1", "view")
    system = {f.id for f in sdk.all_folders() if not f.is_personal}
    assert system == {"1", "2", "3", "4", "lookml"}


def test_rule_embed_roots_and_the_lookml_folder_exist(sdk):
    folders = {f.id: f for f in sdk.all_folders()}
    assert folders["lookml"].name == "LookML Dashboards"
    assert folders["lookml"].parent_id is None
    [embed_groups] = [f for f in folders.values() if f.is_embed_shared_root]
    [embed_users] = [f for f in folders.values() if f.is_embed_users_root]
    assert (embed_groups.name, embed_groups.is_embed) == ("Embed Groups", True)
    assert (embed_users.name, embed_users.is_embed) == ("Embed Users", True)
    # gzr lists LookML dashboards this way.
    assert sdk.folder("lookml", fields="name,dashboards(id,title)").dashboards == []
    # The sdk-codegen folder_permission_access example keeps the lookml folder out this way.
    ordinary = {
        f.id
        for f in folders.values()
        if not (f.is_personal or f.is_personal_descendant or f.is_users_root)
        and not f.is_embed_users_root
        and not f.is_embed
    }
    assert "lookml" in ordinary


def test_rule_built_in_folders_cannot_be_deleted(sdk):
    for folder_id in ("lookml", *(f.id for f in sdk.all_folders() if f.is_embed)):
        with pytest.raises(error.SDKError) as exc:
            sdk.delete_folder(folder_id)
        assert "/422/" in exc.value.documentation_url
    assert sdk.folder("lookml").name == "LookML Dashboards"


def test_rule_default_roles_are_ordinary_roles_an_admin_may_change(sdk):
    roles = {r.name: r for r in sdk.all_roles()}
    assert set(roles) == {"Admin", "Developer", "User", "Viewer"}
    assert all(roles[n].model_set.name == "All" for n in ("Developer", "User", "Viewer"))
    assert roles["Viewer"].permission_set.built_in is False
    sdk.update_role(roles["User"].id, m.WriteRole(name="Analyst"))
    sdk.delete_role(roles["Viewer"].id)
    assert {r.name for r in sdk.all_roles()} == {"Admin", "Developer", "Analyst"}


def test_rule_a_deploy_configures_models_when_the_option_is_on(emulator_factory):
    plain = sdk_for(emulator_factory(seed=None))
    assert plain.all_lookml_models() == []
    emulator = emulator_factory(seed=None, auto_configure_models=True)
    sdk = sdk_for(emulator)
    models = {x.name: x for x in sdk.all_lookml_models()}
    assert set(models) == {"thelook", "ecommerce_bq", "faa"}
    assert models["faa"].project_name == "faa" and models["faa"].unlimited_db_connections
    assert [e.name for e in models["faa"].explores] == ["airports", "flights"]
    # A later deploy configures the new model but leaves a configured name alone, even
    # when another project now defines it.
    sdk.update_lookml_model("thelook", m.WriteLookmlModel(unlimited_db_connections=False))
    emulator.set_projects({"finance": {"ledger": ["entries"]}, "other": {"thelook": ["x"]}})
    assert sdk.lookml_model("ledger").project_name == "finance"
    assert sdk.lookml_model("thelook").project_name == "thelook"
    assert sdk.lookml_model("thelook").unlimited_db_connections is False


def test_a_reset_keeps_the_auto_configure_option():
    emulator = LookerEmulator(seed=None, auto_configure_models=True)
    emulator.reset(projects={"p": {"sales": ["orders"]}})
    assert sorted(emulator.store.tables["lookml_model"]) == ["sales"]


def test_the_demo_has_the_built_ins_too(demo_sdk):
    everyone = _all_users(demo_sdk)
    assert demo_sdk.group(everyone.id).user_count == len(demo_sdk.all_users())
    assert {"Developer", "User", "Viewer"} <= {r.name for r in demo_sdk.all_roles()}
    assert "lookml" in {f.id for f in demo_sdk.all_folders()}
    developers = next(r for r in demo_sdk.all_roles() if r.name == "Developer")
    assert [g.name for g in demo_sdk.role_groups(developers.id)] == ["Data Engineering"]


def test_the_scale_seed_has_the_built_ins_too():
    store = LookerEmulator(seed="scale:40").store
    [everyone] = [g for g in store.all("group") if g.get("include_by_default")]
    assert all(everyone["id"] in u["_group_ids"] for u in store.all("user"))
    assert store.exists("folder", "lookml")
    assert {f["name"] for f in store.all("folder") if f.get("is_embed")} == {
        "Embed Groups",
        "Embed Users",
    }
    assert {"Admin", "Developer", "User", "Viewer"} <= {r["name"] for r in store.all("role")}
