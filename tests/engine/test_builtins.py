"""Built-ins every Looker has are mapped, never written: the "All Users" group (nobody is
added to or removed from it), the default roles and their permission sets, the `lookml`
folder, the root and personal folders (never changed or deleted); and model configurations Looker made itself on deploy are adopted and updated."""

from __future__ import annotations

import pytest

from restoration.content_types import ContentType as CT
from restoration.looker.instances import make_sdk
from restoration.models import DeadLetterItem, IDMapping
from tests.engine.conftest import fast_config, restore
from tests.engine.test_lost_answers import engine_write_methods
from tests.fixtures_emulator import write_looker_ini

pytestmark = pytest.mark.django_db(transaction=True)


def _spy_on_group_members(monkeypatch, emulator, group_id: str) -> list[str]:
    """Record every add/remove of a member of one group this emulator is asked for (the
    routes are shared by every emulator in the process: monkeypatch puts them back)."""
    seen: list[str] = []
    for verb, path in (
        ("POST", f"/groups/{group_id}/users"),
        ("DELETE", f"/groups/{group_id}/users/1"),
    ):
        route = emulator.app.router.match(verb, path)[0]
        handler = route.handler

        def spy(call, handler=handler, verb=verb):
            if call.app is emulator.app and call.params["group_id"] == group_id:
                seen.append(verb)
            return handler(call)

        monkeypatch.setattr(route, "handler", spy)
    return seen


def _mapped(content_type: int, source_id: str) -> str | None:
    row = IDMapping.objects.filter(content_type=content_type, source_id=source_id).first()
    return row.destination_id if row else None


def test_all_users_and_default_roles_are_mapped_never_written(
    backup, looker_source, looker_destination, monkeypatch
):
    src = make_sdk("source")
    everyone = next(g for g in src.all_groups() if g.name == "All Users")
    dest_everyone = next(g for g in make_sdk("destination").all_groups() if g.name == "All Users")
    spied = _spy_on_group_members(monkeypatch, looker_destination, dest_everyone.id)

    session = restore(fast_config(looker_source, looker_destination))
    assert session.status == "completed", session.last_error

    assert _mapped(CT.GROUP, everyone.id) == dest_everyone.id
    assert spied == []
    dst = make_sdk("destination")
    assert dst.group(dest_everyone.id).user_count == len(dst.all_users())
    assert not DeadLetterItem.objects.filter(content_type__in=[CT.GROUP, CT.ROLE]).exists()

    dest_roles = {r.name: r.id for r in dst.all_roles()}
    for role in src.all_roles():
        assert _mapped(CT.ROLE, role.id) == dest_roles[role.name]
    calls = looker_destination.counters()["calls"]
    assert calls.get("PATCH /api/4.0/groups/{group_id}", 0) == 0
    assert calls.get("PATCH /api/4.0/roles/{role_id}", 0) == 0
    assert calls.get("PATCH /api/4.0/permission_sets/{permission_set_id}", 0) == 0
    created = looker_destination.counters()["creates"]
    # Only the demo's own roles and set are new; Admin, Developer, User, Viewer exist.
    assert created["role"] == 3 and created["permission_set"] == 1
    # The Developer role keeps its group, set through the role's membership call.
    developers = dest_roles["Developer"]
    assert [g.name for g in dst.role_groups(developers)] == ["Data Engineering"]
    assert _mapped(CT.FOLDER, "lookml") == "lookml"


def test_model_configurations_looker_made_on_deploy_are_adopted(
    backup, looker_source, emulator_factory, tmp_path, settings
):
    auto = emulator_factory(seed=None, auto_configure_models=True)
    settings.LOOKER_INI = str(
        write_looker_ini(tmp_path / "auto.ini", source=looker_source, destination=auto)
    )
    before = {
        m.name: m.unlimited_db_connections for m in make_sdk("destination").all_lookml_models()
    }
    assert before == {"ecommerce_bq": True, "faa": True, "thelook": True}

    config = fast_config(looker_source, auto, content_types=[CT.LOOKML_MODEL])
    session = restore(config)
    assert session.status == "completed", session.last_error
    assert session.error_count == 0 and session.created_count == 0
    assert auto.counters()["creates"].get("lookml_model", 0) == 0
    src, dst = make_sdk("source"), make_sdk("destination")
    for model in src.all_lookml_models():
        copy = dst.lookml_model(model.name)
        assert copy.allowed_db_connection_names == model.allowed_db_connection_names
        assert copy.unlimited_db_connections is False
    assert auto.counters()["calls"]["PATCH /api/4.0/lookml_models/{lookml_model_name}"] == 3

    auto.reset_counters()
    again = restore(config)
    assert again.status == "completed" and again.error_count == 0
    assert auto.counters()["writes"] == 0


def test_a_model_configured_by_a_deploy_during_the_restore_is_adopted(
    backup, looker_source, looker_destination, monkeypatch
):
    """The destination listed no models, then a deploy configured them (Looker does so
    itself, often) before the restore reached them: they are updated, not created."""
    from restoration.emulator.resources.lookml_models import configure_deployed_models

    route = looker_destination.app.router.match("GET", "/lookml_models")[0]
    listing = route.handler

    def deploy_after_listing(call):
        answer = listing(call)
        if call.app is looker_destination.app:
            call.store.set_meta("auto_configure_models", True)
            configure_deployed_models(call.store)
        return answer

    monkeypatch.setattr(route, "handler", deploy_after_listing)
    session = restore(
        fast_config(looker_source, looker_destination, content_types=[CT.LOOKML_MODEL])
    )
    assert session.status == "completed", session.last_error
    assert session.error_count == 0 and session.created_count == 0
    assert session.updated_count == 3
    assert looker_destination.counters()["creates"]["lookml_model"] == 3  # by the deploy
    assert all(not x.unlimited_db_connections for x in make_sdk("destination").all_lookml_models())


def test_root_and_personal_folders_are_mapped_never_written_or_deleted(
    backup, looker_source, looker_destination, monkeypatch
):
    # Whether Looker refuses to delete or change a root or personal folder is unknown (the
    # emulator refuses deletes, EVIDENCE.md): the engine must never ask, so either answer
    # is the same to it. It deletes no folder at all, and changes no built-in one.
    methods = engine_write_methods()
    assert "create_folder" in methods and "delete_folder" not in methods
    dst = make_sdk("destination")
    protected = {
        str(f.id)
        for f in dst.all_folders()
        if f.is_personal
        or f.is_shared_root
        or f.is_users_root
        or f.is_embed_shared_root
        or f.is_embed_users_root
        or str(f.id) == "lookml"
    }
    written: list[str] = []
    for verb in ("PATCH", "DELETE"):
        route = looker_destination.app.router.match(verb, "/folders/1")[0]

        def spy(call, handler=route.handler):
            if call.app is looker_destination.app:
                written.append(str(call.params["folder_id"]))
            return handler(call)

        monkeypatch.setattr(route, "handler", spy)

    for _ in range(2):  # the second run reconciles what the first made
        session = restore(fast_config(looker_source, looker_destination))
        assert session.status == "completed", session.last_error
    # Personal folders of the users the restore created are protected too.
    protected |= {str(u.personal_folder_id) for u in dst.all_users() if u.personal_folder_id}

    assert set(written) & protected == set()
    calls = looker_destination.counters()["calls"]
    assert calls.get("DELETE /api/4.0/folders/{folder_id}", 0) == 0
    src = make_sdk("source")
    personal = [f for f in src.all_folders() if f.is_personal]
    assert personal and all(_mapped(CT.FOLDER, f.id) in protected for f in personal)
