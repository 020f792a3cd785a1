"""Every URL of the project: anonymous users go to the login page, and nobody without
the permission changes state.

How this test finds the pages, so new views are covered without editing it:

- It walks `get_resolver()` (every pattern, through every `include()`), fills path
  converters with values of objects it creates (see `value_for`), and skips only the
  URLs in SKIPPED_PREFIXES: the admin (Django's own permission system), login, logout,
  /healthz and static files.
- A view is STATE-CHANGING when it carries the marker attribute
  `view.state_changing = True` (restoration.views.access.action sets it) or when it
  answers GET with 405 (require_POST). Such a view must answer an auditor's POST, and
  an outsider's (logged in, no group), with 403.
- Every other view must leave the database as it was when an auditor POSTs to it
  (403 and 405 are the usual answers). A view that changes state on POST without the
  marker and without rejecting GET fails here.

A path converter whose argument name the test cannot fill gets CONVERTER_DEFAULTS by
converter type; if a new view needs a real object, extend `value_for`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db.models import Max
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter, PathConverter, SlugConverter, UUIDConverter
from django.urls.resolvers import RegexPattern, RoutePattern
from django.views.decorators.http import require_POST
from django_q.models import OrmQ

from restoration.content_types import ContentType
from restoration.models import (
    AuditEvent,
    ContentItem,
    DeadLetterItem,
    IDMapping,
    RestorationCheckpoint,
    RestorationSession,
    SessionStatus,
    encode_blob,
)

SKIPPED_PREFIXES = ("admin/", "accounts/login/", "accounts/logout/", "healthz", "static/")
CONVERTER_DEFAULTS = {
    IntConverter: "1",
    SlugConverter: "dashboard",
    UUIDConverter: "00000000-0000-4000-8000-000000000001",
    PathConverter: "1",
}


def iter_patterns(resolver: URLResolver | None = None, prefix: str = "") -> Iterator:
    """(route with <converter:name> parts, URLPattern) for every view of the project."""
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + pattern_text(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from iter_patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def pattern_text(pattern: Any) -> str:
    if isinstance(pattern, RoutePattern):
        return str(pattern)
    if isinstance(pattern, RegexPattern):
        text = str(pattern).removeprefix("^").removesuffix("$").removesuffix(r"\Z")
        # (?P<name>...) becomes <name> so fill() treats it like a route converter.
        return re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", text)
    raise AssertionError(f"unknown URL pattern kind {pattern!r}")


def converters_of(route: str, pattern: URLPattern) -> dict[str, Any]:
    converters: dict[str, Any] = {}
    resolver = get_resolver()
    for entry in [pattern, *_resolvers_for(resolver, pattern)]:
        converters.update(getattr(entry.pattern, "converters", {}))
    return converters


def _resolvers_for(resolver: URLResolver, target: URLPattern) -> list[URLResolver]:
    for entry in resolver.url_patterns:
        if entry is target:
            return []
        if isinstance(entry, URLResolver):
            found = _resolvers_for(entry, target)
            if found is not None:
                return [entry, *found]
    return None  # type: ignore[return-value]


class World:
    """One of each object, so URLs that name an object resolve to a real one."""

    def __init__(self) -> None:
        self.session = RestorationSession.objects.create(
            destination_instance="https://dest.example",
            destination_section="destination",
            source_section="source",
            status=SessionStatus.FAILED,
        )
        self.running = RestorationSession.objects.create(
            destination_instance="https://dest.example", status=SessionStatus.RUNNING
        )
        blob = encode_blob({"id": "12", "title": "Sales"})
        self.item = ContentItem.objects.create(
            content_id="12", content_type=ContentType.DASHBOARD, name="Sales", content_data=blob
        )
        self.dead_letter = DeadLetterItem.objects.create(
            session=self.session,
            content_id="12",
            content_type=ContentType.DASHBOARD,
            content_data=blob,
            error_message="Validation Failed",
            error_type="LookerValidationError",
            retry_count=0,
        )
        self.mapping = IDMapping.objects.create(
            source_instance="https://src.example",
            destination_instance="https://dest.example",
            content_type=ContentType.DASHBOARD,
            source_id="12",
            destination_id="99",
        )
        self.checkpoint_id = RestorationCheckpoint.objects.create(
            session=self.session,
            content_type=ContentType.DASHBOARD,
            checkpoint_data={"last_offset": 0},
        ).pk

    def value_for(self, name: str, converter: Any) -> str:
        lowered = name.lower()
        if "session" in lowered:
            return self.session.id
        if "dead" in lowered or "dlq" in lowered or lowered in ("item_id", "pk", "id"):
            return str(self.dead_letter.pk)
        if "mapping" in lowered:
            return str(self.mapping.pk)
        if "checkpoint" in lowered:
            return str(self.checkpoint_id)
        if "type" in lowered:
            return "1" if isinstance(converter, IntConverter) else ContentType.DASHBOARD.slug
        if "content_id" in lowered:
            return self.item.content_id
        if "section" in lowered:
            return "destination"
        return CONVERTER_DEFAULTS.get(type(converter), "1")

    def fill(self, route: str, pattern: URLPattern) -> str:
        converters = converters_of(route, pattern)

        def value(match: re.Match) -> str:
            name = match.group(2)
            return self.value_for(name, converters.get(name))

        url = "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)
        leftover = re.search(r"[()\[\]*+?|\\]", url)
        assert leftover is None, f"cannot build a URL for the pattern {route!r}: fill it in World"
        return url

    def fingerprint(self) -> dict[str, Any]:
        """Row counts and the changeable columns a POST could touch."""
        tables = [
            RestorationSession,
            RestorationCheckpoint,
            ContentItem,
            IDMapping,
            DeadLetterItem,
            AuditEvent,
            OrmQ,
            User,
            Group,
        ]
        state: dict[str, Any] = {m.__name__: m.objects.count() for m in tables}
        state["sessions"] = sorted(
            RestorationSession.objects.values_list("id", "status", "cancel_requested_at")
        )
        state["last_dead_letter"] = DeadLetterItem.objects.aggregate(Max("failed_at"))
        return state


def project_urls() -> list[tuple[str, URLPattern]]:
    return [
        (route, pattern)
        for route, pattern in iter_patterns()
        if not route.startswith(SKIPPED_PREFIXES)
    ]


def is_marked_state_changing(pattern: URLPattern) -> bool:
    view = pattern.callback
    return bool(
        getattr(view, "state_changing", False)
        or getattr(getattr(view, "view_class", None), "state_changing", False)
    )


@pytest.fixture
def world(db) -> World:
    return World()


def client_for(user: User | None) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def test_the_walk_finds_the_app_pages():
    routes = [route for route, _ in project_urls()]
    assert "" in routes, routes  # the home page
    assert len(routes) >= 2


def test_anonymous_users_are_sent_to_login_everywhere(world):
    anonymous = client_for(None)
    for route, pattern in project_urls():
        url = world.fill(route, pattern)
        for method in (anonymous.get, anonymous.post):
            response = method(url)
            assert response.status_code == 302, f"{method.__name__.upper()} {url}"
            assert response["Location"].startswith("/accounts/login/?next="), url


@pytest.mark.parametrize("who", ["auditor", "outsider"])
def test_state_changes_are_refused_without_the_permission(world, request, who):
    user = request.getfixturevalue(who)
    client = client_for(user)
    refused = []
    for route, pattern in project_urls():
        url = world.fill(route, pattern)
        state_changing = is_marked_state_changing(pattern) or client.get(url).status_code == 405
        before = world.fingerprint()
        response = client.post(url, {"confirm": "yes", "description": "access test"})
        assert world.fingerprint() == before, f"POST {url} by {who} changed the database"
        if state_changing:
            assert response.status_code == 403, f"POST {url} by {who}: {response.status_code}"
            refused.append(url)
    # The walk must reach the app's actions, or this test proves nothing.
    assert refused or not any(is_marked_state_changing(p) for _, p in project_urls())


def test_operators_hold_every_permission_a_state_changing_view_asks_for(db):
    operators = set(
        Group.objects.get(name="Restore operators").permissions.values_list(
            "content_type__app_label", "codename"
        )
    )
    for route, pattern in project_urls():
        permission = getattr(pattern.callback, "permission", None)
        if permission:
            app_label, codename = permission.split(".")
            assert (app_label, codename) in operators, f"{route} asks for {permission}"
            assert Permission.objects.filter(codename=codename).exists()


# --- the walker can fail: a deliberately unguarded view in a throwaway URLconf ----------


@require_POST
def unguarded_delete(request, session_id):
    RestorationSession.objects.filter(pk=session_id).delete()
    from django.http import HttpResponse

    return HttpResponse("deleted")


def test_an_unguarded_state_change_is_caught(world, auditor, settings):
    from django.urls import clear_url_caches, include, path

    module = type("urlconf", (), {})()
    module.urlpatterns = [
        path("", include("restoreadmin.urls")),
        path("danger/<str:session_id>/delete", unguarded_delete),
    ]
    settings.ROOT_URLCONF = module
    clear_url_caches()
    try:
        with pytest.raises(AssertionError, match="changed the database"):
            test_state_changes_are_refused_without_the_permission(
                world, type("R", (), {"getfixturevalue": lambda self, n: auditor})(), "auditor"
            )
    finally:
        clear_url_caches()
