"""Who may see a page and who may change state: one decorator for each.

Every state change is a POST (CSRF-checked by the middleware) under a named
permission, and carries `state_changing = True` so the access-control test can
find it and prove that auditors and outsiders are refused.
"""

from collections.abc import Callable

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest
from django.views.decorators.http import require_POST, require_safe
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def page(permission: str) -> Callable:
    """A read-only page (GET/HEAD) for users who hold `permission`."""

    def decorate(view: Callable) -> Callable:
        guarded = require_safe(permission_required(permission, raise_exception=True)(view))
        guarded.state_changing = False
        return guarded

    return decorate


def action(permission: str) -> Callable:
    """A state change: POST only, refused with 403 without `permission`."""

    def decorate(view: Callable) -> Callable:
        guarded = require_POST(permission_required(permission, raise_exception=True)(view))
        guarded.state_changing = True
        guarded.permission = permission
        return guarded

    return decorate
