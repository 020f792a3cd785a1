"""Users and their email credentials: create (with nested `credentials_email`), update,
delete (with their personal folder), search and find by credential.
"""

from __future__ import annotations

from typing import Any

from .. import sdk_types
from ..errors import LookerError, already_exists, not_found, problem, validation_failed
from ..routing import NO_CONTENT, Call, route
from ..rules import check_references, merge_changes, now, require, same_name
from ..search import matches_like, paginate, search, sort_rows
from ..store import Store
from .folders import USERS_FOLDER_ID, create_folder, delete_folder


def display_name(user: dict[str, Any]) -> str:
    name = " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p)
    return name or f"User {user['id']}"


def user_email(user: dict[str, Any]) -> str | None:
    creds = user.get("_credentials_email")
    return creds.get("email") if creds else None


def _check_email(s: Store, email: Any, exclude_id: str | None) -> None:
    if email in (None, ""):
        raise validation_failed(problem("email", "missing", "This field is required."))
    # The address's form is not checked: nothing public shows what Looker accepts.
    if not isinstance(email, str):
        raise validation_failed(problem("email", "invalid", "Email must be a string."))
    for other in s.all("user"):
        if other["id"] != exclude_id and same_name(user_email(other), email):
            raise already_exists(
                problem("email", "already_exists", "Email has already been taken.")
            )


def create_user(s: Store, body: dict[str, Any], object_id: str | None = None) -> dict[str, Any]:
    creds = body.pop("credentials_email", None)
    check_references(s, body, {"home_folder_id": "folder"})
    if creds:
        _check_email(s, creds.get("email"), None)
    user = {
        "id": object_id or s.next_id("user"),
        "first_name": None,
        "last_name": None,
        "locale": "en",
        "is_disabled": False,
        "home_folder_id": None,
        "models_dir_validated": None,
        "ui_state": None,
        "can_manage_api3_creds": False,
        "role_ids": [],
        "_group_ids": [],
        "_credentials_email": None,
        "created_at": now(),
        **body,
    }
    # Every user, created now or later, is a member of the groups new users join by default
    # ("All Users").
    user["_group_ids"] = [
        *(g["id"] for g in s.all("group") if g.get("include_by_default")),
        *(g for g in user["_group_ids"] or [] if g),
    ]
    s.insert("user", user)
    folder = create_folder(s, display_name(user), USERS_FOLDER_ID, user["id"], is_personal=True)
    user["personal_folder_id"] = folder["id"]
    if creds:
        set_credentials_email(s, user, creds)
    return user


def update_user(s: Store, user: dict[str, Any], body: dict[str, Any]) -> None:
    creds = body.pop("credentials_email", None)
    check_references(s, body, {"home_folder_id": "folder"})
    if creds:
        set_credentials_email(s, user, creds)
    merge_changes(user, body)
    personal = s.get("folder", user.get("personal_folder_id"))
    if personal is not None and ("first_name" in body or "last_name" in body):
        personal["name"] = display_name(user)
        s.touch("folder", personal["id"])
    s.touch("user", user["id"])


def set_credentials_email(s: Store, user: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    current = user.get("_credentials_email") or {}
    email = body.get("email", current.get("email"))
    _check_email(s, email, user["id"])
    creds = {
        "created_at": current.get("created_at") or now(),
        "email": email,
        "forced_password_reset_at_next_login": bool(
            body.get(
                "forced_password_reset_at_next_login",
                current.get("forced_password_reset_at_next_login", False),
            )
        ),
        "is_disabled": False,
        "logged_in_at": current.get("logged_in_at"),
    }
    user["_credentials_email"] = creds
    s.touch("user", user["id"])
    return creds


def render_credentials_email(user: dict[str, Any]) -> dict[str, Any] | None:
    creds = user.get("_credentials_email")
    if not creds:
        return None
    return sdk_types.render(
        "CredentialsEmail",
        {
            **creds,
            "user_id": user["id"],
            "type": "email",
            "url": f"/api/4.0/users/{user['id']}/credentials_email",
            "user_url": f"/api/4.0/users/{user['id']}",
        },
    )


def render_user(s: Store, user: dict[str, Any], model: str = "User") -> dict[str, Any]:
    values = dict(user)
    values["display_name"] = display_name(user)
    values["email"] = user_email(user)
    values["credentials_email"] = render_credentials_email(user)
    values["group_ids"] = [g for g in user.get("_group_ids", []) if s.exists("group", g)]
    values["role_ids"] = [r for r in user.get("role_ids", []) if s.exists("role", r)]
    values["url"] = f"/api/4.0/users/{user['id']}"
    values["avatar_url"] = f"https://gravatar.example.com/avatar/{user['id']}?s=156&d=blank"
    values["avatar_url_without_sizing"] = (
        f"https://gravatar.example.com/avatar/{user['id']}?d=blank"
    )
    values["allow_direct_roles"] = True
    values["allow_normal_group_membership"] = True
    values["allow_roles_from_normal_groups"] = True
    values["credentials_api3"] = []
    values["credentials_embed"] = []
    values["sessions"] = []
    values["looker_versions"] = []
    return sdk_types.render(model, values)


def delete_user(s: Store, user: dict[str, Any]) -> None:
    personal = s.get("folder", user.get("personal_folder_id"))
    if personal is not None:
        delete_folder(s, personal, force=True)
    for plan in s.all("scheduled_plan"):
        if plan.get("user_id") == user["id"]:
            s.remove("scheduled_plan", plan["id"])
    for access in s.all("content_metadata_access"):
        if access.get("user_id") == user["id"]:
            s.remove("content_metadata_access", access["id"])
    s.remove("user", user["id"])


def _user_view(user: dict[str, Any]) -> dict[str, Any]:
    """A user with the computed values search filters on (email, full name, groups)."""
    return {
        **user,
        "email": user_email(user),
        "full_name": " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p),
        "group_id": user.get("_group_ids", []),
        "content_metadata_id": None,  # users have no content metadata of their own
        "verified_looker_employee": False,
        "embed_user": False,
        "is_service_account": False,
    }


@route("POST", "/users", "create_user", kind="user")
def serve_create_user(call: Call) -> dict[str, Any]:
    return render_user(call.store, create_user(call.store, call.body(required=False)))


@route("GET", "/users", "all_users")
def serve_all_users(call: Call) -> list[dict[str, Any]]:
    rows = call.store.all("user")
    ids = call.id_list("ids")
    if ids is not None:
        rows = [u for u in rows if u["id"] in ids]
    rows = paginate(sort_rows(rows, call.query.get("sorts")), call.query)
    return [render_user(call.store, u) for u in rows]


@route("GET", "/users/search", "search_users")
def serve_search_users(call: Call) -> list[dict[str, Any]]:
    rows = search(call.store.all("user"), call.query, _user_view, operation=call.operation)
    return [render_user(call.store, u) for u in rows]


@route("GET", "/users/search/names/{pattern}", "search_users_names")
def serve_search_users_names(call: Call) -> list[dict[str, Any]]:
    """Users whose first, last or full name or email matches the pattern (% wildcards)."""
    pattern = call.params["pattern"]
    view = _user_view

    def named(user: dict[str, Any]) -> bool:
        values = view(user)
        return any(
            matches_like(pattern, values.get(k))
            for k in ("first_name", "last_name", "full_name", "email")
        )

    rows = [u for u in call.store.all("user") if named(u)]
    rows = search(rows, call.query, view, operation=call.operation)
    return [render_user(call.store, u) for u in rows]


@route("GET", "/users/credential/{credential_type}/{credential_id}", "user_for_credential")
def serve_user_for_credential(call: Call) -> dict[str, Any]:
    """Only email credentials exist on the emulator; other types find nobody."""
    if call.params["credential_type"] == "email":
        wanted = call.params["credential_id"].lower()
        for user in call.store.all("user"):
            if (user_email(user) or "").lower() == wanted:
                return render_user(call.store, user)
    raise not_found()


@route("GET", "/users/{user_id}", "user")
def serve_get_user(call: Call) -> dict[str, Any]:
    return render_user(call.store, require(call.store, "user", call.params["user_id"]))


@route("PATCH", "/users/{user_id}", "update_user", kind="user")
def serve_update_user(call: Call) -> dict[str, Any]:
    user = require(call.store, "user", call.params["user_id"])
    update_user(call.store, user, call.body())
    return render_user(call.store, user)


@route("DELETE", "/users/{user_id}", "delete_user")
def serve_delete_user(call: Call) -> Any:
    user = require(call.store, "user", call.params["user_id"])
    if user["id"] == call.user_id:
        raise LookerError(403, "You can't delete yourself.")
    delete_user(call.store, user)
    return NO_CONTENT


@route("GET", "/users/{user_id}/credentials_email", "user_credentials_email")
def serve_user_credentials_email(call: Call) -> dict[str, Any]:
    user = require(call.store, "user", call.params["user_id"])
    creds = render_credentials_email(user)
    if creds is None:
        raise not_found()
    return creds


@route(
    "POST",
    "/users/{user_id}/credentials_email",
    "create_user_credentials_email",
    kind="credentials_email",
)
def serve_create_user_credentials_email(call: Call) -> dict[str, Any]:
    """Also on a user created with nested `credentials_email`: public code (sdk-codegen's
    user provisioning example) always makes this call after create_user, and no public
    evidence shows Looker refusing it, so existing credentials are updated, not a 409."""
    user = require(call.store, "user", call.params["user_id"])
    had = bool(user.get("_credentials_email"))
    set_credentials_email(call.store, user, call.body())
    if not had:
        call.store.create_counts["credentials_email"] += 1
    return render_credentials_email(user)


@route(
    "PATCH",
    "/users/{user_id}/credentials_email",
    "update_user_credentials_email",
    kind="credentials_email",
)
def serve_update_user_credentials_email(call: Call) -> dict[str, Any]:
    user = require(call.store, "user", call.params["user_id"])
    if not user.get("_credentials_email"):
        raise not_found()
    set_credentials_email(call.store, user, call.body())
    return render_credentials_email(user)


@route("DELETE", "/users/{user_id}/credentials_email", "delete_user_credentials_email")
def serve_delete_user_credentials_email(call: Call) -> Any:
    user = require(call.store, "user", call.params["user_id"])
    if not user.get("_credentials_email"):
        raise not_found()
    user["_credentials_email"] = None
    call.store.touch("user", user["id"])
    return NO_CONTENT
