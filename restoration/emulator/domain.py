"""The emulated instance's behaviour: creating, changing, deleting and rendering Looker
objects with Looker's rules (references must exist, titles unique in a folder, built-ins
immutable, layouts follow their tiles).  Both the API handlers and the seeds go through it.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from . import lookml, sdk_types
from .app import LookerError, not_found, problem, validation_failed
from .permissions import PERMISSIONS
from .store import Store

SHARED_FOLDER_ID = "1"
USERS_FOLDER_ID = "2"
WEB_URL = "https://looker.example.com"


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+00:00"


def _slug(*parts: Any) -> str:
    digest = hashlib.sha256("/".join(str(p) for p in parts).encode()).hexdigest()
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
    n = int(digest, 16)
    out = []
    for _ in range(22):
        n, r = divmod(n, len(alphabet))
        out.append(alphabet[r])
    return "".join(out)


def require(s: Store, kind: str, object_id: Any) -> dict[str, Any]:
    """The object, or a 404 like Looker's for an unknown id."""
    obj = s.get(kind, object_id)
    if obj is None:
        raise not_found()
    return obj


def check_references(s: Store, body: dict[str, Any], refs: dict[str, str]) -> None:
    """422 `missing` for every id field that names an object the instance doesn't have."""
    problems = []
    for field, kind in refs.items():
        value = body.get(field)
        if value not in (None, "") and not s.exists(kind, value):
            label = kind.replace("_", " ").capitalize()
            problems.append(problem(field, "missing", f"{label} {value} does not exist."))
    if problems:
        raise validation_failed(*problems)


def require_fields(body: dict[str, Any], *names: str) -> None:
    missing = [n for n in names if body.get(n) in (None, "")]
    if missing:
        raise validation_failed(
            *(problem(n, "missing", "This field is required.") for n in missing)
        )


def _same_name(a: Any, b: Any) -> bool:
    return isinstance(a, str) and isinstance(b, str) and a.strip().lower() == b.strip().lower()


def check_unique_name(
    s: Store, kind: str, name: Any, exclude_id: str | None = None, field: str = "name"
) -> None:
    for obj in s.all(kind):
        if obj["id"] != exclude_id and _same_name(obj.get(field), name):
            label = kind.replace("_", " ").capitalize()
            raise validation_failed(
                problem(field, "already_exists", f"{label} with this {field} already exists.")
            )


def forbid_built_in(obj: dict[str, Any]) -> None:
    if obj.get("built_in") or obj.get("_built_in"):
        raise LookerError(405, "Built-in objects can't be modified or deleted.")


def _merge(obj: dict[str, Any], changes: dict[str, Any]) -> None:
    obj.update(changes)
    obj["updated_at"] = now()


# --- content metadata ------------------------------------------------------------------


def _new_content_metadata(
    s: Store, content_type: str, name: str, parent_folder_id: str | None, **ids: str
) -> str:
    parent = s.get("folder", parent_folder_id)
    parent_cm = parent["content_metadata_id"] if parent else None
    cm = {
        "name": name,
        "parent_id": parent_cm,
        "dashboard_id": None,
        "look_id": None,
        "folder_id": None,
        "homepage_id": None,
        "content_type": content_type,
        "inherits": parent_cm is not None,
        "inheriting_id": parent_cm,
        "slug": None,
        **ids,
    }
    s.insert("content_metadata", cm)
    return cm["id"]


def _move_content_metadata(s: Store, cm_id: str | None, folder_id: str | None, name: str) -> None:
    cm = s.get("content_metadata", cm_id)
    if cm is None:
        return
    parent = s.get("folder", folder_id)
    cm["parent_id"] = parent["content_metadata_id"] if parent else None
    if cm.get("inherits"):
        cm["inheriting_id"] = cm["parent_id"]
    cm["name"] = name
    s.touch("content_metadata", cm["id"])


def _delete_content_metadata(s: Store, cm_id: str | None) -> None:
    if cm_id is None:
        return
    s.remove("content_metadata", cm_id)
    for access in s.all("content_metadata_access"):
        if access["content_metadata_id"] == cm_id:
            s.remove("content_metadata_access", access["id"])


def update_content_metadata(s: Store, cm: dict[str, Any], body: dict[str, Any]) -> None:
    if "inherits" in body and body["inherits"] is not None:
        cm["inherits"] = bool(body["inherits"])
        cm["inheriting_id"] = cm["parent_id"] if cm["inherits"] else None
    s.touch("content_metadata", cm["id"])


def create_content_access(s: Store, body: dict[str, Any]) -> dict[str, Any]:
    require_fields(body, "content_metadata_id")
    if not body.get("group_id") and not body.get("user_id"):
        raise validation_failed(
            problem("group_id", "missing", "Either group_id or user_id is required.")
        )
    check_references(
        s, body, {"content_metadata_id": "content_metadata", "group_id": "group", "user_id": "user"}
    )
    permission = body.get("permission_type") or "view"
    for access in s.all("content_metadata_access"):
        if (
            access["content_metadata_id"] == body["content_metadata_id"]
            and access.get("group_id") == body.get("group_id")
            and access.get("user_id") == body.get("user_id")
        ):
            raise validation_failed(
                problem("content_metadata_id", "already_exists", "Access already granted.")
            )
    return s.insert(
        "content_metadata_access",
        {
            "content_metadata_id": body["content_metadata_id"],
            "permission_type": permission,
            "group_id": body.get("group_id"),
            "user_id": body.get("user_id"),
        },
    )


# --- folders ---------------------------------------------------------------------------


def create_folder(
    s: Store,
    name: str,
    parent_id: str | None,
    creator_id: str | None = None,
    *,
    is_personal: bool = False,
    object_id: str | None = None,
    **flags: Any,
) -> dict[str, Any]:
    if parent_id is not None and not s.exists("folder", parent_id):
        raise validation_failed(
            problem("parent_id", "missing", f"Folder {parent_id} does not exist.")
        )
    if not is_personal:
        for other in s.where("folder", "parent_id", parent_id):
            if _same_name(other.get("name"), name):
                raise validation_failed(
                    problem("name", "already_exists", "A folder with this name already exists.")
                )
    folder = {
        "id": object_id or s.next_id("folder"),
        "name": name,
        "parent_id": parent_id,
        "creator_id": creator_id,
        "created_at": now(),
        "external_id": None,
        "is_personal": is_personal,
        "is_shared_root": False,
        "is_users_root": False,
        **flags,
    }
    folder["content_metadata_id"] = _new_content_metadata(
        s, "folder", name, parent_id, folder_id=folder["id"]
    )
    return s.insert("folder", folder)


def folder_ancestors(s: Store, folder: dict[str, Any]) -> list[dict[str, Any]]:
    chain = []
    seen = {folder["id"]}
    parent = s.get("folder", folder.get("parent_id"))
    while parent is not None and parent["id"] not in seen:
        chain.append(parent)
        seen.add(parent["id"])
        parent = s.get("folder", parent.get("parent_id"))
    return list(reversed(chain))


def folder_descendants(s: Store, folder_id: str) -> list[dict[str, Any]]:
    out, todo = [], [folder_id]
    while todo:
        for child in s.where("folder", "parent_id", todo.pop()):
            out.append(child)
            todo.append(child["id"])
    return out


def is_protected_folder(folder: dict[str, Any]) -> bool:
    return bool(
        folder.get("is_shared_root") or folder.get("is_users_root") or folder.get("is_personal")
    )


def update_folder(s: Store, folder: dict[str, Any], body: dict[str, Any]) -> None:
    if folder.get("is_shared_root") or folder.get("is_users_root"):
        raise validation_failed(problem("name", "invalid", "Root folders can't be changed."))
    parent_id = body.get("parent_id", folder.get("parent_id"))
    if "parent_id" in body:
        check_references(s, body, {"parent_id": "folder"})
        if parent_id == folder["id"] or parent_id in {
            d["id"] for d in folder_descendants(s, folder["id"])
        }:
            raise validation_failed(
                problem("parent_id", "invalid", "A folder can't move into itself.")
            )
    name = body.get("name", folder["name"])
    if name in (None, ""):
        raise validation_failed(problem("name", "missing", "This field is required."))
    if not folder.get("is_personal"):
        for other in s.where("folder", "parent_id", parent_id):
            if other["id"] != folder["id"] and _same_name(other.get("name"), name):
                raise validation_failed(
                    problem("name", "already_exists", "A folder with this name already exists.")
                )
    folder["name"], folder["parent_id"] = name, parent_id
    s.touch("folder", folder["id"])
    _move_content_metadata(s, folder.get("content_metadata_id"), parent_id, name)


def delete_folder(s: Store, folder: dict[str, Any], *, force: bool = False) -> None:
    """Deletes the folder with its sub-folders and their Looks and dashboards."""
    if not force and is_protected_folder(folder):
        raise validation_failed(problem("folder_id", "invalid", "This folder can't be deleted."))
    doomed = [folder, *folder_descendants(s, folder["id"])]
    for f in doomed:
        for dash in s.where("dashboard", "folder_id", f["id"]):
            delete_dashboard(s, dash)
        for look in s.where("look", "folder_id", f["id"]):
            delete_look(s, look)
    for f in doomed:
        s.remove("folder", f["id"])
        _delete_content_metadata(s, f.get("content_metadata_id"))


def render_folder(s: Store, folder: dict[str, Any], model: str = "Folder") -> dict[str, Any]:
    child_count = len(s.where("folder", "parent_id", folder["id"]))
    ancestors = folder_ancestors(s, folder)
    values = dict(folder)
    values["child_count"] = child_count
    values["is_personal_descendant"] = any(a.get("is_personal") for a in ancestors)
    if model == "Folder":
        values["dashboards"] = [
            render_dashboard(s, d, "DashboardBase")
            for d in s.where("dashboard", "folder_id", folder["id"])
            if not d.get("deleted")
        ]
        values["looks"] = [
            render_look(s, lk, "LookWithDashboards")
            for lk in s.where("look", "folder_id", folder["id"])
            if not lk.get("deleted")
        ]
    return sdk_types.render(model, values)


def folder_base(s: Store, folder_id: str | None) -> dict[str, Any] | None:
    folder = s.get("folder", folder_id)
    if folder is None:
        return None
    values = dict(folder)
    values["child_count"] = None
    return sdk_types.render("FolderBase", values)


# --- users, groups, roles --------------------------------------------------------------


def _display_name(user: dict[str, Any]) -> str:
    name = " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p)
    return name or f"User {user['id']}"


def user_email(user: dict[str, Any]) -> str | None:
    creds = user.get("_credentials_email")
    return creds.get("email") if creds else None


def _check_email(s: Store, email: Any, exclude_id: str | None) -> None:
    if email in (None, ""):
        raise validation_failed(problem("email", "missing", "This field is required."))
    if not isinstance(email, str) or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise validation_failed(problem("email", "invalid", "Email is not a valid address."))
    for other in s.all("user"):
        if other["id"] != exclude_id and _same_name(user_email(other), email):
            raise validation_failed(
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
    s.insert("user", user)
    folder = create_folder(s, _display_name(user), USERS_FOLDER_ID, user["id"], is_personal=True)
    user["personal_folder_id"] = folder["id"]
    if creds:
        set_credentials_email(s, user, creds)
    return user


def update_user(s: Store, user: dict[str, Any], body: dict[str, Any]) -> None:
    creds = body.pop("credentials_email", None)
    check_references(s, body, {"home_folder_id": "folder"})
    if creds:
        set_credentials_email(s, user, creds)
    _merge(user, body)
    personal = s.get("folder", user.get("personal_folder_id"))
    if personal is not None and ("first_name" in body or "last_name" in body):
        personal["name"] = _display_name(user)
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


def user_group_ids(s: Store, user: dict[str, Any]) -> list[str]:
    """Groups the user belongs to, directly or through groups inside groups."""
    direct = [g for g in user.get("_group_ids", []) if s.exists("group", g)]
    result, todo = list(direct), list(direct)
    parents: dict[str, list[str]] = {}
    for group in s.all("group"):
        for child in group.get("_group_ids", []):
            parents.setdefault(child, []).append(group["id"])
    while todo:
        for parent in parents.get(todo.pop(), []):
            if parent not in result:
                result.append(parent)
                todo.append(parent)
    return result


def user_role_ids(s: Store, user: dict[str, Any], direct_only: bool = False) -> list[str]:
    roles = [r for r in user.get("role_ids", []) if s.exists("role", r)]
    if direct_only:
        return roles
    groups = set(user_group_ids(s, user))
    for role in s.all("role"):
        if role["id"] not in roles and groups.intersection(role.get("_group_ids", [])):
            roles.append(role["id"])
    return roles


def render_user(s: Store, user: dict[str, Any], model: str = "User") -> dict[str, Any]:
    values = dict(user)
    values["display_name"] = _display_name(user)
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


def create_group(s: Store, body: dict[str, Any]) -> dict[str, Any]:
    require_fields(body, "name")
    check_unique_name(s, "group", body["name"])
    group = {
        "can_add_to_content_metadata": True,
        "external_group_id": None,
        "externally_managed": False,
        "include_by_default": False,
        "_group_ids": [],
        **body,
    }
    return s.insert("group", group)


def update_group(s: Store, group: dict[str, Any], body: dict[str, Any]) -> None:
    if "name" in body:
        require_fields(body, "name")
        check_unique_name(s, "group", body["name"], group["id"])
    _merge(group, body)
    s.touch("group", group["id"])


def render_group(s: Store, group: dict[str, Any], me: str | None = None) -> dict[str, Any]:
    members = [u for u in s.all("user") if group["id"] in u.get("_group_ids", [])]
    values = dict(group)
    values["user_count"] = len(members)
    values["contains_current_user"] = any(u["id"] == me for u in members)
    return sdk_types.render("Group", values)


def delete_group(s: Store, group: dict[str, Any]) -> None:
    for user in s.all("user"):
        if group["id"] in user.get("_group_ids", []):
            user["_group_ids"].remove(group["id"])
            s.touch("user", user["id"])
    for other in s.all("group") + s.all("role"):
        if group["id"] in other.get("_group_ids", []):
            other["_group_ids"].remove(group["id"])
            s.touch("role" if "permission_set_id" in other else "group", other["id"])
    for access in s.all("content_metadata_access"):
        if access.get("group_id") == group["id"]:
            s.remove("content_metadata_access", access["id"])
    s.remove("group", group["id"])


def add_group_to_group(s: Store, parent: dict[str, Any], child_id: str) -> dict[str, Any]:
    child = s.get("group", child_id)
    if child is None:
        raise not_found()
    if child["id"] == parent["id"] or parent["id"] in _group_descendants(s, child["id"]):
        raise LookerError(400, "A group can't contain itself.")
    if child["id"] not in parent["_group_ids"]:
        parent["_group_ids"].append(child["id"])
        s.touch("group", parent["id"])
    return child


def _group_descendants(s: Store, group_id: str) -> set[str]:
    out, todo = set(), [group_id]
    while todo:
        group = s.get("group", todo.pop())
        for child in (group or {}).get("_group_ids", []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def validate_permissions(permissions: Any) -> None:
    unknown = [p for p in permissions or [] if p not in PERMISSIONS]
    if unknown:
        raise validation_failed(
            problem(
                "permissions", "invalid", f"Unknown permissions: {', '.join(map(str, unknown))}."
            )
        )


def create_permission_set(s: Store, body: dict[str, Any], **extra: Any) -> dict[str, Any]:
    require_fields(body, "name")
    check_unique_name(s, "permission_set", body["name"])
    validate_permissions(body.get("permissions"))
    obj = {"permissions": [], "built_in": False, "all_access": False, **body, **extra}
    return s.insert("permission_set", obj)


def update_permission_set(s: Store, obj: dict[str, Any], body: dict[str, Any]) -> None:
    forbid_built_in(obj)
    if "name" in body:
        require_fields(body, "name")
        check_unique_name(s, "permission_set", body["name"], obj["id"])
    validate_permissions(body.get("permissions"))
    _merge(obj, body)
    s.touch("permission_set", obj["id"])


def create_model_set(s: Store, body: dict[str, Any], **extra: Any) -> dict[str, Any]:
    require_fields(body, "name")
    check_unique_name(s, "model_set", body["name"])
    obj = {"models": [], "built_in": False, "all_access": False, **body, **extra}
    return s.insert("model_set", obj)


def update_model_set(s: Store, obj: dict[str, Any], body: dict[str, Any]) -> None:
    forbid_built_in(obj)
    if "name" in body:
        require_fields(body, "name")
        check_unique_name(s, "model_set", body["name"], obj["id"])
    _merge(obj, body)
    s.touch("model_set", obj["id"])


def render_set(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    model = "PermissionSet" if kind == "permission_set" else "ModelSet"
    return sdk_types.render(model, {**obj, "url": f"/api/4.0/{kind}s/{obj['id']}"})


_ROLE_REFS = {"permission_set_id": "permission_set", "model_set_id": "model_set"}


def create_role(s: Store, body: dict[str, Any], **extra: Any) -> dict[str, Any]:
    _role_nested_sets(s, body)
    require_fields(body, "name")
    check_unique_name(s, "role", body["name"])
    check_references(s, body, _ROLE_REFS)
    obj = {"permission_set_id": None, "model_set_id": None, "_group_ids": [], **body, **extra}
    return s.insert("role", obj)


def _role_nested_sets(s: Store, body: dict[str, Any]) -> None:
    """A role body may carry nested sets instead of ids; Looker matches them by name."""
    for key, kind in (("permission_set", "permission_set"), ("model_set", "model_set")):
        nested = body.pop(key, None)
        if nested and not body.get(f"{key}_id"):
            match = next(
                (o for o in s.all(kind) if _same_name(o.get("name"), nested.get("name"))), None
            )
            if match is None:
                raise validation_failed(problem(f"{key}_id", "missing", f"{key} does not exist."))
            body[f"{key}_id"] = match["id"]


def update_role(s: Store, role: dict[str, Any], body: dict[str, Any]) -> None:
    forbid_built_in(role)
    _role_nested_sets(s, body)
    if "name" in body:
        require_fields(body, "name")
        check_unique_name(s, "role", body["name"], role["id"])
    check_references(s, body, _ROLE_REFS)
    _merge(role, body)
    s.touch("role", role["id"])


def render_role(s: Store, role: dict[str, Any]) -> dict[str, Any]:
    ps = s.get("permission_set", role.get("permission_set_id"))
    ms = s.get("model_set", role.get("model_set_id"))
    values = dict(role)
    values["permission_set"] = render_set("permission_set", ps) if ps else None
    values["model_set"] = render_set("model_set", ms) if ms else None
    values["url"] = f"/api/4.0/roles/{role['id']}"
    values["users_url"] = f"/api/4.0/roles/{role['id']}/users"
    values["internal"] = False
    return sdk_types.render("Role", values)


def delete_role(s: Store, role: dict[str, Any]) -> None:
    forbid_built_in(role)
    for user in s.all("user"):
        if role["id"] in user.get("role_ids", []):
            user["role_ids"].remove(role["id"])
            s.touch("user", user["id"])
    s.remove("role", role["id"])


# --- LookML models and connections ----------------------------------------------------


def create_lookml_model(s: Store, body: dict[str, Any]) -> dict:
    """A model configuration.  Allowed even when no deployed project defines the model: Looker
    lists it with errors and no explores until its LookML is deployed."""
    require_fields(body, "name")
    if not re.fullmatch(r"[a-z0-9_]+", str(body["name"])):
        raise validation_failed(
            problem("name", "invalid", "Model names use lowercase letters, digits and underscores.")
        )
    if s.exists("lookml_model", body["name"]):
        raise validation_failed(problem("name", "already_exists", "Model already exists."))
    _check_connections(s, body)
    obj = {
        "project_name": None,
        "allowed_db_connection_names": [],
        "unlimited_db_connections": False,
        "label": body["name"].replace("_", " ").title(),
        **body,
    }
    obj["id"] = body["name"]
    return s.insert("lookml_model", obj, object_id=body["name"])


def _check_connections(s: Store, body: dict[str, Any]) -> None:
    unknown = [
        c for c in body.get("allowed_db_connection_names") or [] if not s.exists("connection", c)
    ]
    if unknown:
        raise validation_failed(
            problem(
                "allowed_db_connection_names",
                "missing",
                f"Connections do not exist: {', '.join(map(str, unknown))}.",
            )
        )


def update_lookml_model(s: Store, obj: dict[str, Any], body: dict[str, Any]) -> None:
    if "name" in body and body["name"] != obj["name"]:
        raise validation_failed(problem("name", "invalid", "A model can't be renamed."))
    _check_connections(s, body)
    _merge(obj, body)
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


# --- queries ---------------------------------------------------------------------------


def _query_key(body: dict[str, Any]) -> str:
    fields = sdk_types.model_fields("WriteQuery")
    same = {
        k: v
        for k, v in body.items()
        if k in fields and k != "client_id" and v not in (None, [], {})
    }
    return json.dumps(same, sort_keys=True)


def create_query(s: Store, body: dict[str, Any]) -> dict[str, Any]:
    """Queries are immutable: an identical query answers with the existing one."""
    require_fields(body, "model", "view")
    check_query_model(s, body)
    if s.query_index is None:
        s.query_index = {_query_key(q): q["id"] for q in s.all("query")}
    key = _query_key(body)
    existing = s.get("query", s.query_index.get(key))
    if existing is not None:
        return existing
    query = dict(body)
    query["id"] = s.next_id("query")
    query["slug"] = _slug("query", query["id"], key)[:7]
    query["client_id"] = body.get("client_id") or _slug("client", query["id"], key)
    s.insert("query", query)
    s.query_index[key] = query["id"]
    return query


def check_query_model(s: Store, body: dict[str, Any]) -> None:
    """404 Not found, as Looker answers, unless `model` is a configured model whose deployed
    LookML has `view` among its explores (a restore into an instance without the project
    fails here)."""
    model = s.get("lookml_model", body.get("model"))
    if model is None or str(body.get("view")) not in lookml.explores_of(s, model):
        raise not_found()


def render_query(query: dict[str, Any]) -> dict[str, Any]:
    values = dict(query)
    qid = query["id"]
    values["url"] = f"/explore/{query.get('model')}/{query.get('view')}?qid={query['client_id']}"
    values["share_url"] = f"{WEB_URL}/x/{query['slug']}"
    values["expanded_share_url"] = f"{WEB_URL}{values['url']}&query={qid}"
    values["has_table_calculations"] = any(
        isinstance(f, dict) and f.get("table_calculation") for f in _dynamic_fields(query)
    )
    return sdk_types.render("Query", values)


def _dynamic_fields(query: dict[str, Any]) -> list[Any]:
    try:
        parsed = json.loads(query.get("dynamic_fields") or "[]")
    except ValueError:
        return []
    return parsed if isinstance(parsed, list) else []


# --- Looks -----------------------------------------------------------------------------

_LOOK_REFS = {"folder_id": "folder", "query_id": "query", "user_id": "user"}


def _check_title_in_folder(
    s: Store, kind: str, title: Any, folder_id: Any, exclude_id: str | None = None
) -> None:
    for other in s.where(kind, "folder_id", folder_id):
        if (
            other["id"] != exclude_id
            and not other.get("deleted")
            and _same_name(other.get("title"), title)
        ):
            label = "Dashboard" if kind == "dashboard" else "Look"
            raise validation_failed(
                problem(
                    "[:title, :space_id]",
                    "already_exists",
                    f"{label} with this title already exists.",
                )
            )


def create_look(s: Store, body: dict[str, Any], user_id: str | None) -> dict[str, Any]:
    query_body = body.pop("query", None)
    body.pop("folder", None)
    require_fields(body, "title", "folder_id")
    if query_body and not body.get("query_id"):
        body["query_id"] = create_query(s, query_body)["id"]
    require_fields(body, "query_id")
    check_references(s, body, _LOOK_REFS)
    _check_title_in_folder(s, "look", body["title"], body["folder_id"])
    look = {
        "description": None,
        "is_run_on_load": False,
        "public": False,
        "deleted": False,
        "user_id": user_id,
        **body,
        "id": s.next_id("look"),
        "created_at": now(),
        "updated_at": now(),
        "view_count": 0,
        "favorite_count": 0,
    }
    look["content_metadata_id"] = _new_content_metadata(
        s, "look", look["title"], look["folder_id"], look_id=look["id"]
    )
    return s.insert("look", look)


def update_look(s: Store, look: dict[str, Any], body: dict[str, Any], user_id: str | None) -> None:
    query_body = body.pop("query", None)
    body.pop("folder", None)
    if query_body and not body.get("query_id"):
        body["query_id"] = create_query(s, query_body)["id"]
    check_references(s, body, _LOOK_REFS)
    for field in ("title", "folder_id", "query_id"):
        if field in body and body[field] in (None, ""):
            raise validation_failed(problem(field, "missing", "This field is required."))
    deleted = body.get("deleted", look.get("deleted"))
    if not deleted:
        _check_title_in_folder(
            s,
            "look",
            body.get("title", look["title"]),
            body.get("folder_id", look["folder_id"]),
            look["id"],
        )
    _soft_delete_fields(look, body, user_id)
    _merge(look, body)
    look["last_updater_id"] = user_id
    s.touch("look", look["id"])
    _move_content_metadata(s, look.get("content_metadata_id"), look["folder_id"], look["title"])


def _soft_delete_fields(obj: dict[str, Any], body: dict[str, Any], user_id: str | None) -> None:
    if "deleted" not in body or body["deleted"] is None:
        return
    if body["deleted"] and not obj.get("deleted"):
        obj["deleted_at"], obj["deleter_id"] = now(), user_id
    elif not body["deleted"]:
        obj["deleted_at"], obj["deleter_id"] = None, None


def delete_look(s: Store, look: dict[str, Any]) -> None:
    s.remove("look", look["id"])
    _delete_content_metadata(s, look.get("content_metadata_id"))
    for plan in s.where("scheduled_plan", "look_id", look["id"]):
        s.remove("scheduled_plan", plan["id"])
    for item in s.all("board_item"):
        if item.get("look_id") == look["id"]:
            delete_board_item(s, item)


def render_look(s: Store, look: dict[str, Any], model: str = "LookWithQuery") -> dict[str, Any]:
    values = dict(look)
    query = s.get("query", look.get("query_id"))
    user = s.get("user", look.get("user_id"))
    values["folder"] = folder_base(s, look.get("folder_id"))
    values["user_name"] = _display_name(user) if user else None
    values["model"] = (
        {"id": query.get("model"), "label": str(query.get("model")).replace("_", " ").title()}
        if query
        else None
    )
    values["url"] = f"/looks/{look['id']}"
    values["short_url"] = f"/x/{_slug('look', look['id'])[:10]}"
    values["embed_url"] = f"{WEB_URL}/embed/looks/{look['id']}"
    if model == "LookWithQuery":
        values["query"] = render_query(query) if query else None
    elif model == "LookWithDashboards":
        values["dashboards"] = []
    return sdk_types.render(model, values)


def copy_look(
    s: Store, look: dict[str, Any], folder_id: str, user_id: str | None
) -> dict[str, Any]:
    title = look["title"]
    existing = {
        o.get("title") for o in s.where("look", "folder_id", folder_id) if not o.get("deleted")
    }
    while title in existing:
        title = f"{title} (copy)"
    body = {k: look.get(k) for k in ("description", "is_run_on_load", "public", "query_id")}
    return create_look(s, {**body, "title": title, "folder_id": folder_id}, user_id)


# --- dashboards ------------------------------------------------------------------------


def create_dashboard(s: Store, body: dict[str, Any], user_id: str | None) -> dict[str, Any]:
    body.pop("folder", None)
    require_fields(body, "title", "folder_id")
    check_references(s, body, {"folder_id": "folder", "user_id": "user"})
    _check_title_in_folder(s, "dashboard", body["title"], body["folder_id"])
    if body.get("slug"):
        _check_unique_slug(s, body["slug"], None)
    dashboard = {
        "description": None,
        "hidden": False,
        "deleted": False,
        "user_id": user_id,
        "show_title": True,
        "show_filters_bar": True,
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
    dashboard["slug"] = dashboard["slug"] or _slug("dashboard", dashboard["id"])
    dashboard["content_metadata_id"] = _new_content_metadata(
        s, "dashboard", dashboard["title"], dashboard["folder_id"], dashboard_id=dashboard["id"]
    )
    s.insert("dashboard", dashboard)
    create_layout(s, {"dashboard_id": dashboard["id"], "type": "newspaper", "active": True})
    return dashboard


def _check_unique_slug(s: Store, slug: str, exclude_id: str | None) -> None:
    for other in s.where("dashboard", "slug", slug):
        if other["id"] != exclude_id:
            raise validation_failed(
                problem("slug", "already_exists", "Slug has already been taken.")
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
        _check_title_in_folder(
            s,
            "dashboard",
            body.get("title", dash["title"]),
            body.get("folder_id", dash["folder_id"]),
            dash["id"],
        )
    if body.get("slug"):
        _check_unique_slug(s, body["slug"], dash["id"])
    _soft_delete_fields(dash, body, user_id)
    _merge(dash, body)
    dash["last_updater_id"] = user_id
    s.touch("dashboard", dash["id"])
    _move_content_metadata(s, dash.get("content_metadata_id"), dash["folder_id"], dash["title"])


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
    _delete_content_metadata(s, dash.get("content_metadata_id"))
    for plan in s.where("scheduled_plan", "dashboard_id", dash["id"]):
        s.remove("scheduled_plan", plan["id"])
    for item in s.all("board_item"):
        if item.get("dashboard_id") == dash["id"]:
            delete_board_item(s, item)


def render_dashboard(s: Store, dash: dict[str, Any], model: str = "Dashboard") -> dict[str, Any]:
    values = dict(dash)
    user = s.get("user", dash.get("user_id"))
    values["folder"] = folder_base(s, dash.get("folder_id"))
    values["user_name"] = _display_name(user) if user else None
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


def children_of(s: Store, kind: str, ids: Iterable[str] | None) -> list[dict[str, Any]]:
    return [obj for obj in (s.get(kind, i) for i in ids or []) if obj is not None]


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
        create_element(s, {**body, "dashboard_id": copy["id"]})
    filter_fields = sdk_types.model_fields("WriteCreateDashboardFilter")
    for dfilter in children_of(s, "dashboard_filter", dash.get("_filter_ids")):
        body = {k: v for k, v in dfilter.items() if k in filter_fields}
        create_filter(s, {**body, "dashboard_id": copy["id"]})
    return copy


# --- dashboard elements, filters, layouts ----------------------------------------------

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


def create_element(s: Store, body: dict[str, Any]) -> dict[str, Any]:
    query_body = body.pop("query", None)
    body.pop("look", None)
    body.pop("result_maker", None)
    require_fields(body, "dashboard_id")
    _check_result_maker(body)
    if query_body and not body.get("query_id"):
        body["query_id"] = create_query(s, query_body)["id"]
    check_references(s, body, _ELEMENT_REFS)
    element_type = body.get("type") or (
        "vis" if body.get("query_id") or body.get("look_id") else "text"
    )
    element = {
        "title_hidden": False,
        **body,
        "type": element_type,
        "id": s.next_id("dashboard_element"),
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
    query_body = body.pop("query", None)
    body.pop("look", None)
    body.pop("result_maker", None)
    _check_result_maker(body)
    if query_body and not body.get("query_id"):
        body["query_id"] = create_query(s, query_body)["id"]
    if "dashboard_id" in body and body["dashboard_id"] != element["dashboard_id"]:
        raise validation_failed(
            problem("dashboard_id", "invalid", "A tile can't move to another dashboard.")
        )
    check_references(s, body, _ELEMENT_REFS)
    element.update(body)
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
    if look is not None and values["query"] is None:
        look_query = s.get("query", look.get("query_id"))
        values["query"] = render_query(look_query) if look_query else None
    for key in ("body_text", "note_text", "title_text", "subtitle_text"):
        text = element.get(key)
        values[f"{key}_as_html"] = f"<p>{text}</p>" if text else None
    values["edit_uri"] = f"/dashboards/{element['dashboard_id']}/edit"
    values["alert_count"] = 0
    return sdk_types.render("DashboardElement", values)


def create_filter(s: Store, body: dict[str, Any]) -> dict[str, Any]:
    require_fields(body, "dashboard_id", "name", "title", "type")
    check_references(s, body, {"dashboard_id": "dashboard"})
    dash = s.get("dashboard", body["dashboard_id"])
    for other in children_of(s, "dashboard_filter", dash["_filter_ids"]):
        if other.get("name") == body["name"]:
            raise validation_failed(
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
    if layout.get("active"):
        raise validation_failed(problem("active", "invalid", "The active layout can't be deleted."))
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
    for field in ("row", "column", "width", "height"):
        if isinstance(body.get(field), int) and body[field] < 0:
            raise validation_failed(problem(field, "invalid", f"{field} must not be negative."))
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


# --- boards ----------------------------------------------------------------------------


def _no_foreign_order(body: dict[str, Any], field: str) -> None:
    """A new board (section) has no sections (items) yet, so its order can name none."""
    if body.get(field):
        raise validation_failed(
            problem(field, "invalid", f"{field} may only name ids of this object's own parts.")
        )


def create_board(s: Store, body: dict[str, Any], user_id: str | None) -> dict[str, Any]:
    require_fields(body, "title")
    check_references(s, body, {"user_id": "user"})
    _no_foreign_order(body, "section_order")
    board = {
        "description": None,
        "section_order": [],
        "user_id": user_id,
        "primary_homepage": False,
        **body,
        "id": s.next_id("board"),
        "created_at": now(),
        "updated_at": now(),
        "_section_ids": [],
    }
    board["content_metadata_id"] = _new_content_metadata(
        s, "board", board["title"], None, homepage_id=board["id"]
    )
    return s.insert("board", board)


def update_board(s: Store, board: dict[str, Any], body: dict[str, Any]) -> None:
    check_references(s, body, {"user_id": "user"})
    if "section_order" in body and body["section_order"] is not None:
        unknown = [i for i in body["section_order"] if i not in board["_section_ids"]]
        if unknown:
            raise validation_failed(
                problem("section_order", "invalid", "section_order names unknown sections.")
            )
    if "title" in body and body["title"] in (None, ""):
        raise validation_failed(problem("title", "missing", "This field is required."))
    _merge(board, body)
    s.touch("board", board["id"])


def delete_board(s: Store, board: dict[str, Any]) -> None:
    for section in children_of(s, "board_section", board["_section_ids"]):
        delete_board_section(s, section)
    s.remove("board", board["id"])
    _delete_content_metadata(s, board.get("content_metadata_id"))


def render_board(s: Store, board: dict[str, Any]) -> dict[str, Any]:
    values = dict(board)
    values["board_sections"] = [
        render_board_section(s, sec)
        for sec in children_of(s, "board_section", board["_section_ids"])
    ]
    return sdk_types.render("Board", values)


def create_board_section(s: Store, body: dict[str, Any]) -> dict[str, Any]:
    require_fields(body, "board_id")
    check_references(s, body, {"board_id": "board"})
    _no_foreign_order(body, "item_order")
    section = {
        "description": None,
        "title": None,
        "item_order": [],
        **body,
        "id": s.next_id("board_section"),
        "created_at": now(),
        "updated_at": now(),
        "_item_ids": [],
    }
    s.insert("board_section", section)
    board = s.get("board", section["board_id"])
    board["_section_ids"].append(section["id"])
    board["section_order"] = [*(board.get("section_order") or []), section["id"]]
    s.touch("board", board["id"])
    return section


def update_board_section(s: Store, section: dict[str, Any], body: dict[str, Any]) -> None:
    if body.get("board_id") not in (None, section["board_id"]):
        raise validation_failed(
            problem("board_id", "invalid", "A section can't move to another board.")
        )
    if "item_order" in body and body["item_order"] is not None:
        unknown = [i for i in body["item_order"] if i not in section["_item_ids"]]
        if unknown:
            raise validation_failed(
                problem("item_order", "invalid", "item_order names unknown items.")
            )
    _merge(section, body)
    s.touch("board_section", section["id"])


def delete_board_section(s: Store, section: dict[str, Any]) -> None:
    for item in children_of(s, "board_item", section["_item_ids"]):
        s.remove("board_item", item["id"])
    board = s.get("board", section["board_id"])
    if board is not None:
        if section["id"] in board["_section_ids"]:
            board["_section_ids"].remove(section["id"])
        board["section_order"] = [i for i in board.get("section_order") or [] if i != section["id"]]
        s.touch("board", board["id"])
    s.remove("board_section", section["id"])


def render_board_section(s: Store, section: dict[str, Any]) -> dict[str, Any]:
    values = dict(section)
    items = children_of(s, "board_item", section["_item_ids"])
    values["board_items"] = [render_board_item(s, item) for item in items]
    values["visible_item_order"] = list(section.get("item_order") or [])
    return sdk_types.render("BoardSection", values)


_ITEM_REFS = {"board_section_id": "board_section", "dashboard_id": "dashboard", "look_id": "look"}


def create_board_item(s: Store, body: dict[str, Any]) -> dict[str, Any]:
    require_fields(body, "board_section_id")
    if not any(
        body.get(k) for k in ("dashboard_id", "look_id", "lookml_dashboard_id", "custom_url")
    ):
        raise validation_failed(
            problem("dashboard_id", "missing", "A board item needs a dashboard, Look or URL.")
        )
    check_references(s, body, _ITEM_REFS)
    section = s.get("board_section", body["board_section_id"])
    item = {"order": len(section["_item_ids"]), **body, "id": s.next_id("board_item")}
    s.insert("board_item", item)
    section["_item_ids"].append(item["id"])
    section["item_order"] = [*(section.get("item_order") or []), item["id"]]
    s.touch("board_section", section["id"])
    return item


def update_board_item(s: Store, item: dict[str, Any], body: dict[str, Any]) -> None:
    if body.get("board_section_id") not in (None, item["board_section_id"]):
        check_references(s, body, _ITEM_REFS)
        old = s.get("board_section", item["board_section_id"])
        new = s.get("board_section", body["board_section_id"])
        if old is not None and item["id"] in old["_item_ids"]:
            old["_item_ids"].remove(item["id"])
            old["item_order"] = [i for i in old.get("item_order") or [] if i != item["id"]]
            s.touch("board_section", old["id"])
        new["_item_ids"].append(item["id"])
        new["item_order"] = [*(new.get("item_order") or []), item["id"]]
        s.touch("board_section", new["id"])
    check_references(s, body, _ITEM_REFS)
    item.update(body)
    s.touch("board_item", item["id"])


def delete_board_item(s: Store, item: dict[str, Any]) -> None:
    section = s.get("board_section", item["board_section_id"])
    if section is not None:
        if item["id"] in section["_item_ids"]:
            section["_item_ids"].remove(item["id"])
        section["item_order"] = [i for i in section.get("item_order") or [] if i != item["id"]]
        s.touch("board_section", section["id"])
    s.remove("board_item", item["id"])


def render_board_item(s: Store, item: dict[str, Any]) -> dict[str, Any]:
    values = dict(item)
    target = s.get("dashboard", item.get("dashboard_id")) or s.get("look", item.get("look_id"))
    if item.get("dashboard_id"):
        values["url"] = f"/dashboards/{item['dashboard_id']}"
    elif item.get("look_id"):
        values["url"] = f"/looks/{item['look_id']}"
    else:
        values["url"] = item.get("custom_url")
    if target is not None:
        values["title"] = target.get("title")
        values["description"] = target.get("description")
        values["content_metadata_id"] = target.get("content_metadata_id")
        values["view_count"] = target.get("view_count", 0)
        folder = s.get("folder", target.get("folder_id"))
        values["location"] = folder["name"] if folder else None
    return sdk_types.render("BoardItem", values)


# --- scheduled plans -------------------------------------------------------------------

_PLAN_REFS = {
    "user_id": "user",
    "look_id": "look",
    "dashboard_id": "dashboard",
    "query_id": "query",
}


def _check_plan(s: Store, plan: dict[str, Any]) -> None:
    problems = []
    if plan.get("name") in (None, ""):
        problems.append(problem("name", "missing", "This field is required."))
    targets = [
        k for k in ("look_id", "dashboard_id", "lookml_dashboard_id", "query_id") if plan.get(k)
    ]
    if len(targets) != 1:
        problems.append(
            problem(
                "look_id",
                "missing",
                "Exactly one of look_id, dashboard_id, lookml_dashboard_id or query_id is required.",
            )
        )
    if not plan.get("run_once") and not plan.get("crontab") and not plan.get("datagroup"):
        problems.append(problem("crontab", "missing", "A crontab or a datagroup is required."))
    destinations = plan.get("scheduled_plan_destination") or []
    if not destinations:
        problems.append(
            problem(
                "scheduled_plan_destination", "missing", "At least one destination is required."
            )
        )
    for i, dest in enumerate(destinations):
        for field in ("type", "format"):
            if not dest.get(field):
                problems.append(
                    problem(
                        f"scheduled_plan_destination[{i}].{field}",
                        "missing",
                        "This field is required.",
                    )
                )
        if dest.get("type") == "email" and not dest.get("address"):
            problems.append(
                problem(
                    f"scheduled_plan_destination[{i}].address", "missing", "This field is required."
                )
            )
    if problems:
        raise validation_failed(*problems)
    check_references(s, plan, _PLAN_REFS)


def _plan_destinations(s: Store, plan_id: str, destinations: list[dict[str, Any]]) -> list[dict]:
    out = []
    for dest in destinations:
        dest = {k: v for k, v in dest.items() if k not in ("id", "scheduled_plan_id")}
        out.append(
            {**dest, "id": s.next_id("scheduled_plan_destination"), "scheduled_plan_id": plan_id}
        )
    return out


def create_scheduled_plan(s: Store, body: dict[str, Any], user_id: str | None) -> dict[str, Any]:
    plan = {"enabled": True, "run_as_recipient": False, "user_id": user_id, **body}
    _check_plan(s, plan)
    plan["id"] = s.next_id("scheduled_plan")
    plan["created_at"] = plan["updated_at"] = now()
    plan["scheduled_plan_destination"] = _plan_destinations(
        s, plan["id"], plan.get("scheduled_plan_destination") or []
    )
    return s.insert("scheduled_plan", plan)


def update_scheduled_plan(s: Store, plan: dict[str, Any], body: dict[str, Any]) -> None:
    merged = {**plan, **body}
    _check_plan(s, merged)
    if "scheduled_plan_destination" in body:
        body["scheduled_plan_destination"] = _plan_destinations(
            s, plan["id"], body["scheduled_plan_destination"] or []
        )
    _merge(plan, body)
    s.touch("scheduled_plan", plan["id"])


def render_scheduled_plan(s: Store, plan: dict[str, Any]) -> dict[str, Any]:
    values = dict(plan)
    target = s.get("dashboard", plan.get("dashboard_id")) or s.get("look", plan.get("look_id"))
    values["title"] = target.get("title") if target else None
    user = s.get("user", plan.get("user_id"))
    values["user"] = (
        sdk_types.render(
            "UserPublic",
            {
                "id": user["id"],
                "first_name": user.get("first_name"),
                "last_name": user.get("last_name"),
                "display_name": _display_name(user),
                "avatar_url": f"https://gravatar.example.com/avatar/{user['id']}?s=156&d=blank",
                "url": f"/api/4.0/users/{user['id']}",
            },
        )
        if user
        else None
    )
    values["scheduled_plan_destination"] = [
        # Looker never answers with secrets.
        sdk_types.render("ScheduledPlanDestination", {**d, "secret_parameters": None})
        for d in plan.get("scheduled_plan_destination") or []
    ]
    return sdk_types.render("ScheduledPlan", values)


# --- search ----------------------------------------------------------------------------

_NOT_FILTERS = {"fields", "limit", "offset", "sorts", "page", "per_page", "filter_or", "_token"}


@functools.lru_cache(maxsize=512)
def _like_regex(pattern: str) -> re.Pattern[str]:
    regex = "^" + ".*".join(re.escape(p) for p in pattern.split("%")) + "$"
    return re.compile(regex, re.IGNORECASE | re.DOTALL)


def _like(pattern: str, value: Any) -> bool:
    if value is None:
        return pattern.lower() == "null"
    return _like_regex(pattern).match(str(value)) is not None


def matches_like(pattern: str, value: Any) -> bool:
    """Looker's name matching: case-insensitive, % as wildcard."""
    return value is not None and _like(pattern, value)


def _matches(name: str, wanted: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value == (wanted.lower() in ("true", "1", "yes"))
    if isinstance(value, list):
        return any(_like(w, v) for w in wanted.split(",") for v in value)
    if name == "id" or name.endswith("_id"):
        return value is not None and str(value) in wanted.split(",")
    return _like(wanted, value)


def search(
    rows: Iterable[dict[str, Any]],
    query: dict[str, str],
    view: Callable[[dict[str, Any]], dict[str, Any]] = lambda r: r,
    ignore: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Looker's search semantics for the common filters: exact ids (comma lists),
    case-insensitive names with % wildcards, booleans, filter_or, sorts, limit/offset."""
    filters = {
        k: v for k, v in query.items() if k not in _NOT_FILTERS and k not in set(ignore) and v != ""
    }
    any_of = str(query.get("filter_or", "")).lower() == "true"
    out = []
    for row in rows:
        values = view(row)
        checks = [_matches(k, v, values.get(k)) for k, v in filters.items() if k in values]
        if not checks or (any(checks) if any_of else all(checks)):
            out.append(row)
    return paginate(sort_rows(out, query.get("sorts"), view), query)


def sort_rows(rows: list[dict[str, Any]], sorts: str | None, view=lambda r: r) -> list[dict]:
    def key_for(value: Any) -> tuple:
        if value is None:
            return (2, 0, "")
        if isinstance(value, bool | int | float):
            return (0, float(value), "")
        text = str(value)
        return (0, float(text), "") if text.isdigit() else (1, 0, text.lower())

    rows = sorted(rows, key=lambda r: key_for(r.get("id")))
    for part in reversed([p.strip() for p in (sorts or "").split(",") if p.strip()]):
        name, _, direction = part.partition(" ")
        rows.sort(
            key=lambda r: key_for(view(r).get(name)), reverse=direction.strip().lower() == "desc"
        )
    return rows


def paginate(rows: list[dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]]:
    def number(name: str) -> int | None:
        raw = query.get(name)
        if raw in (None, ""):
            return None
        try:
            return int(raw)
        except ValueError:
            raise LookerError(400, f"{name} must be an integer") from None

    per_page, page = number("per_page"), number("page")
    limit, offset = number("limit"), number("offset")
    if per_page and page:
        return rows[(page - 1) * per_page : page * per_page]
    start = offset or 0
    return rows[start : start + limit] if limit is not None else rows[start:]
