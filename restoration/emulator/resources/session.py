"""Logging in and out, the API versions and the caller (`/login`, `/logout`, `/versions`,
`/user`): the routes that exist before any content does.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from ..errors import LookerError, not_found
from ..routing import NO_CONTENT, Call, route
from ..rules import require
from .users import render_user


@route("POST", "/login", "login")
def serve_login(call: Call) -> dict[str, Any]:
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
def serve_logout(call: Call) -> Any:
    call.app.revoke_token(call.query.get("_token", ""))
    return NO_CONTENT


@route("GET", "/versions", "versions")
def serve_versions(call: Call) -> dict[str, Any]:
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
def serve_me(call: Call) -> dict[str, Any]:
    return render_user(call.store, require(call.store, "user", call.user_id))


@route("POST", "/login/{user_id}", "login_user")
def serve_login_user(call: Call) -> dict[str, Any]:
    """An admin's token that runs as another user (Looker's "sudo"): how a client follows
    an alert, or reads what a user follows, on that user's behalf."""
    user = require(call.store, "user", call.params["user_id"])
    if user.get("is_disabled"):
        raise LookerError(400, "Cannot log in as a disabled user.")
    token = call.app.issue_token(user["id"])
    return {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
