"""LookML model configurations (`/lookml_models`), their explores as the deployed
projects define them (see `..lookml`), and database connections.
"""

from __future__ import annotations

import re
from typing import Any

from .. import lookml, sdk_types
from ..errors import already_exists, not_found, problem, validation_failed
from ..routing import NO_CONTENT, Call, route
from ..rules import merge_changes, require, require_fields
from ..search import paginate
from ..store import Store


def create_lookml_model(s: Store, body: dict[str, Any]) -> dict:
    """A model configuration.  Allowed even when no deployed project defines the model: Looker
    lists it with errors and no explores until its LookML is deployed."""
    require_fields(body, "name")
    if not re.fullmatch(r"[a-z0-9_]+", str(body["name"])):
        raise validation_failed(
            problem("name", "invalid", "Model names use lowercase letters, digits and underscores.")
        )
    if s.exists("lookml_model", body["name"]):
        raise already_exists(problem("name", "already_exists", "Model already exists."))
    obj = {
        "project_name": None,
        "allowed_db_connection_names": [],
        "unlimited_db_connections": False,
        "label": body["name"].replace("_", " ").title(),
        **body,
    }
    obj["id"] = body["name"]
    return s.insert("lookml_model", obj, object_id=body["name"])


def configure_deployed_models(s: Store) -> list[str]:
    """What Looker "often" does when a project is deployed to production (EVIDENCE.md,
    "Built-ins"): configure each deployed model whose name no configured model has yet,
    with all connections allowed.  Only on instances whose meta `auto_configure_models` is
    set (`LookerEmulator(auto_configure_models=True)`).  Returns the models configured."""
    if not s.meta.get("auto_configure_models"):
        return []
    made = []
    for project, models in sorted(lookml.deployed(s).items()):
        for model in sorted(models):
            if s.exists("lookml_model", model) or not re.fullmatch(r"[a-z0-9_]+", model):
                continue
            create_lookml_model(
                s,
                {
                    "name": model,
                    "project_name": project,
                    "allowed_db_connection_names": [],
                    "unlimited_db_connections": True,
                },
            )
            made.append(model)
    return made


def update_lookml_model(s: Store, obj: dict[str, Any], body: dict[str, Any]) -> None:
    if "name" in body and body["name"] != obj["name"]:
        raise validation_failed(problem("name", "invalid", "A model can't be renamed."))
    merge_changes(obj, body)
    s.touch("lookml_model", obj["id"])


def render_lookml_model(s: Store, obj: dict[str, Any]) -> dict[str, Any]:
    values = dict(obj)
    explores = lookml.explores_of(s, obj)
    values["explores"] = [
        {
            "name": e,
            "description": None,
            "label": e.replace("_", " ").title(),
            "hidden": False,
            "group_label": obj.get("label"),
        }
        for e in explores
    ]
    values["has_content"] = bool(explores)
    return sdk_types.render("LookmlModel", values)


def render_connection(obj: dict[str, Any]) -> dict[str, Any]:
    return sdk_types.render("DBConnection", {"snippets": [], **obj, "password": None})


@route("POST", "/lookml_models", "create_lookml_model", kind="lookml_model")
def serve_create_lookml_model(call: Call) -> dict[str, Any]:
    return render_lookml_model(call.store, create_lookml_model(call.store, call.body()))


@route("GET", "/lookml_models", "all_lookml_models")
def serve_all_lookml_models(call: Call) -> list[dict[str, Any]]:
    rows = sorted(call.store.all("lookml_model"), key=lambda m: m["name"])
    if call.flag("exclude_empty"):
        rows = [m for m in rows if lookml.explores_of(call.store, m)]
    return [render_lookml_model(call.store, m) for m in paginate(rows, call.query)]


@route("GET", "/lookml_models/{lookml_model_name}", "lookml_model")
def serve_get_lookml_model(call: Call) -> dict[str, Any]:
    return render_lookml_model(
        call.store, require(call.store, "lookml_model", call.params["lookml_model_name"])
    )


@route("PATCH", "/lookml_models/{lookml_model_name}", "update_lookml_model", kind="lookml_model")
def serve_update_lookml_model(call: Call) -> dict[str, Any]:
    model = require(call.store, "lookml_model", call.params["lookml_model_name"])
    update_lookml_model(call.store, model, call.body())
    return render_lookml_model(call.store, model)


@route("DELETE", "/lookml_models/{lookml_model_name}", "delete_lookml_model")
def serve_delete_lookml_model(call: Call) -> Any:
    model = require(call.store, "lookml_model", call.params["lookml_model_name"])
    call.store.remove("lookml_model", model["name"])
    return NO_CONTENT


@route("GET", "/lookml_models/{lookml_model_name}/explores/{explore_name}", "lookml_model_explore")
def serve_lookml_model_explore(call: Call) -> dict[str, Any]:
    model = require(call.store, "lookml_model", call.params["lookml_model_name"])
    name = call.params["explore_name"]
    if name not in lookml.explores_of(call.store, model):
        raise not_found()
    return sdk_types.render(
        "LookmlModelExplore",
        {
            "id": f"{model['name']}::{name}",
            "name": name,
            "model_name": model["name"],
            "label": name.replace("_", " ").title(),
            "view_name": name,
            "project_name": model.get("project_name"),
            "connection_name": (model.get("allowed_db_connection_names") or [None])[0],
            "hidden": False,
            "supported_measure_types": [],
        },
    )


@route("GET", "/connections", "all_connections")
def serve_all_connections(call: Call) -> list[dict[str, Any]]:
    rows = sorted(call.store.all("connection"), key=lambda c: c["name"])
    return [render_connection(c) for c in rows]


@route("GET", "/connections/{connection_name}", "connection")
def serve_get_connection(call: Call) -> dict[str, Any]:
    return render_connection(require(call.store, "connection", call.params["connection_name"]))
