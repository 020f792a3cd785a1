"""The emulator's WSGI application: dispatching a request to its resource's route, login
tokens, Looker-shaped error bodies, injected faults, call counters and the `/_emulator/`
control API.  The routes themselves live in `resources/`, one module per Looker resource."""

from __future__ import annotations

import json
import random
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from . import lookml, resources, sdk_types
from .errors import CONFLICT_MESSAGE, DOCS, LookerError, clash_status, doc_url
from .faults import FaultSettings, RateLimit
from .resources.lookml_models import configure_deployed_models
from .routing import NO_CONTENT, ROUTES, Call, Router, not_emulated_routes
from .store import Store

__all__ = ["API_PREFIX", "ROUTES", "EmulatorApp"]

API_PREFIX = "/api/4.0"
TOKEN_LIFETIME = 3600
# Operations that answer without a token.
PUBLIC_OPERATIONS = {"login", "versions"}
# login_user (an admin's token as another user) changes no content either.
NOT_WRITES = {"login", "logout", "login_user"}


class EmulatorApp:
    """WSGI callable serving Looker API 4.0 paths plus the /_emulator/ control API."""

    def __init__(
        self,
        store: Store,
        client_id: str,
        client_secret: str,
        faults: FaultSettings | None = None,
        reseed: Callable[..., None] | None = None,
    ) -> None:
        self.store = store
        self.client_id = client_id
        self.client_secret = client_secret
        self.faults = faults or FaultSettings()
        self.router = Router([*resources.ROUTES, *not_emulated_routes(resources.ROUTES)])
        self.reseed = reseed
        self._rate_limit = RateLimit()
        self._counter_lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.lost_answers: Counter[str] = Counter()
        self.clashes: Counter[str] = Counter()
        self.writes = 0
        self.stopping = threading.Event()
        self.base_url = "http://127.0.0.1"
        self._random = random.Random()

    # --- counters -----------------------------------------------------------------
    def counters(self) -> dict[str, Any]:
        with self._counter_lock:
            return {
                "calls": dict(self.calls),
                "creates": dict(self.store.create_counts),
                "writes": self.writes,
                "lost_answers": dict(self.lost_answers),
                "clashes": dict(self.clashes),
            }

    def projects(self) -> lookml.Projects:
        with self.store.lock:
            return lookml.deployed(self.store)

    def set_projects(self, spec: Any) -> lookml.Projects:
        """Deploy another catalogue of LookML projects (ValueError if malformed)."""
        with self.store.lock:
            catalogue = lookml.set_deployed(self.store, spec)
            configure_deployed_models(self.store)
            self.store.flush()
        return catalogue

    def reset_counters(self) -> None:
        with self._counter_lock:
            self.calls.clear()
            self.lost_answers.clear()
            self.clashes.clear()
            self.writes = 0
            self.store.create_counts.clear()

    # --- tokens ----------------------------------------------------------------------
    def issue_token(self, user_id: str) -> str:
        token = secrets.token_urlsafe(30)
        with self.store.lock:
            tokens = dict(self.store.meta.get("tokens", {}))
            now = time.time()
            tokens = {t: v for t, v in tokens.items() if v["expires_at"] > now}
            tokens[token] = {"user_id": user_id, "expires_at": now + TOKEN_LIFETIME}
            self.store.set_meta("tokens", tokens)
            self.store.flush()
        return token

    def revoke_token(self, token: str) -> None:
        with self.store.lock:
            tokens = dict(self.store.meta.get("tokens", {}))
            tokens.pop(token, None)
            self.store.set_meta("tokens", tokens)
            self.store.flush()

    def token_user(self, environ: dict[str, Any]) -> tuple[str | None, str | None]:
        header = environ.get("HTTP_AUTHORIZATION", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() not in ("token", "bearer") or not token:
            return None, None
        info = self.store.meta.get("tokens", {}).get(token.strip())
        if not info or info["expires_at"] < time.time():
            return None, None
        return info["user_id"], token.strip()

    # --- WSGI --------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/") or "/"
        verb = environ.get("REQUEST_METHOD", "GET").upper()
        if path.startswith("/_emulator/"):
            return self._control(environ, start_response, verb, path)
        status, headers, body = self._api(environ, verb, path)
        if status == -1:
            environ["looker_emulator.drop"] = True
            start_response("500 Internal Server Error", [("Content-Length", "0")])
            return [b""]
        if isinstance(body, bytes):  # already encoded, with its own Content-Type
            payload = body
            headers = [*headers, ("Content-Length", str(len(payload)))]
        else:
            payload = b"" if body is None else json.dumps(body).encode()
            headers = [*headers, ("Content-Length", str(len(payload)))]
            if body is not None:
                headers.append(("Content-Type", "application/json"))
        start_response(f"{status} {_REASONS.get(status, 'Unknown')}", headers)
        return [payload]

    def _api(self, environ: dict[str, Any], verb: str, path: str) -> tuple[int, list, Any]:
        if path == "/api/logout":
            api_path = "/logout"
        elif path.startswith(API_PREFIX + "/"):
            api_path = path[len(API_PREFIX) :]
        else:
            return 404, [], {"message": "Not found", "documentation_url": f"{DOCS}/404/"}
        matched = self.router.match(verb, api_path.rstrip("/") or "/")
        if matched is None:
            with self._counter_lock:
                self.calls[f"{verb} {path}"] += 1
            template = api_path
            status = 405 if self.router.verbs_for(api_path) else 404
            message = "Method Not Allowed" if status == 405 else "Not found"
            return (
                status,
                [],
                {"message": message, "documentation_url": doc_url(status, verb, template)},
            )
        r, params = matched
        route_key = f"{verb} {API_PREFIX}{r.template}"
        with self._counter_lock:
            self.calls[route_key] += 1
            if verb != "GET" and r.operation not in NOT_WRITES:
                self.writes += 1
        try:
            self._inject_faults(route_key)
            query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
            raw = _read_body(environ)
            user_id = None
            if r.operation not in PUBLIC_OPERATIONS:
                user_id, token = self.token_user(environ)
                if user_id is None:
                    raise LookerError(401, "Requires authentication.")
                query["_token"] = token or ""
            call = Call(self, r, params, query, raw, user_id)
            with self.store.lock:
                try:
                    result = r.handler(call)
                finally:
                    self.store.flush()
        except _Drop:
            return -1, [], None
        except LookerError as exc:
            if exc.clash:
                exc.status = clash_status(exc, r.operation, self.faults.clash_statuses)
                if exc.status == 409:
                    exc.message = CONFLICT_MESSAGE
                with self._counter_lock:
                    self.clashes[f"{exc.status} {route_key}"] += 1
            body: dict[str, Any] = {
                "message": exc.message,
                "documentation_url": doc_url(exc.status, verb, r.template),
            }
            if exc.status == 422:
                body["errors"] = [
                    {
                        "field": p.field,
                        "code": p.code,
                        "message": p.message,
                        "documentation_url": body["documentation_url"],
                    }
                    for p in exc.errors
                ]
            return exc.status, list(exc.headers.items()), body
        if verb != "GET" and r.operation not in NOT_WRITES:
            lost = self._lose_answer(route_key, verb, r.template)
            if lost is not None:
                return lost
        if result is NO_CONTENT:
            return 204, [], None
        fields = query.get("fields")
        if fields:
            result = sdk_types.apply_fields(result, fields)
        return 200, [], result

    def _inject_faults(self, route_key: str) -> None:
        f = self.faults
        if not f.applies_to(route_key):
            return
        rnd = self._random.random
        if f.drop_rate and rnd() < f.drop_rate:
            raise _Drop()
        if f.latency_ms or f.jitter_ms:
            time.sleep((f.latency_ms + rnd() * f.jitter_ms) / 1000)
        if f.hang_rate and rnd() < f.hang_rate:
            # Served late, like a slow Looker: the client has usually given up by then.
            self.stopping.wait(f.hang_seconds)
        if not self._rate_limit.allow(f.rate_limit_per_second):
            headers = {}
            if f.retry_after is not None:
                headers["Retry-After"] = f"{f.retry_after:g}"
            raise LookerError(429, "Too Many Requests", headers=headers)
        if f.error_rate and rnd() < f.error_rate and f.error_statuses:
            status = self._random.choice(f.error_statuses)
            raise LookerError(status, _REASONS.get(status, "Server Error"))

    def _lose_answer(self, route_key: str, verb: str, template: str) -> tuple | None:
        """After a write was applied: lose its answer if the lost-answer faults say so."""
        f = self.faults
        if not f.loses_answer_of(route_key):
            return None
        with self._counter_lock:
            if f.lost_answer_next > 0:
                f.lost_answer_next -= 1
            elif not (f.lost_answer_rate and self._random.random() < f.lost_answer_rate):
                return None
            way = self._random.choice(f.lost_answer_ways)
            self.lost_answers[route_key] += 1
        if way == "502_text":
            page = (
                b"<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>"
            )
            return 502, [("Content-Type", "text/html")], page
        if way == "502_json":
            return (
                502,
                [],
                {"message": "Bad Gateway", "documentation_url": doc_url(502, verb, template)},
            )
        if way == "hang":
            # Held past the client's timeout, then closed: the caller never hears back.
            self.stopping.wait(f.lost_answer_hang_seconds)
        return -1, [], None

    # --- control API ---------------------------------------------------------------
    def _control(self, environ, start_response, verb: str, path: str) -> Iterable[bytes]:
        status, body = 200, None
        try:
            raw = _read_body(environ)
            data = json.loads(raw) if raw.strip() else {}
            if path == "/_emulator/counters" and verb == "GET":
                body = self.counters()
            elif path == "/_emulator/counters/reset" and verb == "POST":
                self.reset_counters()
                body = self.counters()
            elif path == "/_emulator/faults" and verb == "GET":
                body = self.faults.as_dict()
            elif path == "/_emulator/faults" and verb == "POST":
                if data.pop("clear", False):
                    self.faults.__init__()  # type: ignore[misc]
                self.faults.update(data)
                body = self.faults.as_dict()
            elif path == "/_emulator/reset" and verb == "POST":
                if self.reseed is None:
                    raise ValueError("this emulator cannot be reset")
                self.reseed(data.get("seed"), data.get("projects"))
                body = {"ok": True}
            elif path == "/_emulator/projects" and verb == "GET":
                body = self.projects()
            elif path == "/_emulator/projects" and verb == "POST":
                if "projects" not in data:
                    raise ValueError(
                        'send {"projects": "demo" | "none" | {project: {model: [explore]}}}'
                    )
                body = self.set_projects(data["projects"])
            else:
                status, body = 404, {"message": "unknown control path"}
        except (ValueError, TypeError) as exc:
            status, body = 400, {"message": str(exc)}
        payload = json.dumps(body).encode()
        start_response(
            f"{status} {_REASONS.get(status, 'Unknown')}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
        )
        return [payload]


class _Drop(Exception):
    """Close the connection without answering."""


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(length) if length > 0 else b""


_REASONS = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
