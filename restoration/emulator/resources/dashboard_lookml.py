"""A dashboard as LookML text: `GET /dashboards/lookml/{id}` writes a user-defined
dashboard as Looker exports it (YAML: `- dashboard:` with its elements, filters and
layout places) and `POST /dashboards/lookml` makes a dashboard from such a text, or
overwrites the one with its `preferred_slug`.  A LookML dashboard (`model::name`) answers
500, as Looker does today (sdk-codegen #1639).
"""

from __future__ import annotations

import re
from typing import Any

from .. import sdk_types
from ..errors import LookerError, problem, validation_failed
from ..lookml_yaml import YamlError, dump, load
from ..routing import Call, route
from ..rules import children_of, require
from ..store import Store
from .dashboards import (
    check_title_unique_in_folder,
    create_dashboard,
    create_element,
    create_filter,
    delete_element,
    delete_filter,
    render_dashboard,
    update_dashboard,
)
from .queries import check_query_model

# Dashboard fields and the LookML key each is written under.
_DASHBOARD_KEYS = {
    "description": "description",
    "refresh_interval": "refresh",
    "crossfilter_enabled": "crossfilter_enabled",
    "filters_bar_collapsed": "filters_bar_collapsed",
    "background_color": "background_color",
    "query_timezone": "query_timezone",
    "load_configuration": "load_configuration",
    "show_title": "show_title",
    "show_filters_bar": "show_filters_bar",
}
# Query fields written on a tile (`view` is written as `explore`; `limit` as a number).
_QUERY_KEYS = (
    "model",
    "fields",
    "pivots",
    "fill_fields",
    "filters",
    "filter_expression",
    "sorts",
    "limit",
    "column_limit",
    "total",
    "row_total",
    "subtotals",
    "dynamic_fields",
    "query_timezone",
)
_TEXT_KEYS = ("title_text", "subtitle_text", "body_text", "note_text", "note_state", "note_display")
_PLACE_KEYS = {"row": "row", "col": "column", "width": "width", "height": "height"}
_ELEMENT_KEYS = {"name", "title", "type", "explore", "listen", "refresh", "title_hidden"}
_FILTER_KEYS = (
    "name",
    "title",
    "type",
    "default_value",
    "allow_multiple_values",
    "required",
    "ui_config",
    "model",
    "explore",
    "listens_to_filters",
)


def _present(value: Any) -> bool:
    return value is not None and value != ""


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, str) and value.isdigit() else value


def _element_lookml(
    s: Store, element: dict[str, Any], place: dict[str, Any], number: int
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if _present(element.get("title")):
        out["title"] = element["title"]
    out["name"] = element.get("title") or f"tile_{number}"
    query = s.get("query", element.get("query_id"))
    look = s.get("look", element.get("look_id"))
    if query is None and look is not None:
        # A Look's tile is written with the Look's query: the LookML keeps what it shows.
        query = s.get("query", look.get("query_id"))
        out.setdefault("title", look.get("title"))
    if query is not None:
        vis = dict(query.get("vis_config") or {})
        out["model"] = query.get("model")
        out["explore"] = query.get("view")
        out["type"] = vis.pop("type", None) or element.get("type") or "table"
        for key in _QUERY_KEYS[1:]:
            if _present(query.get(key)) and query.get(key) not in ([], {}):
                out[key] = _number(query[key]) if key in ("limit", "column_limit") else query[key]
        listen = _listen_of(element)
        if listen:
            out["listen"] = listen
        out.update({k: v for k, v in vis.items() if k not in out and v is not None})
    else:
        out["type"] = element.get("type") or "text"
    for key in _TEXT_KEYS:
        if _present(element.get(key)) and key not in out:
            out[key] = element[key]
    if element.get("title_hidden"):
        out["title_hidden"] = True
    if _present(element.get("refresh_interval")):
        out["refresh"] = element["refresh_interval"]
    for key, field in _PLACE_KEYS.items():
        if place.get(field) is not None:
            out[key] = place[field]
    return out


def _listen_of(element: dict[str, Any]) -> dict[str, str]:
    """Which dashboard filter feeds which field, from the tile's result maker (when the
    emulator keeps one for the tile)."""
    listen: dict[str, str] = {}
    for filterable in (element.get("result_maker") or {}).get("filterables") or []:
        for item in filterable.get("listen") or []:
            if item.get("dashboard_filter_name") and item.get("field"):
                listen[item["dashboard_filter_name"]] = item["field"]
    return listen


def _filter_lookml(dfilter: dict[str, Any]) -> dict[str, Any]:
    out = {k: dfilter[k] for k in _FILTER_KEYS if dfilter.get(k) is not None}
    if _present(dfilter.get("dimension")):
        out["field"] = dfilter["dimension"]
    return out


def dashboard_lookml(s: Store, dash: dict[str, Any]) -> str:
    """The dashboard as LookML text, in Looker's shape."""
    layout = next(
        (
            lay
            for lay in children_of(s, "dashboard_layout", dash.get("_layout_ids"))
            if lay.get("active")
        ),
        None,
    )
    places = {
        c["dashboard_element_id"]: c
        for c in children_of(s, "dashboard_layout_component", (layout or {}).get("_component_ids"))
    }
    doc: dict[str, Any] = {
        "dashboard": re.sub(r"[^a-z0-9]+", "_", str(dash["title"]).lower()).strip("_")
        or f"dashboard_{dash['id']}",
        "title": dash["title"],
        "layout": (layout or {}).get("type") or "newspaper",
        "preferred_viewer": "dashboards-next",
    }
    for field, key in _DASHBOARD_KEYS.items():
        if dash.get(field) is not None:
            doc[key] = dash[field]
    doc["preferred_slug"] = dash.get("slug")
    doc["elements"] = [
        _element_lookml(s, e, places.get(e["id"], {}), n)
        for n, e in enumerate(children_of(s, "dashboard_element", dash.get("_element_ids")), 1)
    ]
    doc["filters"] = [
        _filter_lookml(f) for f in children_of(s, "dashboard_filter", dash.get("_filter_ids"))
    ]
    return dump([doc])


# --- reading LookML back ----------------------------------------------------------------


def _invalid(message: str) -> LookerError:
    return validation_failed(problem("lookml", "invalid", message))


def _parse(text: Any) -> dict[str, Any]:
    if not isinstance(text, str) or not text.strip():
        raise validation_failed(problem("lookml", "missing", "This field is required."))
    try:
        doc = load(text)
    except YamlError as exc:
        raise _invalid(f"LookML is not valid YAML: {exc}") from None
    if isinstance(doc, list) and len(doc) == 1:
        doc = doc[0]
    if not isinstance(doc, dict) or "dashboard" not in doc:
        raise _invalid("LookML must hold one '- dashboard:' with its title, elements and filters.")
    for key in ("elements", "filters"):
        items = doc.get(key) or []
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise _invalid(f"'{key}' must be a list of 'name: ...' entries.")
    return doc


def _tile_bodies(doc: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """(element body, query body or None) for each element of the LookML."""
    out = []
    for item in doc.get("elements") or []:
        element: dict[str, Any] = {}
        if _present(item.get("title")):
            element["title"] = str(item["title"])
        if item.get("title_hidden"):
            element["title_hidden"] = True
        if _present(item.get("refresh")):
            element["refresh_interval"] = str(item["refresh"])
        query = None
        if item.get("model") or item.get("explore"):
            if not item.get("model") or not item.get("explore"):
                raise _invalid(f"element {item.get('name')!r} needs both model and explore.")
            query = {"model": str(item["model"]), "view": str(item["explore"])}
            for key in _QUERY_KEYS[1:]:
                if key in item:
                    value = item[key]
                    query[key] = str(value) if key in ("limit", "column_limit") else value
            vis = {
                k: v
                for k, v in item.items()
                if k not in _ELEMENT_KEYS
                and k not in _QUERY_KEYS
                and k not in _PLACE_KEYS
                and k not in _TEXT_KEYS
            }
            vis["type"] = item.get("type") or "table"
            query["vis_config"] = vis
            element["type"] = "vis"
            listen = item.get("listen") or {}
            if listen:
                if not isinstance(listen, dict):
                    raise _invalid(
                        f"element {item.get('name')!r}: listen must map filters to fields."
                    )
                element["result_maker"] = {
                    "filterables": [
                        {
                            "model": query["model"],
                            "view": query["view"],
                            "listen": [
                                {"dashboard_filter_name": str(k), "field": str(v)}
                                for k, v in listen.items()
                            ],
                        }
                    ]
                }
        else:
            element["type"] = str(item.get("type") or "text")
        for key in _TEXT_KEYS:
            if _present(item.get(key)):
                element[key] = str(item[key])
        element["_place"] = {
            field: item[key]
            for key, field in _PLACE_KEYS.items()
            if isinstance(item.get(key), int) and item[key] >= 0
        }
        out.append((element, query))
    return out


def _filter_bodies(doc: dict[str, Any]) -> list[dict[str, Any]]:
    bodies, names, titles = [], set(), set()
    for item in doc.get("filters") or []:
        body = {k: item[k] for k in _FILTER_KEYS if item.get(k) is not None}
        if _present(item.get("field")):
            body["dimension"] = str(item["field"])
        body.setdefault("title", body.get("name"))
        for field in ("name", "title", "type"):
            if not _present(body.get(field)):
                raise validation_failed(
                    problem("lookml", "missing", f"A filter needs a {field}: {item}")
                )
        if body["name"] in names:
            raise _invalid(f"Filter name {body['name']!r} appears twice.")
        if str(body["title"]).lower() in titles:
            # As Looker answers (lmanage create_dashboards.py handles this message).
            raise _invalid("Filter with this title already exists.")
        names.add(body["name"])
        titles.add(str(body["title"]).lower())
        if isinstance(body.get("default_value"), bool | int | float):
            body["default_value"] = str(body["default_value"])
        bodies.append(body)
    return bodies


def import_dashboard(
    s: Store, text: Any, folder_id: str | None, user_id: str | None
) -> dict[str, Any]:
    """Make (or overwrite, by `preferred_slug`) a dashboard from LookML.  Everything is
    checked before anything is written, so a rejected text changes nothing."""
    doc = _parse(text)
    tiles = _tile_bodies(doc)
    filters = _filter_bodies(doc)
    slug = doc.get("preferred_slug")
    existing = next(
        (d for d in s.where("dashboard", "slug", str(slug)) if slug), None
    )  # overwritten, as the spec says
    if folder_id is not None and not s.exists("folder", folder_id):
        raise validation_failed(
            problem("folder_id", "missing", f"Folder {folder_id} does not exist.")
        )
    if folder_id is None:
        if existing is not None:
            folder_id = existing["folder_id"]
        else:
            user = s.get("user", user_id) or {}
            folder_id = user.get("personal_folder_id")
            if folder_id is None:
                raise validation_failed(problem("folder_id", "missing", "This field is required."))
    title = doc.get("title") or doc["dashboard"]
    check_title_unique_in_folder(s, title, folder_id, existing["id"] if existing else None)
    for _, query in tiles:
        if query is not None:
            check_query_model(s, query)
    fields = {
        field: doc[key]
        for field, key in _DASHBOARD_KEYS.items()
        if key in doc and doc[key] is not None
    }
    if "refresh_interval" in fields:
        fields["refresh_interval"] = str(fields["refresh_interval"])
    if existing is None:
        dash = create_dashboard(
            s,
            {"title": str(title), "folder_id": folder_id, **fields, "slug": slug or None},
            user_id,
        )
    else:
        dash = existing
        update_dashboard(
            s,
            dash,
            {"title": str(title), "folder_id": folder_id, "deleted": False, **fields},
            user_id,
        )
        for element in children_of(s, "dashboard_element", list(dash["_element_ids"])):
            delete_element(s, element)
        for dfilter in children_of(s, "dashboard_filter", list(dash["_filter_ids"])):
            delete_filter(s, dfilter)
    for body in filters:
        create_filter(s, {**body, "dashboard_id": dash["id"]})
    layout = s.get("dashboard_layout", next(iter(dash["_layout_ids"]), None))
    for element, query in tiles:
        place = element.pop("_place")
        if query is not None:
            element["query"] = query
        made = create_element(s, {**element, "dashboard_id": dash["id"]})
        for component in children_of(
            s, "dashboard_layout_component", (layout or {}).get("_component_ids")
        ):
            if component["dashboard_element_id"] == made["id"] and place:
                component.update(place)
                s.touch("dashboard_layout_component", component["id"])
    return dash


@route("GET", "/dashboards/lookml/{dashboard_id}", "dashboard_lookml")
def serve_dashboard_lookml(call: Call) -> dict[str, Any]:
    dashboard_id = call.params["dashboard_id"]
    if "::" in dashboard_id:
        # LookML dashboards: Looker answers 500 "An error has occurred." (sdk-codegen #1639).
        raise LookerError(500, "An error has occurred.")
    dash = require(call.store, "dashboard", dashboard_id)
    return sdk_types.render(
        "DashboardLookml",
        {"dashboard_id": dash["id"], "lookml": dashboard_lookml(call.store, dash)},
    )


@route("POST", "/dashboards/lookml", "import_dashboard_from_lookml", kind="dashboard")
def serve_import_dashboard_from_lookml(call: Call) -> dict[str, Any]:
    body = call.body()
    dash = import_dashboard(call.store, body.get("lookml"), body.get("folder_id"), call.user_id)
    return render_dashboard(call.store, dash)
