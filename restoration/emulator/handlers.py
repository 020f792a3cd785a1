"""Looker API 4.0 operations served by the emulator, one small function per operation.

Paths and verbs are exactly the spec's (relative to /api/4.0); the behaviour lives in
`domain`.  Every handler runs under the store lock.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from . import domain as d
from . import lookml
from .app import NO_CONTENT, Call, LookerError, not_found, problem, route, validation_failed

# --- login, logout, me, versions -------------------------------------------------------


@route("POST", "/login", "login")
def login(call: Call) -> dict[str, Any]:
    form = dict(parse_qsl(call.raw_body.decode("utf-8", "replace")))
    client_id = form.get("client_id") or call.query.get("client_id")
    client_secret = form.get("client_secret") or call.query.get("client_secret")
    if not client_id or not client_secret:
        raise LookerError(400, "client_id and client_secret are required")
    if client_id != call.app.client_id or client_secret != call.app.client_secret:
        raise not_found()
    user_id = call.store.meta.get("api_user_id", "1")
    token = call.app.issue_token(user_id)
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": 3600,
        "refresh_token": None,
    }


@route("DELETE", "/logout", "logout")
def logout(call: Call) -> Any:
    call.app.revoke_token(call.query.get("_token", ""))
    return NO_CONTENT


@route("GET", "/versions", "versions")
def versions(call: Call) -> dict[str, Any]:
    current = {
        "version": "4.0",
        "full_version": "4.0.26.12",
        "status": "current",
        "swagger_url": "/api/4.0/swagger.json",
    }
    return {
        "looker_release_version": "26.12.3",
        "current_version": current,
        "supported_versions": [current],
        "api_server_url": call.app.base_url,
        "web_server_url": call.app.base_url,
    }


@route("GET", "/user", "me")
def me(call: Call) -> dict[str, Any]:
    return d.render_user(call.store, d.require(call.store, "user", call.user_id))


# --- folders ---------------------------------------------------------------------------


@route("POST", "/folders", "create_folder", kind="folder")
def create_folder(call: Call) -> dict[str, Any]:
    body = call.body()
    folder = d.create_folder(call.store, body["name"], body["parent_id"], call.user_id)
    return d.render_folder(call.store, folder)


@route("GET", "/folders", "all_folders")
def all_folders(call: Call) -> list[dict[str, Any]]:
    return [
        d.render_folder(call.store, f, "FolderBase")
        for f in d.sort_rows(call.store.all("folder"), None)
    ]


@route("GET", "/folders/search", "search_folders")
def search_folders(call: Call) -> list[dict[str, Any]]:
    rows = d.search(call.store.all("folder"), call.query)
    return [d.render_folder(call.store, f) for f in rows]


@route("GET", "/folders/{folder_id}", "folder")
def get_folder(call: Call) -> dict[str, Any]:
    return d.render_folder(call.store, d.require(call.store, "folder", call.params["folder_id"]))


@route("PATCH", "/folders/{folder_id}", "update_folder", kind="folder")
def update_folder(call: Call) -> dict[str, Any]:
    folder = d.require(call.store, "folder", call.params["folder_id"])
    d.update_folder(call.store, folder, call.body())
    return d.render_folder(call.store, folder)


@route("DELETE", "/folders/{folder_id}", "delete_folder")
def delete_folder(call: Call) -> Any:
    d.delete_folder(call.store, d.require(call.store, "folder", call.params["folder_id"]))
    return NO_CONTENT


@route("GET", "/folders/{folder_id}/children", "folder_children")
def folder_children(call: Call) -> list[dict[str, Any]]:
    folder = d.require(call.store, "folder", call.params["folder_id"])
    rows = call.store.where("folder", "parent_id", folder["id"])
    rows = d.paginate(d.sort_rows(rows, call.query.get("sorts")), call.query)
    return [d.render_folder(call.store, f) for f in rows]


@route("GET", "/folders/{folder_id}/children/search", "folder_children_search")
def folder_children_search(call: Call) -> list[dict[str, Any]]:
    folder = d.require(call.store, "folder", call.params["folder_id"])
    rows = call.store.where("folder", "parent_id", folder["id"])
    return [d.render_folder(call.store, f) for f in d.search(rows, call.query)]


@route("GET", "/folders/{folder_id}/parent", "folder_parent")
def folder_parent(call: Call) -> dict[str, Any]:
    folder = d.require(call.store, "folder", call.params["folder_id"])
    return d.render_folder(call.store, d.require(call.store, "folder", folder.get("parent_id")))


@route("GET", "/folders/{folder_id}/ancestors", "folder_ancestors")
def folder_ancestors(call: Call) -> list[dict[str, Any]]:
    folder = d.require(call.store, "folder", call.params["folder_id"])
    return [d.render_folder(call.store, f) for f in d.folder_ancestors(call.store, folder)]


@route("GET", "/folders/{folder_id}/looks", "folder_looks")
def folder_looks(call: Call) -> list[dict[str, Any]]:
    folder = d.require(call.store, "folder", call.params["folder_id"])
    rows = [
        lk for lk in call.store.where("look", "folder_id", folder["id"]) if not lk.get("deleted")
    ]
    return [d.render_look(call.store, lk) for lk in d.sort_rows(rows, None)]


@route("GET", "/folders/{folder_id}/dashboards", "folder_dashboards")
def folder_dashboards(call: Call) -> list[dict[str, Any]]:
    folder = d.require(call.store, "folder", call.params["folder_id"])
    rows = [
        x for x in call.store.where("dashboard", "folder_id", folder["id"]) if not x.get("deleted")
    ]
    return [d.render_dashboard(call.store, x) for x in d.sort_rows(rows, None)]


# --- content metadata ------------------------------------------------------------------


@route("GET", "/content_metadata", "all_content_metadatas")
def all_content_metadatas(call: Call) -> list[dict[str, Any]]:
    parent_id = call.query.get("parent_id")
    if not parent_id:
        raise LookerError(400, "parent_id is required")
    rows = [cm for cm in call.store.all("content_metadata") if cm.get("parent_id") == parent_id]
    return [_render_cm(cm) for cm in d.sort_rows(rows, None)]


def _render_cm(cm: dict[str, Any]) -> dict[str, Any]:
    return d.sdk_types.render("ContentMeta", cm)


@route("GET", "/content_metadata/{content_metadata_id}", "content_metadata")
def get_content_metadata(call: Call) -> dict[str, Any]:
    return _render_cm(d.require(call.store, "content_metadata", call.params["content_metadata_id"]))


@route(
    "PATCH",
    "/content_metadata/{content_metadata_id}",
    "update_content_metadata",
    kind="content_metadata",
)
def update_content_metadata(call: Call) -> dict[str, Any]:
    cm = d.require(call.store, "content_metadata", call.params["content_metadata_id"])
    d.update_content_metadata(call.store, cm, call.body())
    return _render_cm(cm)


@route("GET", "/content_metadata_access", "all_content_metadata_accesses")
def all_content_metadata_accesses(call: Call) -> list[dict[str, Any]]:
    cm_id = call.query.get("content_metadata_id")
    if not cm_id:
        raise LookerError(400, "content_metadata_id is required")
    rows = [
        a for a in call.store.all("content_metadata_access") if a["content_metadata_id"] == cm_id
    ]
    return [d.sdk_types.render("ContentMetaGroupUser", a) for a in d.sort_rows(rows, None)]


@route(
    "POST",
    "/content_metadata_access",
    "create_content_metadata_access",
    kind="content_metadata_access",
)
def create_content_metadata_access(call: Call) -> dict[str, Any]:
    access = d.create_content_access(call.store, call.body())
    return d.sdk_types.render("ContentMetaGroupUser", access)


@route(
    "PUT",
    "/content_metadata_access/{content_metadata_access_id}",
    "update_content_metadata_access",
    kind="content_metadata_access",
)
def update_content_metadata_access(call: Call) -> dict[str, Any]:
    access = d.require(
        call.store, "content_metadata_access", call.params["content_metadata_access_id"]
    )
    body = call.body()
    if body.get("permission_type"):
        access["permission_type"] = body["permission_type"]
        call.store.touch("content_metadata_access", access["id"])
    return d.sdk_types.render("ContentMetaGroupUser", access)


@route(
    "DELETE",
    "/content_metadata_access/{content_metadata_access_id}",
    "delete_content_metadata_access",
)
def delete_content_metadata_access(call: Call) -> Any:
    access = d.require(
        call.store, "content_metadata_access", call.params["content_metadata_access_id"]
    )
    call.store.remove("content_metadata_access", access["id"])
    return NO_CONTENT


# --- queries ---------------------------------------------------------------------------


@route("POST", "/queries", "create_query", kind="query")
def create_query(call: Call) -> dict[str, Any]:
    return d.render_query(d.create_query(call.store, call.body()))


@route("GET", "/queries/{query_id}", "query")
def get_query(call: Call) -> dict[str, Any]:
    return d.render_query(d.require(call.store, "query", call.params["query_id"]))


@route("GET", "/queries/slug/{slug}", "query_for_slug")
def query_for_slug(call: Call) -> dict[str, Any]:
    for query in call.store.all("query"):
        if query.get("slug") == call.params["slug"]:
            return d.render_query(query)
    raise not_found()


# --- Looks -----------------------------------------------------------------------------


def _visible(rows: list[dict[str, Any]], call: Call) -> list[dict[str, Any]]:
    deleted = call.flag("deleted")
    return [r for r in rows if bool(r.get("deleted")) == bool(deleted)]


@route("POST", "/looks", "create_look", kind="look")
def create_look(call: Call) -> dict[str, Any]:
    look = d.create_look(call.store, call.body(), call.user_id)
    return d.render_look(call.store, look)


@route("GET", "/looks", "all_looks")
def all_looks(call: Call) -> list[dict[str, Any]]:
    rows = [lk for lk in call.store.all("look") if not lk.get("deleted")]
    return [d.render_look(call.store, lk, "Look") for lk in d.sort_rows(rows, None)]


@route("GET", "/looks/search", "search_looks")
def search_looks(call: Call) -> list[dict[str, Any]]:
    rows = d.search(_visible(call.store.all("look"), call), call.query, ignore=("deleted",))
    return [d.render_look(call.store, lk, "Look") for lk in rows]


@route("GET", "/looks/{look_id}", "look")
def get_look(call: Call) -> dict[str, Any]:
    return d.render_look(call.store, d.require(call.store, "look", call.params["look_id"]))


@route("PATCH", "/looks/{look_id}", "update_look", kind="look")
def update_look(call: Call) -> dict[str, Any]:
    look = d.require(call.store, "look", call.params["look_id"])
    d.update_look(call.store, look, call.body(), call.user_id)
    return d.render_look(call.store, look)


@route("DELETE", "/looks/{look_id}", "delete_look")
def delete_look(call: Call) -> Any:
    d.delete_look(call.store, d.require(call.store, "look", call.params["look_id"]))
    return NO_CONTENT


def _folder_param(call: Call) -> str:
    folder_id = call.query.get("folder_id")
    if not folder_id:
        raise validation_failed(problem("folder_id", "missing", "This field is required."))
    if not call.store.exists("folder", folder_id):
        raise validation_failed(
            problem("folder_id", "missing", f"Folder {folder_id} does not exist.")
        )
    return folder_id


@route("POST", "/looks/{look_id}/copy", "copy_look", kind="look")
def copy_look(call: Call) -> dict[str, Any]:
    look = d.require(call.store, "look", call.params["look_id"])
    folder_id = call.query.get("folder_id") or look["folder_id"]
    call.query["folder_id"] = folder_id
    copy = d.copy_look(call.store, look, _folder_param(call), call.user_id)
    return d.render_look(call.store, copy)


@route("PATCH", "/looks/{look_id}/move", "move_look", kind="look")
def move_look(call: Call) -> dict[str, Any]:
    look = d.require(call.store, "look", call.params["look_id"])
    d.update_look(call.store, look, {"folder_id": _folder_param(call)}, call.user_id)
    return d.render_look(call.store, look)


# --- dashboards ------------------------------------------------------------------------


@route("POST", "/dashboards", "create_dashboard", kind="dashboard")
def create_dashboard(call: Call) -> dict[str, Any]:
    dash = d.create_dashboard(call.store, call.body(), call.user_id)
    return d.render_dashboard(call.store, dash)


@route("GET", "/dashboards", "all_dashboards")
def all_dashboards(call: Call) -> list[dict[str, Any]]:
    rows = [x for x in call.store.all("dashboard") if not x.get("deleted")]
    return [d.render_dashboard(call.store, x, "DashboardBase") for x in d.sort_rows(rows, None)]


@route("GET", "/dashboards/search", "search_dashboards")
def search_dashboards(call: Call) -> list[dict[str, Any]]:
    rows = d.search(_visible(call.store.all("dashboard"), call), call.query, ignore=("deleted",))
    return [d.render_dashboard(call.store, x) for x in rows]


@route("GET", "/dashboards/{dashboard_id}", "dashboard")
def get_dashboard(call: Call) -> dict[str, Any]:
    return d.render_dashboard(
        call.store, d.require(call.store, "dashboard", call.params["dashboard_id"])
    )


@route("PATCH", "/dashboards/{dashboard_id}", "update_dashboard", kind="dashboard")
def update_dashboard(call: Call) -> dict[str, Any]:
    dash = d.require(call.store, "dashboard", call.params["dashboard_id"])
    d.update_dashboard(call.store, dash, call.body(), call.user_id)
    return d.render_dashboard(call.store, dash)


@route("DELETE", "/dashboards/{dashboard_id}", "delete_dashboard")
def delete_dashboard(call: Call) -> Any:
    d.delete_dashboard(call.store, d.require(call.store, "dashboard", call.params["dashboard_id"]))
    return NO_CONTENT


@route("POST", "/dashboards/{dashboard_id}/copy", "copy_dashboard", kind="dashboard")
def copy_dashboard(call: Call) -> dict[str, Any]:
    dash = d.require(call.store, "dashboard", call.params["dashboard_id"])
    call.query["folder_id"] = call.query.get("folder_id") or dash["folder_id"]
    copy = d.copy_dashboard(call.store, dash, _folder_param(call), call.user_id)
    return d.render_dashboard(call.store, copy)


@route("PATCH", "/dashboards/{dashboard_id}/move", "move_dashboard", kind="dashboard")
def move_dashboard(call: Call) -> dict[str, Any]:
    dash = d.require(call.store, "dashboard", call.params["dashboard_id"])
    d.update_dashboard(call.store, dash, {"folder_id": _folder_param(call)}, call.user_id)
    return d.render_dashboard(call.store, dash)


@route("GET", "/dashboards/{dashboard_id}/dashboard_elements", "dashboard_dashboard_elements")
def dashboard_dashboard_elements(call: Call) -> list[dict[str, Any]]:
    dash = d.require(call.store, "dashboard", call.params["dashboard_id"])
    return [
        d.render_element(call.store, e)
        for e in d.children_of(call.store, "dashboard_element", dash["_element_ids"])
    ]


@route("GET", "/dashboards/{dashboard_id}/dashboard_filters", "dashboard_dashboard_filters")
def dashboard_dashboard_filters(call: Call) -> list[dict[str, Any]]:
    dash = d.require(call.store, "dashboard", call.params["dashboard_id"])
    return [
        d.sdk_types.render("DashboardFilter", f)
        for f in d.children_of(call.store, "dashboard_filter", dash["_filter_ids"])
    ]


@route("GET", "/dashboards/{dashboard_id}/dashboard_layouts", "dashboard_dashboard_layouts")
def dashboard_dashboard_layouts(call: Call) -> list[dict[str, Any]]:
    dash = d.require(call.store, "dashboard", call.params["dashboard_id"])
    return [
        d.render_layout(call.store, x)
        for x in d.children_of(call.store, "dashboard_layout", dash["_layout_ids"])
    ]


# --- dashboard elements ----------------------------------------------------------------


@route("POST", "/dashboard_elements", "create_dashboard_element", kind="dashboard_element")
def create_dashboard_element(call: Call) -> dict[str, Any]:
    return d.render_element(call.store, d.create_element(call.store, call.body()))


@route("GET", "/dashboard_elements/search", "search_dashboard_elements")
def search_dashboard_elements(call: Call) -> list[dict[str, Any]]:
    rows = d.search(call.store.all("dashboard_element"), call.query, ignore=("deleted",))
    return [d.render_element(call.store, e) for e in rows]


@route("GET", "/dashboard_elements/{dashboard_element_id}", "dashboard_element")
def get_dashboard_element(call: Call) -> dict[str, Any]:
    element = d.require(call.store, "dashboard_element", call.params["dashboard_element_id"])
    return d.render_element(call.store, element)


@route(
    "PATCH",
    "/dashboard_elements/{dashboard_element_id}",
    "update_dashboard_element",
    kind="dashboard_element",
)
def update_dashboard_element(call: Call) -> dict[str, Any]:
    element = d.require(call.store, "dashboard_element", call.params["dashboard_element_id"])
    d.update_element(call.store, element, call.body())
    return d.render_element(call.store, element)


@route("DELETE", "/dashboard_elements/{dashboard_element_id}", "delete_dashboard_element")
def delete_dashboard_element(call: Call) -> Any:
    d.delete_element(
        call.store, d.require(call.store, "dashboard_element", call.params["dashboard_element_id"])
    )
    return NO_CONTENT


# --- dashboard filters -----------------------------------------------------------------


@route("POST", "/dashboard_filters", "create_dashboard_filter", kind="dashboard_filter")
def create_dashboard_filter(call: Call) -> dict[str, Any]:
    return d.sdk_types.render("DashboardFilter", d.create_filter(call.store, call.body()))


@route("GET", "/dashboard_filters/{dashboard_filter_id}", "dashboard_filter")
def get_dashboard_filter(call: Call) -> dict[str, Any]:
    dfilter = d.require(call.store, "dashboard_filter", call.params["dashboard_filter_id"])
    return d.sdk_types.render("DashboardFilter", dfilter)


@route(
    "PATCH",
    "/dashboard_filters/{dashboard_filter_id}",
    "update_dashboard_filter",
    kind="dashboard_filter",
)
def update_dashboard_filter(call: Call) -> dict[str, Any]:
    dfilter = d.require(call.store, "dashboard_filter", call.params["dashboard_filter_id"])
    d.update_filter(call.store, dfilter, call.body())
    return d.sdk_types.render("DashboardFilter", dfilter)


@route("DELETE", "/dashboard_filters/{dashboard_filter_id}", "delete_dashboard_filter")
def delete_dashboard_filter(call: Call) -> Any:
    d.delete_filter(
        call.store, d.require(call.store, "dashboard_filter", call.params["dashboard_filter_id"])
    )
    return NO_CONTENT


# --- dashboard layouts and their components --------------------------------------------


@route("POST", "/dashboard_layouts", "create_dashboard_layout", kind="dashboard_layout")
def create_dashboard_layout(call: Call) -> dict[str, Any]:
    return d.render_layout(call.store, d.create_layout(call.store, call.body()))


@route("GET", "/dashboard_layouts/{dashboard_layout_id}", "dashboard_layout")
def get_dashboard_layout(call: Call) -> dict[str, Any]:
    return d.render_layout(
        call.store, d.require(call.store, "dashboard_layout", call.params["dashboard_layout_id"])
    )


@route(
    "PATCH",
    "/dashboard_layouts/{dashboard_layout_id}",
    "update_dashboard_layout",
    kind="dashboard_layout",
)
def update_dashboard_layout(call: Call) -> dict[str, Any]:
    layout = d.require(call.store, "dashboard_layout", call.params["dashboard_layout_id"])
    d.update_layout(call.store, layout, call.body())
    return d.render_layout(call.store, layout)


@route("DELETE", "/dashboard_layouts/{dashboard_layout_id}", "delete_dashboard_layout")
def delete_dashboard_layout(call: Call) -> Any:
    d.delete_layout(
        call.store, d.require(call.store, "dashboard_layout", call.params["dashboard_layout_id"])
    )
    return NO_CONTENT


@route(
    "GET",
    "/dashboard_layouts/{dashboard_layout_id}/dashboard_layout_components",
    "dashboard_layout_dashboard_layout_components",
)
def dashboard_layout_components(call: Call) -> list[dict[str, Any]]:
    layout = d.require(call.store, "dashboard_layout", call.params["dashboard_layout_id"])
    components = d.children_of(call.store, "dashboard_layout_component", layout["_component_ids"])
    return [d.render_component(call.store, c) for c in components]


@route(
    "GET",
    "/dashboard_layout_components/{dashboard_layout_component_id}",
    "dashboard_layout_component",
)
def get_dashboard_layout_component(call: Call) -> dict[str, Any]:
    component = d.require(
        call.store, "dashboard_layout_component", call.params["dashboard_layout_component_id"]
    )
    return d.render_component(call.store, component)


@route(
    "PATCH",
    "/dashboard_layout_components/{dashboard_layout_component_id}",
    "update_dashboard_layout_component",
    kind="dashboard_layout_component",
)
def update_dashboard_layout_component(call: Call) -> dict[str, Any]:
    component = d.require(
        call.store, "dashboard_layout_component", call.params["dashboard_layout_component_id"]
    )
    d.update_component(call.store, component, call.body())
    return d.render_component(call.store, component)


# --- users -----------------------------------------------------------------------------


def _user_view(user: dict[str, Any]) -> dict[str, Any]:
    """A user with the computed values search filters on (email, full name, groups)."""
    return {
        **user,
        "email": d.user_email(user),
        "full_name": " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p),
        "group_id": user.get("_group_ids", []),
    }


@route("POST", "/users", "create_user", kind="user")
def create_user(call: Call) -> dict[str, Any]:
    return d.render_user(call.store, d.create_user(call.store, call.body(required=False)))


@route("GET", "/users", "all_users")
def all_users(call: Call) -> list[dict[str, Any]]:
    rows = call.store.all("user")
    ids = call.id_list("ids")
    if ids is not None:
        rows = [u for u in rows if u["id"] in ids]
    rows = d.paginate(d.sort_rows(rows, call.query.get("sorts")), call.query)
    return [d.render_user(call.store, u) for u in rows]


@route("GET", "/users/search", "search_users")
def search_users(call: Call) -> list[dict[str, Any]]:
    rows = d.search(call.store.all("user"), call.query, _user_view)
    return [d.render_user(call.store, u) for u in rows]


@route("GET", "/users/search/names/{pattern}", "search_users_names")
def search_users_names(call: Call) -> list[dict[str, Any]]:
    """Users whose first, last or full name or email matches the pattern (% wildcards)."""
    pattern = call.params["pattern"]
    view = _user_view

    def named(user: dict[str, Any]) -> bool:
        values = view(user)
        return any(
            d.matches_like(pattern, values.get(k))
            for k in ("first_name", "last_name", "full_name", "email")
        )

    rows = [u for u in call.store.all("user") if named(u)]
    return [d.render_user(call.store, u) for u in d.search(rows, call.query, view)]


@route("GET", "/users/credential/{credential_type}/{credential_id}", "user_for_credential")
def user_for_credential(call: Call) -> dict[str, Any]:
    """Only email credentials exist on the emulator; other types find nobody."""
    if call.params["credential_type"] == "email":
        wanted = call.params["credential_id"].lower()
        for user in call.store.all("user"):
            if (d.user_email(user) or "").lower() == wanted:
                return d.render_user(call.store, user)
    raise not_found()


@route("GET", "/users/{user_id}", "user")
def get_user(call: Call) -> dict[str, Any]:
    return d.render_user(call.store, d.require(call.store, "user", call.params["user_id"]))


@route("PATCH", "/users/{user_id}", "update_user", kind="user")
def update_user(call: Call) -> dict[str, Any]:
    user = d.require(call.store, "user", call.params["user_id"])
    d.update_user(call.store, user, call.body())
    return d.render_user(call.store, user)


@route("DELETE", "/users/{user_id}", "delete_user")
def delete_user(call: Call) -> Any:
    user = d.require(call.store, "user", call.params["user_id"])
    if user["id"] == call.user_id:
        raise LookerError(403, "You can't delete yourself.")
    d.delete_user(call.store, user)
    return NO_CONTENT


@route("GET", "/users/{user_id}/roles", "user_roles")
def user_roles(call: Call) -> list[dict[str, Any]]:
    user = d.require(call.store, "user", call.params["user_id"])
    role_ids = d.user_role_ids(call.store, user, bool(call.flag("direct_association_only")))
    return [d.render_role(call.store, call.store.get("role", r)) for r in role_ids]


def _id_array(call: Call, kind: str, field: str) -> list[str]:
    data = call.json()
    if not isinstance(data, list):
        raise LookerError(400, "Request body must be a JSON array of ids")
    ids = [str(v) for v in data if v is not None]
    problems = [
        problem(field, "missing", f"{kind.capitalize()} {i} does not exist.")
        for i in ids
        if not call.store.exists(kind, i)
    ]
    if problems:
        raise validation_failed(*problems)
    return list(dict.fromkeys(ids))


@route("PUT", "/users/{user_id}/roles", "set_user_roles", kind="user")
def set_user_roles(call: Call) -> list[dict[str, Any]]:
    user = d.require(call.store, "user", call.params["user_id"])
    user["role_ids"] = _id_array(call, "role", "role_ids")
    call.store.touch("user", user["id"])
    return [d.render_role(call.store, call.store.get("role", r)) for r in user["role_ids"]]


@route("GET", "/users/{user_id}/credentials_email", "user_credentials_email")
def user_credentials_email(call: Call) -> dict[str, Any]:
    user = d.require(call.store, "user", call.params["user_id"])
    creds = d.render_credentials_email(user)
    if creds is None:
        raise not_found()
    return creds


@route(
    "POST",
    "/users/{user_id}/credentials_email",
    "create_user_credentials_email",
    kind="credentials_email",
)
def create_user_credentials_email(call: Call) -> dict[str, Any]:
    user = d.require(call.store, "user", call.params["user_id"])
    if user.get("_credentials_email"):
        raise LookerError(409, "Email credentials already exist for this user.")
    d.set_credentials_email(call.store, user, call.body())
    call.store.create_counts["credentials_email"] += 1
    return d.render_credentials_email(user)


@route(
    "PATCH",
    "/users/{user_id}/credentials_email",
    "update_user_credentials_email",
    kind="credentials_email",
)
def update_user_credentials_email(call: Call) -> dict[str, Any]:
    user = d.require(call.store, "user", call.params["user_id"])
    if not user.get("_credentials_email"):
        raise not_found()
    d.set_credentials_email(call.store, user, call.body())
    return d.render_credentials_email(user)


@route("DELETE", "/users/{user_id}/credentials_email", "delete_user_credentials_email")
def delete_user_credentials_email(call: Call) -> Any:
    user = d.require(call.store, "user", call.params["user_id"])
    if not user.get("_credentials_email"):
        raise not_found()
    user["_credentials_email"] = None
    call.store.touch("user", user["id"])
    return NO_CONTENT


# --- groups ----------------------------------------------------------------------------


@route("POST", "/groups", "create_group", kind="group")
def create_group(call: Call) -> dict[str, Any]:
    return d.render_group(call.store, d.create_group(call.store, call.body()), call.user_id)


@route("GET", "/groups", "all_groups")
def all_groups(call: Call) -> list[dict[str, Any]]:
    rows = call.store.all("group")
    ids = call.id_list("ids")
    if ids is not None:
        rows = [g for g in rows if g["id"] in ids]
    rows = d.paginate(d.sort_rows(rows, call.query.get("sorts")), call.query)
    return [d.render_group(call.store, g, call.user_id) for g in rows]


@route("GET", "/groups/search", "search_groups")
def search_groups(call: Call) -> list[dict[str, Any]]:
    return [
        d.render_group(call.store, g, call.user_id)
        for g in d.search(call.store.all("group"), call.query)
    ]


@route("GET", "/groups/{group_id}", "group")
def get_group(call: Call) -> dict[str, Any]:
    return d.render_group(
        call.store, d.require(call.store, "group", call.params["group_id"]), call.user_id
    )


@route("PATCH", "/groups/{group_id}", "update_group", kind="group")
def update_group(call: Call) -> dict[str, Any]:
    group = d.require(call.store, "group", call.params["group_id"])
    d.update_group(call.store, group, call.body())
    return d.render_group(call.store, group, call.user_id)


@route("DELETE", "/groups/{group_id}", "delete_group")
def delete_group(call: Call) -> Any:
    d.delete_group(call.store, d.require(call.store, "group", call.params["group_id"]))
    return NO_CONTENT


@route("GET", "/groups/{group_id}/users", "all_group_users")
def all_group_users(call: Call) -> list[dict[str, Any]]:
    group = d.require(call.store, "group", call.params["group_id"])
    rows = [u for u in call.store.all("user") if group["id"] in u.get("_group_ids", [])]
    rows = d.paginate(d.sort_rows(rows, call.query.get("sorts")), call.query)
    return [d.render_user(call.store, u) for u in rows]


@route("POST", "/groups/{group_id}/users", "add_group_user", kind="group_user")
def add_group_user(call: Call) -> dict[str, Any]:
    group = d.require(call.store, "group", call.params["group_id"])
    body = call.body()
    if not body.get("user_id"):
        raise LookerError(400, "user_id is required")
    user = d.require(call.store, "user", body["user_id"])
    if group["id"] not in user["_group_ids"]:
        user["_group_ids"].append(group["id"])
        call.store.touch("user", user["id"])
    return d.render_user(call.store, user)


@route("DELETE", "/groups/{group_id}/users/{user_id}", "delete_group_user")
def delete_group_user(call: Call) -> Any:
    group = d.require(call.store, "group", call.params["group_id"])
    user = d.require(call.store, "user", call.params["user_id"])
    if group["id"] not in user["_group_ids"]:
        raise not_found()
    user["_group_ids"].remove(group["id"])
    call.store.touch("user", user["id"])
    return NO_CONTENT


@route("GET", "/groups/{group_id}/groups", "all_group_groups")
def all_group_groups(call: Call) -> list[dict[str, Any]]:
    group = d.require(call.store, "group", call.params["group_id"])
    children = [call.store.get("group", g) for g in group["_group_ids"]]
    return [d.render_group(call.store, g, call.user_id) for g in children if g is not None]


@route("POST", "/groups/{group_id}/groups", "add_group_group", kind="group_group")
def add_group_group(call: Call) -> dict[str, Any]:
    group = d.require(call.store, "group", call.params["group_id"])
    body = call.body()
    if not body.get("group_id"):
        raise LookerError(400, "group_id is required")
    child = d.add_group_to_group(call.store, group, body["group_id"])
    return d.render_group(call.store, child, call.user_id)


@route("DELETE", "/groups/{group_id}/groups/{deleting_group_id}", "delete_group_from_group")
def delete_group_from_group(call: Call) -> Any:
    group = d.require(call.store, "group", call.params["group_id"])
    child_id = call.params["deleting_group_id"]
    if child_id not in group["_group_ids"]:
        raise not_found()
    group["_group_ids"].remove(child_id)
    call.store.touch("group", group["id"])
    return NO_CONTENT


# --- roles, permission sets, model sets ------------------------------------------------


@route("POST", "/roles", "create_role", kind="role")
def create_role(call: Call) -> dict[str, Any]:
    return d.render_role(call.store, d.create_role(call.store, call.body()))


@route("GET", "/roles", "all_roles")
def all_roles(call: Call) -> list[dict[str, Any]]:
    rows = call.store.all("role")
    ids = call.id_list("ids")
    if ids is not None:
        rows = [r for r in rows if r["id"] in ids]
    return [d.render_role(call.store, r) for r in d.sort_rows(rows, None)]


def _role_view(role: dict[str, Any]) -> dict[str, Any]:
    return {
        **role,
        "built_in": bool(role.get("_built_in")),
        "model_set_ids": role.get("model_set_id"),
        "permission_set_ids": role.get("permission_set_id"),
    }


@route("GET", "/roles/search", "search_roles")
def search_roles(call: Call) -> list[dict[str, Any]]:
    rows = d.search(call.store.all("role"), call.query, _role_view)
    return [d.render_role(call.store, r) for r in rows]


@route("GET", "/roles/{role_id}", "role")
def get_role(call: Call) -> dict[str, Any]:
    return d.render_role(call.store, d.require(call.store, "role", call.params["role_id"]))


@route("PATCH", "/roles/{role_id}", "update_role", kind="role")
def update_role(call: Call) -> dict[str, Any]:
    role = d.require(call.store, "role", call.params["role_id"])
    d.update_role(call.store, role, call.body())
    return d.render_role(call.store, role)


@route("DELETE", "/roles/{role_id}", "delete_role")
def delete_role(call: Call) -> Any:
    d.delete_role(call.store, d.require(call.store, "role", call.params["role_id"]))
    return NO_CONTENT


@route("GET", "/roles/{role_id}/groups", "role_groups")
def role_groups(call: Call) -> list[dict[str, Any]]:
    role = d.require(call.store, "role", call.params["role_id"])
    groups = [call.store.get("group", g) for g in role["_group_ids"]]
    return [d.render_group(call.store, g, call.user_id) for g in groups if g is not None]


@route("PUT", "/roles/{role_id}/groups", "set_role_groups", kind="role")
def set_role_groups(call: Call) -> list[dict[str, Any]]:
    role = d.require(call.store, "role", call.params["role_id"])
    role["_group_ids"] = _id_array(call, "group", "group_ids")
    call.store.touch("role", role["id"])
    return [
        d.render_group(call.store, call.store.get("group", g), call.user_id)
        for g in role["_group_ids"]
    ]


@route("GET", "/roles/{role_id}/users", "role_users")
def role_users(call: Call) -> list[dict[str, Any]]:
    role = d.require(call.store, "role", call.params["role_id"])
    direct = bool(call.flag("direct_association_only"))
    rows = [
        u for u in call.store.all("user") if role["id"] in d.user_role_ids(call.store, u, direct)
    ]
    return [d.render_user(call.store, u) for u in d.sort_rows(rows, None)]


@route("PUT", "/roles/{role_id}/users", "set_role_users", kind="role")
def set_role_users(call: Call) -> list[dict[str, Any]]:
    role = d.require(call.store, "role", call.params["role_id"])
    user_ids = _id_array(call, "user", "user_ids")
    for user in call.store.all("user"):
        has = role["id"] in user["role_ids"]
        if user["id"] in user_ids and not has:
            user["role_ids"].append(role["id"])
            call.store.touch("user", user["id"])
        elif user["id"] not in user_ids and has:
            user["role_ids"].remove(role["id"])
            call.store.touch("user", user["id"])
    return [d.render_user(call.store, call.store.get("user", u)) for u in user_ids]


def _set_routes(kind: str, label: str) -> None:
    base = f"/{kind}s"
    id_name = f"{kind}_id"
    create_fn = d.create_permission_set if kind == "permission_set" else d.create_model_set
    update_fn = d.update_permission_set if kind == "permission_set" else d.update_model_set

    def _create(call: Call) -> dict[str, Any]:
        return d.render_set(kind, create_fn(call.store, call.body()))

    def _all(call: Call) -> list[dict[str, Any]]:
        return [d.render_set(kind, o) for o in d.sort_rows(call.store.all(kind), None)]

    def _search(call: Call) -> list[dict[str, Any]]:
        return [d.render_set(kind, o) for o in d.search(call.store.all(kind), call.query)]

    def _get(call: Call) -> dict[str, Any]:
        return d.render_set(kind, d.require(call.store, kind, call.params[id_name]))

    def _update(call: Call) -> dict[str, Any]:
        obj = d.require(call.store, kind, call.params[id_name])
        d.forbid_built_in(obj)
        update_fn(call.store, obj, call.body())
        return d.render_set(kind, obj)

    def _delete(call: Call) -> Any:
        obj = d.require(call.store, kind, call.params[id_name])
        d.forbid_built_in(obj)
        for role in call.store.all("role"):
            if role.get(id_name) == obj["id"]:
                raise LookerError(405, f"{label} is used by role {role['name']}.")
        call.store.remove(kind, obj["id"])
        return NO_CONTENT

    route("POST", base, f"create_{kind}", kind=kind)(_create)
    route("GET", base, f"all_{kind}s")(_all)
    route("GET", f"{base}/search", f"search_{kind}s")(_search)
    route("GET", f"{base}/{{{id_name}}}", kind)(_get)
    route("PATCH", f"{base}/{{{id_name}}}", f"update_{kind}", kind=kind)(_update)
    route("DELETE", f"{base}/{{{id_name}}}", f"delete_{kind}")(_delete)


_set_routes("permission_set", "Permission set")
_set_routes("model_set", "Model set")


@route("GET", "/permissions", "all_permissions")
def all_permissions(call: Call) -> list[dict[str, Any]]:
    return [
        d.sdk_types.render(
            "Permission",
            {
                "permission": name,
                "parent": parent,
                "description": name.replace("_", " ").capitalize(),
            },
        )
        for name, parent in d.PERMISSIONS.items()
    ]


# --- LookML models and connections -----------------------------------------------------


@route("POST", "/lookml_models", "create_lookml_model", kind="lookml_model")
def create_lookml_model(call: Call) -> dict[str, Any]:
    return d.render_lookml_model(call.store, d.create_lookml_model(call.store, call.body()))


@route("GET", "/lookml_models", "all_lookml_models")
def all_lookml_models(call: Call) -> list[dict[str, Any]]:
    rows = sorted(call.store.all("lookml_model"), key=lambda m: m["name"])
    if call.flag("exclude_empty"):
        rows = [m for m in rows if lookml.explores_of(call.store, m)]
    return [d.render_lookml_model(call.store, m) for m in d.paginate(rows, call.query)]


@route("GET", "/lookml_models/{lookml_model_name}", "lookml_model")
def get_lookml_model(call: Call) -> dict[str, Any]:
    return d.render_lookml_model(
        call.store, d.require(call.store, "lookml_model", call.params["lookml_model_name"])
    )


@route("PATCH", "/lookml_models/{lookml_model_name}", "update_lookml_model", kind="lookml_model")
def update_lookml_model(call: Call) -> dict[str, Any]:
    model = d.require(call.store, "lookml_model", call.params["lookml_model_name"])
    d.update_lookml_model(call.store, model, call.body())
    return d.render_lookml_model(call.store, model)


@route("DELETE", "/lookml_models/{lookml_model_name}", "delete_lookml_model")
def delete_lookml_model(call: Call) -> Any:
    model = d.require(call.store, "lookml_model", call.params["lookml_model_name"])
    call.store.remove("lookml_model", model["name"])
    return NO_CONTENT


@route("GET", "/lookml_models/{lookml_model_name}/explores/{explore_name}", "lookml_model_explore")
def lookml_model_explore(call: Call) -> dict[str, Any]:
    model = d.require(call.store, "lookml_model", call.params["lookml_model_name"])
    name = call.params["explore_name"]
    if name not in lookml.explores_of(call.store, model):
        raise not_found()
    return d.sdk_types.render(
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
def all_connections(call: Call) -> list[dict[str, Any]]:
    rows = sorted(call.store.all("connection"), key=lambda c: c["name"])
    return [d.render_connection(c) for c in rows]


@route("GET", "/connections/{connection_name}", "connection")
def get_connection(call: Call) -> dict[str, Any]:
    return d.render_connection(d.require(call.store, "connection", call.params["connection_name"]))


# --- boards ----------------------------------------------------------------------------


@route("POST", "/boards", "create_board", kind="board")
def create_board(call: Call) -> dict[str, Any]:
    return d.render_board(call.store, d.create_board(call.store, call.body(), call.user_id))


@route("GET", "/boards", "all_boards")
def all_boards(call: Call) -> list[dict[str, Any]]:
    return [d.render_board(call.store, b) for b in d.sort_rows(call.store.all("board"), None)]


@route("GET", "/boards/search", "search_boards")
def search_boards(call: Call) -> list[dict[str, Any]]:
    view = lambda b: {**b, "creator_id": b.get("user_id")}  # noqa: E731
    rows = d.search(call.store.all("board"), call.query, view, ignore=("favorited", "permission"))
    return [d.render_board(call.store, b) for b in rows]


@route("GET", "/boards/{board_id}", "board")
def get_board(call: Call) -> dict[str, Any]:
    return d.render_board(call.store, d.require(call.store, "board", call.params["board_id"]))


@route("PATCH", "/boards/{board_id}", "update_board", kind="board")
def update_board(call: Call) -> dict[str, Any]:
    board = d.require(call.store, "board", call.params["board_id"])
    d.update_board(call.store, board, call.body())
    return d.render_board(call.store, board)


@route("DELETE", "/boards/{board_id}", "delete_board")
def delete_board(call: Call) -> Any:
    d.delete_board(call.store, d.require(call.store, "board", call.params["board_id"]))
    return NO_CONTENT


@route("POST", "/board_sections", "create_board_section", kind="board_section")
def create_board_section(call: Call) -> dict[str, Any]:
    return d.render_board_section(call.store, d.create_board_section(call.store, call.body()))


@route("GET", "/board_sections", "all_board_sections")
def all_board_sections(call: Call) -> list[dict[str, Any]]:
    rows = d.sort_rows(call.store.all("board_section"), call.query.get("sorts"))
    return [d.render_board_section(call.store, x) for x in rows]


@route("GET", "/board_sections/{board_section_id}", "board_section")
def get_board_section(call: Call) -> dict[str, Any]:
    section = d.require(call.store, "board_section", call.params["board_section_id"])
    return d.render_board_section(call.store, section)


@route("PATCH", "/board_sections/{board_section_id}", "update_board_section", kind="board_section")
def update_board_section(call: Call) -> dict[str, Any]:
    section = d.require(call.store, "board_section", call.params["board_section_id"])
    d.update_board_section(call.store, section, call.body())
    return d.render_board_section(call.store, section)


@route("DELETE", "/board_sections/{board_section_id}", "delete_board_section")
def delete_board_section(call: Call) -> Any:
    d.delete_board_section(
        call.store, d.require(call.store, "board_section", call.params["board_section_id"])
    )
    return NO_CONTENT


@route("POST", "/board_items", "create_board_item", kind="board_item")
def create_board_item(call: Call) -> dict[str, Any]:
    return d.render_board_item(call.store, d.create_board_item(call.store, call.body()))


@route("GET", "/board_items", "all_board_items")
def all_board_items(call: Call) -> list[dict[str, Any]]:
    rows = call.store.all("board_item")
    section_id = call.query.get("board_section_id")
    if section_id:
        rows = [i for i in rows if i["board_section_id"] == section_id]
    return [d.render_board_item(call.store, i) for i in d.sort_rows(rows, call.query.get("sorts"))]


@route("GET", "/board_items/{board_item_id}", "board_item")
def get_board_item(call: Call) -> dict[str, Any]:
    return d.render_board_item(
        call.store, d.require(call.store, "board_item", call.params["board_item_id"])
    )


@route("PATCH", "/board_items/{board_item_id}", "update_board_item", kind="board_item")
def update_board_item(call: Call) -> dict[str, Any]:
    item = d.require(call.store, "board_item", call.params["board_item_id"])
    d.update_board_item(call.store, item, call.body())
    return d.render_board_item(call.store, item)


@route("DELETE", "/board_items/{board_item_id}", "delete_board_item")
def delete_board_item(call: Call) -> Any:
    d.delete_board_item(
        call.store, d.require(call.store, "board_item", call.params["board_item_id"])
    )
    return NO_CONTENT


# --- scheduled plans -------------------------------------------------------------------


def _plans_for(call: Call, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Looker lists the caller's own plans unless all_users or user_id says otherwise."""
    if call.flag("all_users"):
        pass
    elif call.query.get("user_id"):
        rows = [p for p in rows if p.get("user_id") == call.query["user_id"]]
    else:
        rows = [p for p in rows if p.get("user_id") == call.user_id]
    return [d.render_scheduled_plan(call.store, p) for p in d.sort_rows(rows, None)]


@route("POST", "/scheduled_plans", "create_scheduled_plan", kind="scheduled_plan")
def create_scheduled_plan(call: Call) -> dict[str, Any]:
    plan = d.create_scheduled_plan(call.store, call.body(), call.user_id)
    return d.render_scheduled_plan(call.store, plan)


@route("GET", "/scheduled_plans", "all_scheduled_plans")
def all_scheduled_plans(call: Call) -> list[dict[str, Any]]:
    return _plans_for(call, call.store.all("scheduled_plan"))


@route("GET", "/scheduled_plans/search", "search_scheduled_plans")
def search_scheduled_plans(call: Call) -> list[dict[str, Any]]:
    def view(plan: dict[str, Any]) -> dict[str, Any]:
        dests = plan.get("scheduled_plan_destination") or []
        return {
            **plan,
            "recipient": [x.get("address") for x in dests],
            "destination_type": [x.get("type") for x in dests],
            "delivery_format": [x.get("format") for x in dests],
        }

    query = {k: v for k, v in call.query.items() if k not in ("user_id", "all_users")}
    rows = {p["id"] for p in d.search(call.store.all("scheduled_plan"), query, view)}
    return _plans_for(call, [p for p in call.store.all("scheduled_plan") if p["id"] in rows])


@route("GET", "/scheduled_plans/{scheduled_plan_id}", "scheduled_plan")
def get_scheduled_plan(call: Call) -> dict[str, Any]:
    plan = d.require(call.store, "scheduled_plan", call.params["scheduled_plan_id"])
    return d.render_scheduled_plan(call.store, plan)


@route(
    "PATCH", "/scheduled_plans/{scheduled_plan_id}", "update_scheduled_plan", kind="scheduled_plan"
)
def update_scheduled_plan(call: Call) -> dict[str, Any]:
    plan = d.require(call.store, "scheduled_plan", call.params["scheduled_plan_id"])
    d.update_scheduled_plan(call.store, plan, call.body())
    return d.render_scheduled_plan(call.store, plan)


@route("DELETE", "/scheduled_plans/{scheduled_plan_id}", "delete_scheduled_plan")
def delete_scheduled_plan(call: Call) -> Any:
    plan = d.require(call.store, "scheduled_plan", call.params["scheduled_plan_id"])
    call.store.remove("scheduled_plan", plan["id"])
    return NO_CONTENT


def _plans_by(field: str, param: str, kind: str | None, operation: str, path: str) -> None:
    def handler(call: Call) -> list[dict[str, Any]]:
        target = call.params[param]
        if kind is not None:
            d.require(call.store, kind, target)
        if field == "folder_id":
            dash_ids = {
                x["id"] for x in call.store.all("dashboard") if x.get("folder_id") == target
            }
            look_ids = {x["id"] for x in call.store.all("look") if x.get("folder_id") == target}
            rows = [
                p
                for p in call.store.all("scheduled_plan")
                if p.get("dashboard_id") in dash_ids or p.get("look_id") in look_ids
            ]
            return [d.render_scheduled_plan(call.store, p) for p in d.sort_rows(rows, None)]
        rows = [p for p in call.store.all("scheduled_plan") if p.get(field) == target]
        return _plans_for(call, rows)

    route("GET", path, operation)(handler)


_plans_by(
    "dashboard_id",
    "dashboard_id",
    "dashboard",
    "scheduled_plans_for_dashboard",
    "/scheduled_plans/dashboard/{dashboard_id}",
)
_plans_by(
    "look_id", "look_id", "look", "scheduled_plans_for_look", "/scheduled_plans/look/{look_id}"
)
_plans_by(
    "lookml_dashboard_id",
    "lookml_dashboard_id",
    None,
    "scheduled_plans_for_lookml_dashboard",
    "/scheduled_plans/lookml_dashboard/{lookml_dashboard_id}",
)
_plans_by(
    "folder_id",
    "space_id",
    "folder",
    "scheduled_plans_for_space",
    "/scheduled_plans/space/{space_id}",
)
