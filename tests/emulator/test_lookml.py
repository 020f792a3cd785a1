"""Deployed LookML and model configurations: a query works only against a configured model
whose deployed project defines the query's explore; otherwise Looker answers 404."""

import re

import pytest
import requests
from django.core.management import CommandError, call_command
from looker_sdk import error
from looker_sdk.sdk.api40 import models as m

from tests.emulator.sdk_client import configure_model, sdk_for


def _status(exc: error.SDKError) -> int:
    match = re.search(r"/r/err/[^/]+/(\d{3})/", exc.documentation_url or "")
    assert match, f"no status in {exc.documentation_url!r}"
    return int(match.group(1))


def _users_query(**kw) -> m.WriteQuery:
    return m.WriteQuery(model="thelook", view="users", fields=["users.count"], **kw)


def test_an_empty_instance_has_the_demo_projects_deployed_but_no_models(sdk, looker_destination):
    assert sdk.all_lookml_models() == []
    assert "thelook" in looker_destination.projects_deployed()["thelook"]
    configure_model(sdk)
    explores = [e.name for e in sdk.lookml_model("thelook").explores]
    assert "users" in explores and "order_items" in explores
    assert sdk.lookml_model("thelook").has_content is True


def test_a_query_on_a_model_the_instance_has_not_configured_is_not_found(sdk, looker_destination):
    with pytest.raises(error.SDKError) as exc:
        sdk.create_query(_users_query())
    assert _status(exc.value) == 404
    assert exc.value.message == "Not found"
    assert exc.value.documentation_url.endswith("/404/post/queries")
    assert "query" not in looker_destination.counters()["creates"]


def test_a_query_on_a_view_that_is_not_an_explore_of_the_model_is_not_found(sdk):
    configure_model(sdk)
    assert sdk.create_query(_users_query()).model == "thelook"
    with pytest.raises(error.SDKError) as exc:
        sdk.create_query(m.WriteQuery(model="thelook", view="flights"))
    assert _status(exc.value) == 404


def test_a_model_whose_project_is_not_deployed_shows_no_explores_and_cannot_be_queried(sdk):
    model = sdk.create_lookml_model(
        m.WriteLookmlModel(
            name="finance", project_name="finance", allowed_db_connection_names=["thelook"]
        )
    )
    assert (model.explores, model.has_content) == ([], False)
    with pytest.raises(error.SDKError) as exc:
        sdk.lookml_model_explore("finance", "ledger")
    assert _status(exc.value) == 404
    with pytest.raises(error.SDKError) as exc:
        sdk.create_query(m.WriteQuery(model="finance", view="ledger"))
    assert _status(exc.value) == 404
    assert [x.name for x in sdk.all_lookml_models(exclude_empty=True)] == []


def test_deploying_the_project_later_brings_its_explores(sdk, looker_destination):
    sdk.create_lookml_model(m.WriteLookmlModel(name="finance", project_name="finance"))
    looker_destination.set_projects({"finance": {"finance": ["ledger", "budget"]}})
    assert [e.name for e in sdk.lookml_model("finance").explores] == ["ledger", "budget"]
    assert sdk.lookml_model_explore("finance", "ledger").model_name == "finance"
    assert sdk.create_query(m.WriteQuery(model="finance", view="ledger")).view == "ledger"


def test_a_model_points_at_another_project_by_update(sdk, looker_destination):
    looker_destination.set_projects({"shop": {"thelook": ["orders"]}, "thelook": {}})
    sdk.create_lookml_model(m.WriteLookmlModel(name="thelook", project_name="thelook"))
    assert sdk.lookml_model("thelook").explores == []
    sdk.update_lookml_model("thelook", m.WriteLookmlModel(project_name="shop"))
    assert [e.name for e in sdk.lookml_model("thelook").explores] == ["orders"]


def test_an_explore_that_is_absent_is_not_found(demo_sdk):
    assert demo_sdk.lookml_model_explore("thelook", "users").name == "users"
    for model, explore in (("thelook", "flights"), ("nowhere", "users")):
        with pytest.raises(error.SDKError) as exc:
            demo_sdk.lookml_model_explore(model, explore)
        assert _status(exc.value) == 404


def test_an_inline_query_on_an_unknown_model_fails_the_look_and_creates_nothing(
    sdk, looker_destination
):
    with pytest.raises(error.SDKError) as exc:
        sdk.create_look(m.WriteLookWithQuery(title="Users", folder_id="1", query=_users_query()))
    assert _status(exc.value) == 404
    assert exc.value.documentation_url.endswith("/404/post/looks")
    assert sdk.all_looks() == []

    configure_model(sdk)
    look = sdk.create_look(m.WriteLookWithQuery(title="Users", folder_id="1", query=_users_query()))
    with pytest.raises(error.SDKError) as exc:
        sdk.update_look(
            look.id, m.WriteLookWithQuery(query=m.WriteQuery(model="faa", view="flights"))
        )
    assert _status(exc.value) == 404
    assert sdk.look(look.id).query_id == look.query_id


def test_an_inline_query_on_an_unknown_model_fails_the_tile(sdk, looker_destination):
    dash = sdk.create_dashboard(m.WriteDashboard(title="Sales", folder_id="1"))
    with pytest.raises(error.SDKError) as exc:
        sdk.create_dashboard_element(
            m.WriteDashboardElement(dashboard_id=dash.id, type="vis", query=_users_query())
        )
    assert _status(exc.value) == 404
    assert exc.value.documentation_url.endswith("/404/post/dashboard_elements")
    assert sdk.dashboard_dashboard_elements(dash.id) == []

    text = sdk.create_dashboard_element(
        m.WriteDashboardElement(dashboard_id=dash.id, type="text", body_text="hi")
    )
    with pytest.raises(error.SDKError) as exc:
        sdk.update_dashboard_element(text.id, m.WriteDashboardElement(query=_users_query()))
    assert _status(exc.value) == 404
    assert sdk.dashboard_element(text.id).query_id is None


def test_the_demo_instance_can_run_every_seeded_query_again(looker_source):
    store = looker_source.store
    sdk = sdk_for(looker_source)
    pairs = {(q["model"], q["view"]) for q in store.all("query")}
    assert len(pairs) > 3
    for model, view in sorted(pairs):
        assert sdk.create_query(m.WriteQuery(model=model, view=view)).model == model


def test_without_deployed_projects_even_configured_models_have_no_explores(emulator_factory):
    sdk = sdk_for(emulator_factory(seed="demo", projects="none"))
    assert sdk.lookml_model("thelook").explores == []
    with pytest.raises(error.SDKError) as exc:
        sdk.create_query(_users_query())
    assert _status(exc.value) == 404


def test_model_sets_may_name_models_not_deployed(sdk):
    model_set = sdk.create_model_set(m.WriteModelSet(name="Future", models=["not_yet"]))
    assert model_set.models == ["not_yet"]


def test_the_control_api_deploys_projects_over_http(looker_destination):
    base = looker_destination.base_url
    deployed = requests.post(
        f"{base}/_emulator/projects", json={"projects": {"ops": {"ops": ["tickets"]}}}
    ).json()
    assert deployed == {"ops": {"ops": ["tickets"]}}
    assert requests.get(f"{base}/_emulator/projects").json() == deployed
    assert requests.post(f"{base}/_emulator/projects", json={"projects": "none"}).json() == {}
    bad = requests.post(f"{base}/_emulator/projects", json={"projects": {"ops": ["tickets"]}})
    assert bad.status_code == 400
    assert "projects must look like" in bad.json()["message"]
    assert requests.get(f"{base}/_emulator/projects").json() == {}


def test_a_reset_can_choose_the_projects(looker_destination):
    looker_destination.control("POST", "/_emulator/reset", {"projects": "none"})
    assert looker_destination.projects_deployed() == {}
    looker_destination.control("POST", "/_emulator/reset", {})
    assert "faa" in looker_destination.projects_deployed()


def test_the_deployed_projects_survive_a_restart(tmp_path, emulator_factory):
    state = str(tmp_path / "state.sqlite")
    first = emulator_factory(state_file=state)
    first.set_projects({"ops": {"ops": ["tickets"]}})
    first.stop()
    again = emulator_factory(state_file=state)
    assert again.projects_deployed() == {"ops": {"ops": ["tickets"]}}


def test_malformed_projects_are_refused_with_a_clear_message(emulator_factory):
    with pytest.raises(ValueError, match="unknown projects 'demo2'"):
        emulator_factory(projects="demo2")
    with pytest.raises(ValueError, match="not valid JSON"):
        emulator_factory(projects="{oops")
    with pytest.raises(CommandError, match="projects must look like"):
        call_command("looker_emulator", "--port", "0", "--projects", '{"p": ["m"]}')
