"""Dashboards and their parts: tiles (dashboard elements), filters, layouts and layout
components; copy, move, soft delete, search; a folder's dashboards.

Why one module of this size: Looker keeps a dashboard's parts consistent with each other
(a tile gets its layout component, a deleted tile loses it, a copy copies them all), so
the rules and routes of the parts stay beside the dashboard's.
"""

from __future__ import annotations

from typing import Any

from .. import sdk_types
from ..errors import already_exists, problem, validation_failed
from ..routing import NO_CONTENT, Call, route
from ..rules import (
    check_references,
    children_of,
    merge_changes,
    now,
    require,
    require_fields,
    slug_for,
)
from ..search import search, sort_rows
from ..store import Store
from .boards import delete_board_item
from .folders import (
    FolderContent,
    delete_content_metadata,
    folder_base,
    folder_param,
    move_content_metadata,
    new_content_metadata,
    soft_delete_fields,
)
from .looks import content_search_view, curated, render_look, visible
from .merge_queries import render_merge_query
from .queries import check_query, create_query, nested_query, render_query
from .users import display_name


def check_title_unique_in_folder(
    s: Store, title: Any, folder_id: Any, exclude_id: str | None = None
) -> None:
    """A dashboard's title is unique in its folder (spec: create_dashboard; looker-cli #177,
    #188, #234), compared exactly: no evidence that Looker folds case. Trashed dashboards
    don't count."""
    for other in s.where("dashboard", "folder_id", folder_id):
        if other["id"] != exclude_id and not other.get("deleted") and other.get("title") == title:
            raise already_exists(
                problem(
                    "[:title, :space_id]",
                    "already_exists",
                    "Dashboard with this title already exists.",
                ),
                status=422,
            )


def create_dashboard(s: Store, body: dict[str, Any], user_id: str | None) -> dict[str, Any]:
    body.pop("folder", None)
    require_fields(body, "title", "folder_id")
    check_references(s, body, {"folder_id": "folder", "user_id": "user"})
    check_title_unique_in_folder(s, body["title"], body["folder_id"])
    if body.get("slug"):
        _check_unique_slug(s, body["slug"], None)
    dashboard = {
        "description": None,
        "hidden": False,
        "deleted": False,
        "user_id": user_id,
        "load_configuration": "wait",
        **body,
        "id": s.next_id("dashboard"),
        "created_at": now(),
        "updated_at": now(),
        "view_count": 0,
        "favorite_count": 0,
        "_element_ids": [],
        "_filter_ids": [],
        "_layout_ids": [],
    }
    dashboard.setdefault("slug", None)
    dashboard["slug"] = dashboard["slug"] or slug_for("dashboard", dashboard["id"])
    dashboard["content_metadata_id"] = new_content_metadata(
        s, "dashboard", dashboard["title"], dashboard["folder_id"], dashboard_id=dashboard["id"]
    )
    s.insert("dashboard", dashboard)
    create_layout(s, {"dashboard_id": dashboard["id"], "type": "newspaper", "active": True})
    return dashboard


def _check_unique_slug(s: Store, slug: str, exclude_id: str | None) -> None:
    for other in s.where("dashboard", "slug", slug):
        if other["id"] != exclude_id:
            # 409 "The resource already exists.": looker-cli #14, #19, #306; gzr PR #295.
            raise already_exists(
                problem("slug", "already_exists", "Slug has already been taken."), status=409
            )


def update_dashboard(
    s: Store, dash: dict[str, Any], body: dict[str, Any], user_id: str | None
) -> None:
    body.pop("folder", None)
    check_references(s, body, {"folder_id": "folder", "user_id": "user"})
    for field in ("title", "folder_id"):
        if field in body and body[field] in (None, ""):
            raise validation_failed(problem(field, "missing", "This field is required."))
    deleted = body.get("deleted", dash.get("deleted"))
    if not deleted:
        check_title_unique_in_folder(
            s,
            body.get("title", dash["title"]),
            body.get("folder_id", dash["folder_id"]),
            dash["id"],
        )
    if body.get("slug"):
        _check_unique_slug(s, body["slug"], dash["id"])
    soft_delete_fields(dash, body, user_id)
    merge_changes(dash, body)
    dash["last_updater_id"] = user_id
    s.touch("dashboard", dash["id"])
    move_content_metadata(s, dash.get("content_metadata_id"), dash["folder_id"], dash["title"])


def delete_dashboard(s: Store, dash: dict[str, Any]) -> None:
    for element_id in list(dash.get("_element_ids", [])):
        s.remove("dashboard_element", element_id)
    for filter_id in list(dash.get("_filter_ids", [])):
        s.remove("dashboard_filter", filter_id)
    for layout_id in list(dash.get("_layout_ids", [])):
        layout = s.remove("dashboard_layout", layout_id)
        for component_id in (layout or {}).get("_component_ids", []):
            s.remove("dashboard_layout_component", component_id)
    s.remove("dashboard", dash["id"])
    delete_content_metadata(s, dash.get("content_metadata_id"))
    for plan in s.where("scheduled_plan", "dashboard_id", dash["id"]):
        s.remove("scheduled_plan", plan["id"])
    for item in s.all("board_item"):
        if item.get("dashboard_id") == dash["id"]:
            delete_board_item(s, item)


def render_dashboard(s: Store, dash: dict[str, Any], model: str = "Dashboard") -> dict[str, Any]:
    values = dict(dash)
    user = s.get("user", dash.get("user_id"))
    values["folder"] = folder_base(s, dash.get("folder_id"))
    values["user_name"] = display_name(user) if user else None
    values["url"] = f"/dashboards/{dash['id']}"
    values["edit_uri"] = f"/dashboards/{dash['id']}/edit"
    values["readonly"] = False
    values["refresh_interval_to_i"] = None
    if model == "Dashboard":
        values["dashboard_elements"] = [
            render_element(s, e)
            for e in children_of(s, "dashboard_element", dash.get("_element_ids"))
        ]
        values["dashboard_filters"] = [
            sdk_types.render("DashboardFilter", f)
            for f in children_of(s, "dashboard_filter", dash.get("_filter_ids"))
        ]
        values["dashboard_layouts"] = [
            render_layout(s, lay)
            for lay in children_of(s, "dashboard_layout", dash.get("_layout_ids"))
        ]
    return sdk_types.render(model, values)


def copy_dashboard(s: Store, dash: dict[str, Any], folder_id: str, user_id: str | None) -> dict:
    title = dash["title"]
    existing = {
        o.get("title") for o in s.where("dashboard", "folder_id", folder_id) if not o.get("deleted")
    }
    while title in existing:
        title = f"{title} (copy)"
    fields = sdk_types.model_fields("WriteDashboard")
    body = {k: v for k, v in dash.items() if k in fields and k not in ("slug", "folder", "deleted")}
    copy = create_dashboard(s, {**body, "title": title, "folder_id": folder_id}, user_id)
    # The copy's tiles get result makers of their own, as in Looker.
    element_fields = set(sdk_types.model_fields("WriteDashboardElement")) - {"result_maker_id"}
    for element in children_of(s, "dashboard_element", dash.get("_element_ids")):
        body = {k: v for k, v in element.items() if k in element_fields}
        if element.get("_result_maker"):
            body["result_maker"] = dict(element["_result_maker"])
        create_element(s, {**body, "dashboard_id": copy["id"]})
    filter_fields = sdk_types.model_fields("WriteCreateDashboardFilter")
    for dfilter in children_of(s, "dashboard_filter", dash.get("_filter_ids")):
        body = {k: v for k, v in dfilter.items() if k in filter_fields}
        create_filter(s, {**body, "dashboard_id": copy["id"]})
    return copy


_ELEMENT_REFS = {
    "dashboard_id": "dashboard",
    "look_id": "look",
    "query_id": "query",
    "dashboard_layout_id": "dashboard_layout",
}


_RESULT_SOURCES = ("query_id", "look_id", "merge_result_id")


def _check_result_maker(body: dict[str, Any]) -> None:
    """Looker refuses a tile naming its result maker together with what the result maker is
    made from (an element copied verbatim from a GET has both)."""
    if body.get("result_maker_id") and any(body.get(k) for k in _RESULT_SOURCES):
        raise validation_failed(
            problem(
                "result_maker_id",
                "invalid",
                "Query ID, Look ID, and Merge Result ID should not be specified if a"
                " Result Maker ID is provided",
            )
        )


# What a tile's result maker keeps of its own; the rest (id, query_id, query) is the
# tile's and is rendered from it.
RESULT_MAKER_SETTINGS = ("filterables", "vis_config", "dynamic_fields", "sorts", "total")


def _take_result_maker(
    s: Store, body: dict[str, Any], query_body: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The result maker's settings sent with a tile (filterables with `listen`, vis
    config, dynamic fields, sorts, total), taken out of `body`, and the query to create
    for the tile. Its `merge_result_id` and inline `query` become the tile's own when the
    tile names none (as gzr imports them); the inline query is checked now and created
    with the tile's once every other check has passed. `listen` is readOnly in the spec,
    yet the SDK sends it and Looker keeps it (API-NOTES section 9): stored."""
    result_maker = body.pop("result_maker", None)
    if not isinstance(result_maker, dict):
        return None, query_body
    if result_maker.get("merge_result_id") and not body.get("merge_result_id"):
        body["merge_result_id"] = result_maker["merge_result_id"]
    inline = result_maker.get("query")
    if (
        inline
        and query_body is None
        and not body.get("query_id")
        and not body.get("merge_result_id")
    ):
        check_query(s, inline)
        query_body = inline
    # The SDK sends every nested field, unset ones as null: null means "not given".
    settings = {
        k: result_maker[k] for k in RESULT_MAKER_SETTINGS if result_maker.get(k) is not None
    }
    return settings, query_body


def create_element(s: Store, body: dict[str, Any]) -> dict[str, Any]:
    body.pop("look", None)
    require_fields(body, "dashboard_id")
    _check_result_maker(body)
    query_body = nested_query(s, body)
    result_maker, query_body = _take_result_maker(s, body, query_body)
    check_references(s, body, _ELEMENT_REFS)
    if query_body is not None:
        body["query_id"] = create_query(s, query_body)["id"]
    element_type = body.get("type") or (
        "vis" if body.get("query_id") or body.get("look_id") else "text"
    )
    element = {
        "title_hidden": False,
        **body,
        "type": element_type,
        "id": s.next_id("dashboard_element"),
        "_result_maker": result_maker or {},
    }
    if not element.get("result_maker_id") and any(element.get(k) for k in _RESULT_SOURCES):
        # Looker answers every data tile with the id of the result maker it made for it.
        element["result_maker_id"] = s.next_id("result_maker")
    s.insert("dashboard_element", element)
    dash = s.get("dashboard", element["dashboard_id"])
    dash["_element_ids"].append(element["id"])
    s.touch("dashboard", dash["id"])
    # Looker places a new tile at the bottom of every layout of the dashboard.
    for layout in children_of(s, "dashboard_layout", dash["_layout_ids"]):
        _add_component(s, layout, element["id"])
    return element


def _add_component(s: Store, layout: dict[str, Any], element_id: str) -> dict[str, Any]:
    rows = [
        (c.get("row") or 0) + (c.get("height") or 0)
        for c in children_of(s, "dashboard_layout_component", layout["_component_ids"])
    ]
    component = {
        "id": s.next_id("dashboard_layout_component"),
        "dashboard_layout_id": layout["id"],
        "dashboard_element_id": element_id,
        "row": max(rows, default=0),
        "column": 0,
        "width": 8,
        "height": 6,
        "deleted": False,
    }
    s.insert("dashboard_layout_component", component)
    layout["_component_ids"].append(component["id"])
    s.touch("dashboard_layout", layout["id"])
    return component


def update_element(s: Store, element: dict[str, Any], body: dict[str, Any]) -> None:
    body.pop("look", None)
    _check_result_maker(body)
    query_body = nested_query(s, body)
    result_maker, query_body = _take_result_maker(s, body, query_body)
    if "dashboard_id" in body and body["dashboard_id"] != element["dashboard_id"]:
        raise validation_failed(
            problem("dashboard_id", "invalid", "A tile can't move to another dashboard.")
        )
    check_references(s, body, _ELEMENT_REFS)
    if query_body is not None:
        body["query_id"] = create_query(s, query_body)["id"]
    element.update(body)
    if result_maker is not None:
        # The settings sent replace the stored ones; those not sent are kept.
        element["_result_maker"] = {**element.get("_result_maker", {}), **result_maker}
    if not element.get("result_maker_id") and any(element.get(k) for k in _RESULT_SOURCES):
        element["result_maker_id"] = s.next_id("result_maker")
    s.touch("dashboard_element", element["id"])


def delete_element(s: Store, element: dict[str, Any]) -> None:
    dash = s.get("dashboard", element["dashboard_id"])
    if dash is not None:
        if element["id"] in dash["_element_ids"]:
            dash["_element_ids"].remove(element["id"])
        s.touch("dashboard", dash["id"])
        for layout in children_of(s, "dashboard_layout", dash["_layout_ids"]):
            for component in children_of(s, "dashboard_layout_component", layout["_component_ids"]):
                if component["dashboard_element_id"] == element["id"]:
                    s.remove("dashboard_layout_component", component["id"])
                    layout["_component_ids"].remove(component["id"])
                    s.touch("dashboard_layout", layout["id"])
    s.remove("dashboard_element", element["id"])


def render_element(s: Store, element: dict[str, Any]) -> dict[str, Any]:
    values = dict(element)
    query = s.get("query", element.get("query_id"))
    look = s.get("look", element.get("look_id"))
    values["query"] = render_query(query) if query else None
    values["look"] = render_look(s, look) if look else None
    # A tile showing a Look answers `query: null`: the query is the Look's, under `look`
    # (gzr's export of a real dashboard, samples/gzr-dashboard-export.json, tiles 68 and 70).
    constituent = values["query"]
    if look is not None and constituent is None:
        look_query = s.get("query", look.get("query_id"))
        constituent = render_query(look_query) if look_query else None
    for key in ("body_text", "note_text", "title_text", "subtitle_text"):
        text = element.get(key)
        values[f"{key}_as_html"] = f"<p>{text}</p>" if text else None
    values["edit_uri"] = f"/dashboards/{element['dashboard_id']}/edit"
    values["alert_count"] = 0
    values["result_maker"] = render_result_maker(s, element, constituent)
    return sdk_types.render("DashboardElement", values)


def render_result_maker(
    s: Store, element: dict[str, Any], query: dict[str, Any] | None
) -> dict[str, Any] | None:
    """A data tile's result maker: its stored settings; vis config, sorts, total and
    dynamic fields not set on the tile are those of the constituent query or merge query
    (the spec's descriptions: "Vis config of the constituent Query, or Merge Query")."""
    if not element.get("result_maker_id"):
        return None
    merge = s.get("merge_query", element.get("merge_result_id"))
    constituent = render_merge_query(s, merge) if merge else (query or {})
    values = {k: constituent.get(k) for k in ("vis_config", "sorts", "total", "dynamic_fields")}
    values.update(element.get("_result_maker") or {})
    values.update(
        {
            "id": element["result_maker_id"],
            "query_id": None if merge else (query or {}).get("id"),
            "query": None if merge else query,
            "merge_result_id": element.get("merge_result_id"),
        }
    )
    return sdk_types.render("ResultMakerWithIdVisConfigAndDynamicFields", values)


def create_filter(s: Store, body: dict[str, Any]) -> dict[str, Any]:
    require_fields(body, "dashboard_id", "name", "title", "type")
    check_references(s, body, {"dashboard_id": "dashboard"})
    dash = s.get("dashboard", body["dashboard_id"])
    for other in children_of(s, "dashboard_filter", dash["_filter_ids"]):
        if other.get("name") == body["name"]:
            raise already_exists(
                problem("name", "already_exists", "Filter name already exists on this dashboard.")
            )
    dfilter = {
        "allow_multiple_values": True,
        "required": False,
        "listens_to_filters": [],
        "row": len(dash["_filter_ids"]),
        **body,
        "id": s.next_id("dashboard_filter"),
    }
    s.insert("dashboard_filter", dfilter)
    dash["_filter_ids"].append(dfilter["id"])
    s.touch("dashboard", dash["id"])
    return dfilter


def update_filter(s: Store, dfilter: dict[str, Any], body: dict[str, Any]) -> None:
    for field in ("name", "title", "type"):
        if field in body and body[field] in (None, ""):
            raise validation_failed(problem(field, "missing", "This field is required."))
    dfilter.update(body)
    s.touch("dashboard_filter", dfilter["id"])


def delete_filter(s: Store, dfilter: dict[str, Any]) -> None:
    dash = s.get("dashboard", dfilter["dashboard_id"])
    if dash is not None and dfilter["id"] in dash["_filter_ids"]:
        dash["_filter_ids"].remove(dfilter["id"])
        s.touch("dashboard", dash["id"])
    s.remove("dashboard_filter", dfilter["id"])


def create_layout(s: Store, body: dict[str, Any]) -> dict[str, Any]:
    require_fields(body, "dashboard_id")
    check_references(s, body, {"dashboard_id": "dashboard"})
    dash = s.get("dashboard", body["dashboard_id"])
    layout = {
        "type": "newspaper",
        "active": not dash["_layout_ids"],
        "column_width": None,
        "width": None,
        "deleted": False,
        **body,
        "id": s.next_id("dashboard_layout"),
        "_component_ids": [],
    }
    s.insert("dashboard_layout", layout)
    if layout["active"]:
        _deactivate_others(s, dash, layout["id"])
    dash["_layout_ids"].append(layout["id"])
    s.touch("dashboard", dash["id"])
    for element_id in dash["_element_ids"]:
        _add_component(s, layout, element_id)
    return layout


def _deactivate_others(s: Store, dash: dict[str, Any], active_id: str) -> None:
    for other in children_of(s, "dashboard_layout", dash["_layout_ids"]):
        if other["id"] != active_id and other.get("active"):
            other["active"] = False
            s.touch("dashboard_layout", other["id"])


def update_layout(s: Store, layout: dict[str, Any], body: dict[str, Any]) -> None:
    if "dashboard_id" in body and body["dashboard_id"] != layout["dashboard_id"]:
        raise validation_failed(
            problem("dashboard_id", "invalid", "A layout can't move to another dashboard.")
        )
    layout.update(body)
    if body.get("active"):
        _deactivate_others(s, s.get("dashboard", layout["dashboard_id"]), layout["id"])
    s.touch("dashboard_layout", layout["id"])


def delete_layout(s: Store, layout: dict[str, Any]) -> None:
    """Any layout may be deleted, the active one too: no public evidence says Looker refuses."""
    dash = s.get("dashboard", layout["dashboard_id"])
    if dash is not None and layout["id"] in dash["_layout_ids"]:
        dash["_layout_ids"].remove(layout["id"])
        s.touch("dashboard", dash["id"])
    for component_id in layout["_component_ids"]:
        s.remove("dashboard_layout_component", component_id)
    s.remove("dashboard_layout", layout["id"])


def render_layout(s: Store, layout: dict[str, Any]) -> dict[str, Any]:
    values = dict(layout)
    dash = s.get("dashboard", layout["dashboard_id"])
    values["dashboard_title"] = dash.get("title") if dash else None
    values["dashboard_layout_components"] = [
        render_component(s, c)
        for c in children_of(s, "dashboard_layout_component", layout["_component_ids"])
    ]
    return sdk_types.render("DashboardLayout", values)


def update_component(s: Store, component: dict[str, Any], body: dict[str, Any]) -> None:
    for field, current in (
        ("dashboard_layout_id", component["dashboard_layout_id"]),
        ("dashboard_element_id", component["dashboard_element_id"]),
    ):
        if body.get(field) not in (None, current):
            raise validation_failed(problem(field, "invalid", f"{field} can't be changed."))
    # Sizes and positions are stored as sent: nothing public shows Looker refusing any.
    component.update(
        {k: v for k, v in body.items() if k not in ("dashboard_layout_id", "dashboard_element_id")}
    )
    s.touch("dashboard_layout_component", component["id"])


def render_component(s: Store, component: dict[str, Any]) -> dict[str, Any]:
    values = dict(component)
    element = s.get("dashboard_element", component["dashboard_element_id"]) or {}
    query = s.get("query", element.get("query_id")) or {}
    values["element_title"] = element.get("title")
    values["element_title_hidden"] = bool(element.get("title_hidden"))
    values["vis_type"] = (query.get("vis_config") or {}).get("type") or element.get("type")
    return sdk_types.render("DashboardLayoutComponent", values)


@route("GET", "/folders/{folder_id}/dashboards", "folder_dashboards")
def serve_folder_dashboards(call: Call) -> list[dict[str, Any]]:
    folder = require(call.store, "folder", call.params["folder_id"])
    rows = [
        x for x in call.store.where("dashboard", "folder_id", folder["id"]) if not x.get("deleted")
    ]
    return [render_dashboard(call.store, x) for x in sort_rows(rows, None)]


@route("POST", "/dashboards", "create_dashboard", kind="dashboard")
def serve_create_dashboard(call: Call) -> dict[str, Any]:
    dash = create_dashboard(call.store, call.body(), call.user_id)
    return render_dashboard(call.store, dash)


@route("GET", "/dashboards", "all_dashboards")
def serve_all_dashboards(call: Call) -> list[dict[str, Any]]:
    rows = [x for x in call.store.all("dashboard") if not x.get("deleted")]
    return [render_dashboard(call.store, x, "DashboardBase") for x in sort_rows(rows, None)]


@route("GET", "/dashboards/search", "search_dashboards")
def serve_search_dashboards(call: Call) -> list[dict[str, Any]]:
    rows = curated(call, visible(call.store.all("dashboard"), call))
    ignore = ["deleted", "curate", "not_owned_by"]
    if call.flag("not_owned_by") and call.query.get("user_id"):
        # `not_owned_by` turns the `user_id` filter into "owned by someone else".
        rows = [x for x in rows if x.get("user_id") != call.query["user_id"]]
        ignore.append("user_id")
    rows = search(rows, call.query, content_search_view, ignore=ignore, operation=call.operation)
    return [render_dashboard(call.store, x) for x in rows]


@route("GET", "/dashboards/{dashboard_id}", "dashboard")
def serve_get_dashboard(call: Call) -> dict[str, Any]:
    return render_dashboard(
        call.store, require(call.store, "dashboard", call.params["dashboard_id"])
    )


@route("PATCH", "/dashboards/{dashboard_id}", "update_dashboard", kind="dashboard")
def serve_update_dashboard(call: Call) -> dict[str, Any]:
    dash = require(call.store, "dashboard", call.params["dashboard_id"])
    update_dashboard(call.store, dash, call.body(), call.user_id)
    return render_dashboard(call.store, dash)


@route("DELETE", "/dashboards/{dashboard_id}", "delete_dashboard")
def serve_delete_dashboard(call: Call) -> Any:
    delete_dashboard(call.store, require(call.store, "dashboard", call.params["dashboard_id"]))
    return NO_CONTENT


@route("POST", "/dashboards/{dashboard_id}/copy", "copy_dashboard", kind="dashboard")
def serve_copy_dashboard(call: Call) -> dict[str, Any]:
    dash = require(call.store, "dashboard", call.params["dashboard_id"])
    call.query["folder_id"] = call.query.get("folder_id") or dash["folder_id"]
    copy = copy_dashboard(call.store, dash, folder_param(call), call.user_id)
    return render_dashboard(call.store, copy)


@route("PATCH", "/dashboards/{dashboard_id}/move", "move_dashboard", kind="dashboard")
def serve_move_dashboard(call: Call) -> dict[str, Any]:
    dash = require(call.store, "dashboard", call.params["dashboard_id"])
    update_dashboard(call.store, dash, {"folder_id": folder_param(call)}, call.user_id)
    return render_dashboard(call.store, dash)


@route("GET", "/dashboards/{dashboard_id}/dashboard_elements", "dashboard_dashboard_elements")
def serve_dashboard_dashboard_elements(call: Call) -> list[dict[str, Any]]:
    dash = require(call.store, "dashboard", call.params["dashboard_id"])
    return [
        render_element(call.store, e)
        for e in children_of(call.store, "dashboard_element", dash["_element_ids"])
    ]


@route("GET", "/dashboards/{dashboard_id}/dashboard_filters", "dashboard_dashboard_filters")
def serve_dashboard_dashboard_filters(call: Call) -> list[dict[str, Any]]:
    dash = require(call.store, "dashboard", call.params["dashboard_id"])
    return [
        sdk_types.render("DashboardFilter", f)
        for f in children_of(call.store, "dashboard_filter", dash["_filter_ids"])
    ]


@route("GET", "/dashboards/{dashboard_id}/dashboard_layouts", "dashboard_dashboard_layouts")
def serve_dashboard_dashboard_layouts(call: Call) -> list[dict[str, Any]]:
    dash = require(call.store, "dashboard", call.params["dashboard_id"])
    return [
        render_layout(call.store, x)
        for x in children_of(call.store, "dashboard_layout", dash["_layout_ids"])
    ]


@route("POST", "/dashboard_elements", "create_dashboard_element", kind="dashboard_element")
def serve_create_dashboard_element(call: Call) -> dict[str, Any]:
    return render_element(call.store, create_element(call.store, call.body()))


@route("GET", "/dashboard_elements/search", "search_dashboard_elements")
def serve_search_dashboard_elements(call: Call) -> list[dict[str, Any]]:
    view = lambda e: {"deleted": False, **e}  # noqa: E731  (tiles are never soft-deleted)
    rows = search(call.store.all("dashboard_element"), call.query, view, operation=call.operation)
    return [render_element(call.store, e) for e in rows]


@route("GET", "/dashboard_elements/{dashboard_element_id}", "dashboard_element")
def serve_get_dashboard_element(call: Call) -> dict[str, Any]:
    element = require(call.store, "dashboard_element", call.params["dashboard_element_id"])
    return render_element(call.store, element)


@route(
    "PATCH",
    "/dashboard_elements/{dashboard_element_id}",
    "update_dashboard_element",
    kind="dashboard_element",
)
def serve_update_dashboard_element(call: Call) -> dict[str, Any]:
    element = require(call.store, "dashboard_element", call.params["dashboard_element_id"])
    update_element(call.store, element, call.body())
    return render_element(call.store, element)


@route("DELETE", "/dashboard_elements/{dashboard_element_id}", "delete_dashboard_element")
def serve_delete_dashboard_element(call: Call) -> Any:
    delete_element(
        call.store, require(call.store, "dashboard_element", call.params["dashboard_element_id"])
    )
    return NO_CONTENT


@route("POST", "/dashboard_filters", "create_dashboard_filter", kind="dashboard_filter")
def serve_create_dashboard_filter(call: Call) -> dict[str, Any]:
    return sdk_types.render("DashboardFilter", create_filter(call.store, call.body()))


@route("GET", "/dashboard_filters/{dashboard_filter_id}", "dashboard_filter")
def serve_get_dashboard_filter(call: Call) -> dict[str, Any]:
    dfilter = require(call.store, "dashboard_filter", call.params["dashboard_filter_id"])
    return sdk_types.render("DashboardFilter", dfilter)


@route(
    "PATCH",
    "/dashboard_filters/{dashboard_filter_id}",
    "update_dashboard_filter",
    kind="dashboard_filter",
)
def serve_update_dashboard_filter(call: Call) -> dict[str, Any]:
    dfilter = require(call.store, "dashboard_filter", call.params["dashboard_filter_id"])
    update_filter(call.store, dfilter, call.body())
    return sdk_types.render("DashboardFilter", dfilter)


@route("DELETE", "/dashboard_filters/{dashboard_filter_id}", "delete_dashboard_filter")
def serve_delete_dashboard_filter(call: Call) -> Any:
    delete_filter(
        call.store, require(call.store, "dashboard_filter", call.params["dashboard_filter_id"])
    )
    return NO_CONTENT


@route("POST", "/dashboard_layouts", "create_dashboard_layout", kind="dashboard_layout")
def serve_create_dashboard_layout(call: Call) -> dict[str, Any]:
    return render_layout(call.store, create_layout(call.store, call.body()))


@route("GET", "/dashboard_layouts/{dashboard_layout_id}", "dashboard_layout")
def serve_get_dashboard_layout(call: Call) -> dict[str, Any]:
    return render_layout(
        call.store, require(call.store, "dashboard_layout", call.params["dashboard_layout_id"])
    )


@route(
    "PATCH",
    "/dashboard_layouts/{dashboard_layout_id}",
    "update_dashboard_layout",
    kind="dashboard_layout",
)
def serve_update_dashboard_layout(call: Call) -> dict[str, Any]:
    layout = require(call.store, "dashboard_layout", call.params["dashboard_layout_id"])
    update_layout(call.store, layout, call.body())
    return render_layout(call.store, layout)


@route("DELETE", "/dashboard_layouts/{dashboard_layout_id}", "delete_dashboard_layout")
def serve_delete_dashboard_layout(call: Call) -> Any:
    delete_layout(
        call.store, require(call.store, "dashboard_layout", call.params["dashboard_layout_id"])
    )
    return NO_CONTENT


@route(
    "GET",
    "/dashboard_layouts/{dashboard_layout_id}/dashboard_layout_components",
    "dashboard_layout_dashboard_layout_components",
)
def serve_dashboard_layout_components(call: Call) -> list[dict[str, Any]]:
    layout = require(call.store, "dashboard_layout", call.params["dashboard_layout_id"])
    components = children_of(call.store, "dashboard_layout_component", layout["_component_ids"])
    return [render_component(call.store, c) for c in components]


@route(
    "GET",
    "/dashboard_layout_components/{dashboard_layout_component_id}",
    "dashboard_layout_component",
)
def serve_get_dashboard_layout_component(call: Call) -> dict[str, Any]:
    component = require(
        call.store, "dashboard_layout_component", call.params["dashboard_layout_component_id"]
    )
    return render_component(call.store, component)


@route(
    "PATCH",
    "/dashboard_layout_components/{dashboard_layout_component_id}",
    "update_dashboard_layout_component",
    kind="dashboard_layout_component",
)
def serve_update_dashboard_layout_component(call: Call) -> dict[str, Any]:
    component = require(
        call.store, "dashboard_layout_component", call.params["dashboard_layout_component_id"]
    )
    update_component(call.store, component, call.body())
    return render_component(call.store, component)


IN_FOLDERS = FolderContent(
    "dashboard",
    "dashboards",
    lambda s, obj: render_dashboard(s, obj, "DashboardBase"),
    delete_dashboard,
)
