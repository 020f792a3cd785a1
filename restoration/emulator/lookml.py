"""The LookML deployed on an emulated instance.

Looker keeps two things apart: the LookML *project files* deployed from git (which models
exist and which explores each defines) and the `lookml_model` *configurations* made through
the API (which project a model comes from, which connections it may use).  A model
configuration shows explores only when its project's files define that model; a query
works only against a configured model whose explores include the query's `view`.

The deployed catalogue is `{project_name: {model_name: [explore names]}}`, kept in the
store's meta under "projects" (so a state file keeps it).  It is not reachable through
Looker's API: tests and demos set it with `LookerEmulator(projects=...)`, `--projects`,
`emu.set_projects(...)` or `POST /_emulator/projects`.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from .store import Store

Projects = dict[str, dict[str, list[str]]]

# The demo projects' LookML: model -> explore -> fields the seeds' queries use.
EXPLORES: dict[str, dict[str, list[str]]] = {
    "thelook": {
        "order_items": [
            "order_items.created_date",
            "order_items.total_sale_price",
            "order_items.count",
            "users.state",
            "products.category",
        ],
        "users": [
            "users.id",
            "users.age",
            "users.city",
            "users.state",
            "users.country",
            "users.count",
        ],
        "products": [
            "products.brand",
            "products.category",
            "products.count",
            "products.retail_price",
        ],
        "inventory_items": [
            "inventory_items.created_month",
            "inventory_items.cost",
            "inventory_items.count",
        ],
    },
    "ecommerce_bq": {
        "events": [
            "events.event_type",
            "events.created_date",
            "events.count",
            "events.unique_visitors",
        ],
        "sessions": ["sessions.traffic_source", "sessions.duration", "sessions.count"],
    },
    "faa": {
        "flights": [
            "flights.depart_date",
            "flights.carrier",
            "flights.count",
            "flights.average_distance",
        ],
        "airports": [
            "airports.state",
            "airports.count",
            "airports.average_elevation",
            "airports.facility_type",
        ],
    },
}
MODEL_CONNECTION = {"thelook": "thelook", "ecommerce_bq": "bigquery_prod", "faa": "bigquery_prod"}
# Each demo model lives in a project of the same name.
DEMO_PROJECTS: Projects = {
    model: {model: sorted(explores)} for model, explores in sorted(EXPLORES.items())
}
_NAMED = {"demo": DEMO_PROJECTS, "none": {}, "empty": {}}


def resolve_projects(spec: Any) -> Projects:
    """A catalogue from a name ("demo", "none"), a JSON text or a dict; ValueError if malformed."""
    if spec is None:
        spec = "demo"
    if isinstance(spec, str):
        text = spec.strip()
        if text in _NAMED:
            return copy.deepcopy(_NAMED[text])
        if not text.startswith("{"):
            raise ValueError(
                f"unknown projects {spec!r}: use demo, none or JSON "
                '{"project": {"model": ["explore", ...]}}'
            )
        try:
            spec = json.loads(text)
        except ValueError as exc:
            raise ValueError(f"projects is not valid JSON: {exc}") from None
    shape = 'projects must look like {"project": {"model": ["explore", ...]}}'
    if not isinstance(spec, dict):
        raise ValueError(shape)
    catalogue: Projects = {}
    for project, models in spec.items():
        if not isinstance(project, str) or not project or not isinstance(models, dict):
            raise ValueError(f"{shape}; got {project!r}: {models!r}")
        catalogue[project] = {}
        for model, explores in models.items():
            if (
                not isinstance(model, str)
                or not model
                or not isinstance(explores, list)
                or not all(isinstance(e, str) and e for e in explores)
            ):
                raise ValueError(f"{shape}; got {project}.{model!r}: {explores!r}")
            catalogue[project][model] = list(explores)
    return catalogue


def deployed(s: Store) -> Projects:
    return s.meta.get("projects") or {}


def set_deployed(s: Store, spec: Any) -> Projects:
    catalogue = resolve_projects(spec)
    s.set_meta("projects", catalogue)
    return catalogue


def explores_of(s: Store, model: dict[str, Any]) -> list[str]:
    """The explores a model configuration shows: none unless its project defines the model."""
    project = deployed(s).get(str(model.get("project_name") or ""), {})
    return list(project.get(str(model.get("name")), []))
