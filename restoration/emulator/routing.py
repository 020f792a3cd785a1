"""How a Looker operation reaches its handler: `@route(verb, path, operation)` registers a
resource's handler in `ROUTES`, `Router` matches a request path to it, and `Call` is one
API call as a handler sees it (path and query parameters, the body checked against the
SDK's Write model, the caller)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote

from . import sdk_types
from .errors import LookerError, problem, validation_failed


class Instance(Protocol):
    """What a handler may ask of the running emulator (`app.EmulatorApp`)."""

    client_id: str
    client_secret: str
    base_url: str
    faults: Any
    store: Any

    def issue_token(self, user_id: str) -> str: ...

    def revoke_token(self, token: str) -> None: ...


class NoContent:
    """Handler result for 204 answers."""


NO_CONTENT = NoContent()


@dataclass
class Route:
    verb: str
    template: str
    operation: str
    handler: Callable[[Call], Any]
    kind: str | None
    regex: re.Pattern[str]
    literal_segments: int


ROUTES: list[Route] = []


def make_route(
    verb: str, template: str, operation: str, handler: Callable[[Call], Any], kind: str | None
) -> Route:
    pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
    literal = sum(1 for part in template.split("/") if part and not part.startswith("{"))
    return Route(verb, template, operation, handler, kind, re.compile(pattern), literal)


def route(verb: str, template: str, operation: str, kind: str | None = None):
    """Register a handler for one Looker operation (paths as in the spec, after /api/4.0)."""

    def register(fn: Callable[[Call], Any]) -> Callable[[Call], Any]:
        ROUTES.append(make_route(verb, template, operation, fn, kind))
        return fn

    return register


def not_emulated_routes(implemented: Iterable[Route]) -> list[Route]:
    """A route for every spec operation the emulator does not implement: it answers 501
    "not emulated: <operationId>" (an error body the SDK raises as SDKError), so a client
    tells an operation the emulator lacks from an object that is missing (404)."""
    served = {(r.verb, r.template) for r in implemented}
    routes = []
    for verb, template, operation in sdk_types.spec_operations():
        if (verb, template) not in served:

            def not_emulated(call: Call, operation: str = operation) -> Any:
                raise LookerError(501, f"not emulated: {operation}")

            routes.append(make_route(verb, template, operation, not_emulated, None))
    return routes


class Router:
    def __init__(self, routes: Iterable[Route]) -> None:
        self._index: dict[tuple[str, int, str], list[Route]] = {}
        for r in routes:
            parts = r.template.strip("/").split("/")
            key = (r.verb, len(parts), parts[0])
            self._index.setdefault(key, []).append(r)
        for candidates in self._index.values():
            # "/dashboards/search" must win over "/dashboards/{dashboard_id}".
            candidates.sort(key=lambda r: -r.literal_segments)

    def match(self, verb: str, path: str) -> tuple[Route, dict[str, str]] | None:
        parts = path.strip("/").split("/")
        for r in self._index.get((verb, len(parts), parts[0]), ()):
            m = r.regex.match(path)
            if m:
                return r, {k: unquote(v) for k, v in m.groupdict().items()}
        return None

    def verbs_for(self, path: str) -> list[str]:
        return [v for v in ("GET", "POST", "PUT", "PATCH", "DELETE") if self.match(v, path)]


class Call:
    """One API call as the handlers see it."""

    def __init__(
        self,
        app: Instance,
        route: Route,
        params: dict[str, str],
        query: dict[str, str],
        raw_body: bytes,
        user_id: str | None,
    ) -> None:
        self.app = app
        self.store = app.store
        self.route = route
        self.params = params
        self.query = query
        self.raw_body = raw_body
        self.user_id = user_id
        self._json: Any = None
        self._parsed = False

    @property
    def operation(self) -> str:
        return self.route.operation

    def json(self) -> Any:
        if not self._parsed:
            self._parsed = True
            if self.raw_body.strip():
                try:
                    self._json = json.loads(self.raw_body)
                except ValueError as exc:
                    raise LookerError(400, f"JSON parse error: {exc}") from None
        return self._json

    def body(self, model_name: str | None = None, required: bool = True) -> dict[str, Any]:
        """The request body checked against the SDK's body model of this operation."""
        data = self.json()
        if data is None:
            if not required:
                data = {}
            else:
                raise LookerError(400, "Request body is required")
        if not isinstance(data, dict):
            raise LookerError(400, "Request body must be a JSON object")
        if model_name is None:
            body_type = sdk_types.operation_types(self.operation)[0]
            model_name = body_type.__name__
        problems: list[sdk_types.FieldProblem] = []
        cleaned = sdk_types.clean(data, model_name, problems)
        if problems:
            raise validation_failed(*problems)
        self.check_rejections(cleaned)
        return cleaned

    def check_rejections(self, body: dict[str, Any], kind: str | None = None) -> None:
        kind = kind or self.route.kind
        for rejection in self.app.faults.rejections:
            if kind and rejection.matches(kind, body):
                if rejection.status == 422:
                    raise validation_failed(
                        problem(rejection.field, "invalid", f"{rejection.field} is not allowed.")
                    )
                raise LookerError(rejection.status, f"Rejected {kind} {rejection.field}")

    def id_list(self, name: str) -> list[str] | None:
        raw = self.query.get(name)
        if raw is None:
            return None
        raw = raw.strip()
        if raw.startswith("["):
            try:
                return [str(v) for v in json.loads(raw)]
            except ValueError:
                raise LookerError(400, f"{name} must be a comma separated list") from None
        return [v for v in raw.split(",") if v]

    def flag(self, name: str) -> bool | None:
        raw = self.query.get(name)
        if raw is None or raw == "":
            return None
        if raw.lower() in ("true", "1", "yes"):
            return True
        if raw.lower() in ("false", "0", "no"):
            return False
        raise LookerError(400, f"{name} must be true or false")

    def number(self, name: str) -> int | None:
        raw = self.query.get(name)
        if raw is None or raw == "":
            return None
        try:
            return int(raw)
        except ValueError:
            raise LookerError(400, f"{name} must be an integer") from None
