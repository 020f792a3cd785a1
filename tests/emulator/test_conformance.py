"""The emulator against the official Looker 4.0 spec: every route it serves exists there
with that verb, every answer validates against the declared response schema, and only
declared status codes come back (401 is the documented exception, see spec.py).  Which
spec operations are implemented is printed (count and names); every other one answers
501 "not emulated: <operationId>"."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import requests
from looker_sdk import error

from restoration.emulator import sdk_types
from restoration.emulator.app import API_PREFIX, ROUTES
from restoration.emulator.errors import DOCS
from tests.emulator import spec as oas
from tests.emulator.sdk_client import sdk_for


class SpecCheckingClient:
    """Raw HTTP against an emulator; checks each answer against the spec and records
    which operations were driven."""

    def __init__(self, emulator, spec: dict[str, Any]) -> None:
        self.emulator = emulator
        self.spec = spec
        self.http = requests.Session()
        self.driven: set[str] = set()
        self.problems: list[str] = []
        token = self.http.post(
            f"{emulator.base_url}{API_PREFIX}/login",
            data={"client_id": emulator.client_id, "client_secret": emulator.client_secret},
        ).json()["access_token"]
        self.http.headers["Authorization"] = f"Bearer {token}"

    def call(
        self,
        verb: str,
        path: str,
        body: Any = None,
        expect: int = 200,
        raw: bytes | None = None,
        **query: Any,
    ) -> Any:
        url = f"{self.emulator.base_url}{API_PREFIX}{path}"
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        response = self.http.request(
            verb, url, params=query, data=data, headers={"Content-Type": "application/json"}
        )
        matched = self.emulator.app.router.match(verb, path.split("?")[0])
        assert matched is not None, f"emulator has no route for {verb} {path}"
        route = matched[0]
        op = oas.operation(self.spec, verb, route.template)
        assert op is not None, f"{verb} {route.template} is not in the spec"
        self.driven.add(route.operation)
        where = f"{verb} {path} ({route.operation}) -> {response.status_code}"
        assert response.status_code == expect, f"{where}: expected {expect}: {response.text[:500]}"
        if response.status_code not in oas.UNDECLARED_BUT_REAL:
            assert str(response.status_code) in op["responses"], f"{where}: status not declared"
        if response.status_code == 204:
            assert response.content == b""
            return None
        payload = response.json()
        schema = oas.response_schema(op, response.status_code)
        if schema is None and response.status_code >= 400:
            schema = {"$ref": "#/components/schemas/Error"}
        assert schema is not None, f"{where}: the spec declares no JSON body"
        problems = oas.validate(self.spec, schema, payload)
        self.problems += [f"{where}: {p}" for p in problems[:5]]
        return payload


@pytest.fixture
def spec() -> dict[str, Any]:
    return oas.spec_or_skip()


@pytest.fixture
def api(spec, looker_source) -> SpecCheckingClient:
    return SpecCheckingClient(looker_source, spec)


def test_every_route_the_emulator_serves_is_in_the_spec_with_that_verb(spec):
    missing = [
        f"{r.verb} {r.template} ({r.operation})"
        for r in ROUTES
        if (oas.operation(spec, r.verb, r.template) or {}).get("operationId") != r.operation
    ]
    assert missing == []


def _drive_folders_and_access(api: SpecCheckingClient) -> None:
    folder = api.call("POST", "/folders", {"name": "Conformance", "parent_id": "1"})
    sub = api.call("POST", "/folders", {"name": "Child", "parent_id": folder["id"]})
    api.call("GET", f"/folders/{folder['id']}", fields="id,name")
    api.call("PATCH", f"/folders/{sub['id']}", {"name": "Renamed child"})
    api.call("GET", "/folders")
    api.call("GET", "/folders/search", name="conf%")
    api.call("GET", f"/folders/{folder['id']}/children")
    api.call("GET", f"/folders/{folder['id']}/children/search", name="Renamed%")
    api.call("GET", f"/folders/{sub['id']}/parent")
    api.call("GET", f"/folders/{sub['id']}/ancestors")
    api.call("GET", "/folders/1/looks")
    api.call("GET", "/folders/1/dashboards")
    cm_id = folder["content_metadata_id"]
    api.call("GET", "/content_metadata", parent_id="1")
    api.call("GET", f"/content_metadata/{cm_id}")
    api.call("PATCH", f"/content_metadata/{cm_id}", {"inherits": False})
    # Breaking inheritance copied All Users' row (group 1): grant another group.
    readers = api.call("POST", "/groups", {"name": "Conformance readers"})
    access = api.call(
        "POST",
        "/content_metadata_access",
        {"content_metadata_id": cm_id, "group_id": readers["id"], "permission_type": "view"},
    )
    api.call("GET", "/content_metadata_access", content_metadata_id=cm_id)
    api.call(
        "PUT", f"/content_metadata_access/{access['id']}", {**access, "permission_type": "edit"}
    )
    api.call("DELETE", f"/content_metadata_access/{access['id']}", expect=204)
    api.call("DELETE", f"/folders/{folder['id']}", expect=204)
    api.call("DELETE", f"/groups/{readers['id']}", expect=204)


def _drive_looks_and_dashboards(api: SpecCheckingClient) -> None:
    query = api.call(
        "POST", "/queries", {"model": "thelook", "view": "users", "fields": ["users.count"]}
    )
    api.call("POST", "/queries", {"model": "not_deployed", "view": "users"}, expect=404)
    api.call("GET", f"/queries/{query['id']}")
    api.call("GET", f"/queries/slug/{query['slug']}")
    look = api.call(
        "POST", "/looks", {"title": "Spec look", "folder_id": "1", "query_id": query["id"]}
    )
    api.call("GET", "/looks")
    api.call("GET", "/looks/search", title="spec%")
    api.call("GET", f"/looks/{look['id']}")
    api.call("PATCH", f"/looks/{look['id']}", {"description": "checked"})
    copy = api.call("POST", f"/looks/{look['id']}/copy", folder_id="1")
    api.call("PATCH", f"/looks/{copy['id']}/move", folder_id="2")
    api.call("DELETE", f"/looks/{copy['id']}", expect=204)

    dash = api.call("POST", "/dashboards", {"title": "Spec dashboard", "folder_id": "1"})
    api.call("GET", "/dashboards")
    api.call("GET", "/dashboards/search", title="Spec%")
    api.call("GET", f"/dashboards/{dash['id']}")
    api.call("PATCH", f"/dashboards/{dash['id']}", {"description": "checked"})
    element = api.call(
        "POST",
        "/dashboard_elements",
        {"dashboard_id": dash["id"], "type": "vis", "query_id": query["id"], "title": "Tile"},
    )
    api.call(
        "POST",
        "/dashboard_elements",
        {"dashboard_id": dash["id"], "type": "vis", "look_id": look["id"]},
    )
    api.call(
        "POST",
        "/dashboard_elements",
        {"dashboard_id": dash["id"], "type": "text", "body_text": "hello"},
    )
    api.call("GET", "/dashboard_elements/search", dashboard_id=dash["id"])
    api.call("GET", f"/dashboard_elements/{element['id']}")
    api.call("PATCH", f"/dashboard_elements/{element['id']}", {"title": "Renamed tile"})
    api.call("GET", f"/dashboards/{dash['id']}/dashboard_elements")
    lookml = api.call("GET", f"/dashboards/lookml/{dash['id']}")["lookml"]
    imported = api.call(
        "POST",
        "/dashboards/lookml",
        {"folder_id": "2", "lookml": lookml.replace("preferred_slug: ", "preferred_slug: x")},
    )
    api.call("DELETE", f"/dashboards/{imported['id']}", expect=204)
    # Merged results (tiles slice): a merge query and a tile showing it.
    merge = api.call(
        "POST",
        "/merge_queries",
        {"source_queries": [{"query_id": query["id"], "name": "Users", "merge_fields": []}]},
    )
    api.call("GET", f"/merge_queries/{merge['id']}")
    api.call(
        "POST",
        "/dashboard_elements",
        {"dashboard_id": dash["id"], "type": "vis", "merge_result_id": merge["id"]},
    )
    dfilter = api.call(
        "POST",
        "/dashboard_filters",
        {"dashboard_id": dash["id"], "name": "Date", "title": "Date", "type": "date_filter"},
    )
    api.call("GET", f"/dashboard_filters/{dfilter['id']}")
    api.call("PATCH", f"/dashboard_filters/{dfilter['id']}", {"default_value": "7 days"})
    api.call("GET", f"/dashboards/{dash['id']}/dashboard_filters")
    layouts = api.call("GET", f"/dashboards/{dash['id']}/dashboard_layouts")
    layout = api.call("POST", "/dashboard_layouts", {"dashboard_id": dash["id"], "type": "static"})
    api.call("GET", f"/dashboard_layouts/{layout['id']}")
    api.call("PATCH", f"/dashboard_layouts/{layout['id']}", {"width": 1200})
    components = api.call(
        "GET", f"/dashboard_layouts/{layouts[0]['id']}/dashboard_layout_components"
    )
    api.call("GET", f"/dashboard_layout_components/{components[0]['id']}")
    api.call(
        "PATCH",
        f"/dashboard_layout_components/{components[0]['id']}",
        {"row": 0, "column": 8, "width": 16, "height": 4},
    )
    api.call("DELETE", f"/dashboard_layouts/{layout['id']}", expect=204)
    copy = api.call("POST", f"/dashboards/{dash['id']}/copy", folder_id="1")
    api.call("PATCH", f"/dashboards/{copy['id']}/move", folder_id="2")
    api.call(
        "GET",
        f"/dashboards/{copy['id']}",
        fields="id,dashboard_layouts(id,dashboard_layout_components)",
    )
    api.call("DELETE", f"/dashboard_filters/{dfilter['id']}", expect=204)
    api.call("DELETE", f"/dashboard_elements/{element['id']}", expect=204)
    api.call("DELETE", f"/dashboards/{copy['id']}", expect=204)

    board = api.call("POST", "/boards", {"title": "Spec board"})
    section = api.call("POST", "/board_sections", {"board_id": board["id"], "title": "First"})
    item = api.call(
        "POST", "/board_items", {"board_section_id": section["id"], "dashboard_id": dash["id"]}
    )
    api.call("POST", "/board_items", {"board_section_id": section["id"], "look_id": look["id"]})
    api.call("GET", "/boards")
    api.call("GET", "/boards/search", title="Spec%")
    api.call("GET", f"/boards/{board['id']}")
    api.call("PATCH", f"/boards/{board['id']}", {"description": "checked"})
    api.call("GET", "/board_sections")
    api.call("GET", f"/board_sections/{section['id']}")
    api.call("PATCH", f"/board_sections/{section['id']}", {"title": "Renamed"})
    api.call("GET", "/board_items", board_section_id=section["id"])
    api.call("GET", f"/board_items/{item['id']}")
    api.call(
        "PATCH", f"/board_items/{item['id']}", {"custom_title": "Mine", "use_custom_title": True}
    )
    api.call("DELETE", f"/board_items/{item['id']}", expect=204)
    api.call("DELETE", f"/board_sections/{section['id']}", expect=204)
    api.call("DELETE", f"/boards/{board['id']}", expect=204)

    plan = api.call(
        "POST",
        "/scheduled_plans",
        {
            "name": "Spec plan",
            "dashboard_id": dash["id"],
            "crontab": "0 6 * * *",
            "scheduled_plan_destination": [
                {"type": "email", "format": "wysiwyg_pdf", "address": "a@example.com"}
            ],
        },
    )
    look_plan = api.call(
        "POST",
        "/scheduled_plans",
        {
            "name": "Look plan",
            "look_id": look["id"],
            "require_results": True,
            "require_no_results": False,
            "require_change": False,
            "crontab": "0 6 * * *",
            "scheduled_plan_destination": [
                {"type": "email", "format": "csv", "address": "a@example.com"}
            ],
        },
    )
    api.call("GET", "/scheduled_plans", all_users="true")
    api.call("GET", "/scheduled_plans/search", name="Spec%")
    api.call("GET", f"/scheduled_plans/{plan['id']}")
    api.call("PATCH", f"/scheduled_plans/{plan['id']}", {"crontab": "0 7 * * *"})
    api.call("GET", f"/scheduled_plans/dashboard/{dash['id']}")
    api.call("GET", f"/scheduled_plans/look/{look['id']}")
    api.call("GET", "/scheduled_plans/lookml_dashboard/thelook::overview")
    api.call("GET", "/scheduled_plans/space/1")
    api.call("DELETE", f"/scheduled_plans/{look_plan['id']}", expect=204)
    api.call("DELETE", f"/scheduled_plans/{plan['id']}", expect=204)
    api.call("DELETE", f"/dashboards/{dash['id']}", expect=204)
    api.call("DELETE", f"/looks/{look['id']}", expect=204)


def _drive_people(api: SpecCheckingClient) -> None:
    user = api.call("POST", "/users", {"first_name": "Spec", "last_name": "User"})
    api.call("GET", "/users", ids=user["id"])
    api.call("GET", "/users/search", first_name="spec")
    api.call("GET", f"/users/{user['id']}")
    api.call("PATCH", f"/users/{user['id']}", {"locale": "de"})
    api.call("POST", f"/users/{user['id']}/credentials_email", {"email": "spec.user@example.com"})
    api.call("GET", f"/users/{user['id']}/credentials_email")
    api.call("GET", "/users/credential/email/spec.user@example.com")
    api.call("GET", "/users/search/names/spec%")
    api.call(
        "PATCH",
        f"/users/{user['id']}/credentials_email",
        {"forced_password_reset_at_next_login": True},
    )
    api.call("DELETE", f"/users/{user['id']}/credentials_email", expect=204)
    api.call("GET", "/user")

    group = api.call("POST", "/groups", {"name": "Spec group"})
    inner = api.call("POST", "/groups", {"name": "Spec inner group"})
    api.call("GET", "/groups")
    api.call("GET", "/groups/search", name="spec%")
    api.call("GET", f"/groups/{group['id']}")
    api.call("PATCH", f"/groups/{group['id']}", {"name": "Spec group renamed"})
    api.call("POST", f"/groups/{group['id']}/users", {"user_id": user["id"]})
    api.call("GET", f"/groups/{group['id']}/users")
    api.call("DELETE", f"/groups/{group['id']}/users/{user['id']}", expect=204)
    api.call("POST", f"/groups/{group['id']}/groups", {"group_id": inner["id"]})
    api.call("GET", f"/groups/{group['id']}/groups")
    api.call("DELETE", f"/groups/{group['id']}/groups/{inner['id']}", expect=204)

    pset = api.call(
        "POST",
        "/permission_sets",
        {"name": "Spec perms", "permissions": ["access_data", "see_looks"]},
    )
    mset = api.call("POST", "/model_sets", {"name": "Spec models", "models": ["thelook"]})
    for kind, obj in (("permission_sets", pset), ("model_sets", mset)):
        api.call("GET", f"/{kind}")
        api.call("GET", f"/{kind}/search", name="Spec%")
        api.call("GET", f"/{kind}/{obj['id']}")
        api.call("PATCH", f"/{kind}/{obj['id']}", {"name": obj["name"] + " 2"})
    api.call("GET", "/permissions")
    role = api.call(
        "POST",
        "/roles",
        {"name": "Spec role", "permission_set_id": pset["id"], "model_set_id": mset["id"]},
    )
    api.call("GET", "/roles")
    api.call("GET", "/roles/search", name="spec%")
    api.call("GET", f"/roles/{role['id']}")
    api.call("PATCH", f"/roles/{role['id']}", {"name": "Spec role 2"})
    api.call("PUT", f"/roles/{role['id']}/groups", [group["id"]])
    api.call("GET", f"/roles/{role['id']}/groups")
    api.call("PUT", f"/roles/{role['id']}/users", [user["id"]])
    api.call("GET", f"/roles/{role['id']}/users")
    api.call("PUT", f"/users/{user['id']}/roles", [role["id"]])
    api.call("GET", f"/users/{user['id']}/roles")
    api.call("DELETE", f"/roles/{role['id']}", expect=204)
    api.call("DELETE", f"/permission_sets/{pset['id']}", expect=204)
    api.call("DELETE", f"/model_sets/{mset['id']}", expect=204)
    api.call("DELETE", f"/groups/{group['id']}", expect=204)
    api.call("DELETE", f"/users/{user['id']}", expect=204)

    api.call(
        "POST",
        "/lookml_models",
        {"name": "spec_model", "project_name": "spec", "allowed_db_connection_names": ["thelook"]},
    )
    api.call("GET", "/lookml_models")
    api.call("GET", "/lookml_models/spec_model")
    api.call("PATCH", "/lookml_models/spec_model", {"unlimited_db_connections": True})
    api.call("GET", "/lookml_models/thelook/explores/order_items")
    api.call("DELETE", "/lookml_models/spec_model", expect=204)
    api.call("GET", "/connections")
    api.call("GET", "/connections/thelook")
    api.call("GET", "/versions")


def _drive_session(api: SpecCheckingClient) -> None:
    base = api.emulator.base_url
    response = requests.delete(f"{base}/api/logout", headers=api.http.headers)
    assert response.status_code == 204
    token = api.call(
        "POST",
        "/login",
        raw=f"client_id={api.emulator.client_id}&client_secret={api.emulator.client_secret}".encode(),
    )
    api.http.headers["Authorization"] = f"token {token['access_token']}"
    api.call("DELETE", "/logout", expect=204)


def _drive_alerts_and_user_attributes(api: SpecCheckingClient) -> None:
    dash = api.call("POST", "/dashboards", {"title": "Alerting", "folder_id": "1"})
    tile = api.call("POST", "/dashboard_elements", {"dashboard_id": dash["id"], "type": "text"})
    body = {
        "dashboard_element_id": tile["id"],
        "cron": "0 5 * * *",
        "comparison_type": "LESS_THAN",
        "threshold": 1000,
        "field": {"title": "On hand", "name": "inventory_items.number_on_hand"},
        "destinations": [{"destination_type": "EMAIL", "email_address": "ops@example.com"}],
    }
    alert = api.call("POST", "/alerts", body)
    api.call("POST", "/alerts", {**body, "cron": "*/5 * * * *"}, expect=422)
    api.call("GET", "/alerts/search", all_owners="true", group_by="owner")
    api.call("GET", f"/alerts/{alert['id']}")
    api.call("PUT", f"/alerts/{alert['id']}", {**body, "owner_id": alert["owner_id"]})
    api.call("PATCH", f"/alerts/{alert['id']}", {"is_disabled": True})
    api.call("POST", f"/alerts/{alert['id']}/follow", expect=204)
    api.call("DELETE", f"/alerts/{alert['id']}/follow", expect=204)
    api.call("DELETE", f"/alerts/{alert['id']}", expect=204)

    user = api.call("POST", "/users", {"first_name": "Attr", "last_name": "User"})
    group = api.call("POST", "/groups", {"name": "Attr group"})
    attr = api.call("POST", "/user_attributes", {"name": "zone", "label": "Zone", "type": "string"})
    api.call(
        "POST", "/user_attributes", {"name": "zone", "label": "Z", "type": "string"}, expect=422
    )
    api.call("GET", "/user_attributes", sorts="name")
    api.call("GET", f"/user_attributes/{attr['id']}")
    api.call(
        "PATCH",
        f"/user_attributes/{attr['id']}",
        {"name": "zone", "label": "Zone", "type": "string", "default_value": "north"},
    )
    api.call(
        "POST",
        f"/user_attributes/{attr['id']}/group_values",
        [{"group_id": group["id"], "value": "south"}],
    )
    api.call("GET", f"/user_attributes/{attr['id']}/group_values")
    api.call("PATCH", f"/groups/{group['id']}/attribute_values/{attr['id']}", {"value": "east"})
    api.call("DELETE", f"/groups/{group['id']}/attribute_values/{attr['id']}", expect=204)
    api.call("PATCH", f"/users/{user['id']}/attribute_values/{attr['id']}", {"value": "west"})
    api.call("GET", f"/users/{user['id']}/attribute_values", all_values="true")
    api.call("DELETE", f"/users/{user['id']}/attribute_values/{attr['id']}", expect=204)
    api.call("DELETE", f"/user_attributes/{attr['id']}", expect=204)
    api.call("DELETE", "/user_attributes/1", expect=400)
    token = api.call("POST", f"/login/{user['id']}")
    assert token["access_token"]


def test_every_route_answers_as_the_spec_says(api):
    _drive_folders_and_access(api)
    _drive_looks_and_dashboards(api)
    _drive_people(api)
    _drive_alerts_and_user_attributes(api)
    _drive_session(api)
    assert api.problems == []
    assert sorted({r.operation for r in ROUTES} - api.driven) == []


def test_seeded_objects_validate_against_the_spec(api):
    for dash in api.call("GET", "/dashboards")[:5]:
        api.call("GET", f"/dashboards/{dash['id']}")
    for look in api.call("GET", "/looks")[:5]:
        api.call("GET", f"/looks/{look['id']}")
    api.call("GET", "/users")
    api.call("GET", "/roles")
    api.call("GET", "/boards")
    api.call("GET", "/scheduled_plans", all_users="true")
    api.call("GET", "/lookml_models")
    assert api.problems == []


def test_unknown_ids_answer_a_declared_404_with_an_error_body(api, spec):
    for route in ROUTES:
        if "{" not in route.template or route.verb in ("PUT", "POST", "PATCH"):
            continue
        path = route.template
        for name in route.regex.groupindex:
            path = path.replace("{" + name + "}", "99999")
        if route.operation in ("scheduled_plans_for_lookml_dashboard", "search_users_names"):
            continue
        body = api.call(route.verb, path, expect=404)
        assert body["message"] and "/404/" in body["documentation_url"]
    assert api.problems == []


def test_invalid_bodies_answer_declared_statuses(api):
    body = api.call("POST", "/dashboards", {"title": "No folder"}, expect=422)
    assert body["errors"][0]["field"] == "folder_id"
    api.call("POST", "/folders", {"name": "Orphan"}, expect=422)
    api.call("POST", "/dashboards", raw=b"{not json", expect=400)
    api.call("PATCH", "/looks/1", {"title": 5, "is_run_on_load": "yes"}, expect=422)
    api.call("PATCH", "/permission_sets/1", {"name": "Renamed"}, expect=405)
    api.call("DELETE", "/roles/1", expect=405)
    api.call("POST", "/groups/1/users", {"user_id": "99999"}, expect=404)
    assert api.problems == []


def test_a_missing_token_is_answered_401_with_an_error_body(spec, looker_destination):
    response = requests.get(f"{looker_destination.base_url}/api/4.0/dashboards")
    assert response.status_code == 401
    body = response.json()
    assert oas.validate(spec, {"$ref": "#/components/schemas/Error"}, body) == []
    assert body["documentation_url"].endswith("/401/get/dashboards")


def _spec_operations(spec: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {
        op["operationId"]: (verb.upper(), path)
        for path, ops in spec["paths"].items()
        for verb, op in ops.items()
        if isinstance(op, dict) and "operationId" in op
    }


def test_which_spec_operations_the_emulator_implements(spec):
    in_spec = _spec_operations(spec)
    implemented = sorted({r.operation for r in ROUTES})
    lacking = sorted(set(in_spec) - set(implemented))
    print(
        f"\nemulator implements {len(implemented)} of {len(in_spec)} spec operations:"
        f" {', '.join(implemented)}\nnot emulated ({len(lacking)}): {', '.join(lacking)}"
    )
    assert set(implemented) <= set(in_spec)
    assert len(implemented) == len(ROUTES)
    # The emulator's own catalogue (from the installed SDK) is the spec file's.
    assert {op: (v, p) for v, p, op in sdk_types.spec_operations()} == in_spec


def test_every_spec_operation_the_emulator_lacks_answers_501_not_emulated(spec, api):
    implemented = {r.operation for r in ROUTES}
    wrong = []
    for operation, (verb, template) in sorted(_spec_operations(spec).items()):
        if operation in implemented:
            continue
        path = re.sub(r"\{\w+\}", "1", template)
        response = api.http.request(verb, f"{api.emulator.base_url}{API_PREFIX}{path}", json={})
        body = response.json()
        expected = {
            "message": f"not emulated: {operation}",
            "documentation_url": f"{DOCS}/501/{verb.lower()}/{template.lstrip('/')}".replace(
                "{", ":"
            ).replace("}", ""),
        }
        if response.status_code != 501 or body != expected:
            wrong.append(f"{verb} {path} ({operation}) -> {response.status_code} {body}")
    assert wrong == []


def test_the_sdk_raises_sdkerror_for_an_operation_not_emulated(looker_destination):
    sdk = sdk_for(looker_destination)
    with pytest.raises(error.SDKError) as exc:
        sdk.all_themes()
    assert "not emulated: all_themes" in str(exc.value)
    assert "/501/get/themes" in exc.value.documentation_url


def test_a_path_in_no_spec_operation_stays_404(api):
    response = api.http.get(f"{api.emulator.base_url}{API_PREFIX}/no_such_things/1")
    assert response.status_code == 404
    assert response.json()["message"] == "Not found"
    response = api.http.put(f"{api.emulator.base_url}{API_PREFIX}/dashboards/1", json={})
    assert response.status_code == 405  # the path exists, with other verbs


def test_the_booleans_answered_null_while_unset_are_those_the_spec_declares_nullable(spec):
    nullable = {
        (schema_name, field)
        for schema_name, schema in spec["components"]["schemas"].items()
        for field, prop in (schema.get("properties") or {}).items()
        if prop.get("type") == "boolean" and prop.get("nullable")
    }
    assert sdk_types.NULLABLE_BOOLEANS == nullable
