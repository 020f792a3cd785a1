"""What the last HTTP exchange on this thread looked like: status, Retry-After, error body.

The SDK hides HTTP responses: an error surfaces as SDKError without status or headers,
and a timeout as SDKError(str(exc)). make_sdk() gives each client a RecordingSession,
a requests.Session that notes every answer in a thread-local before the SDK sees it.
The SDK makes exactly one request per call (plus a login when its token expired), and
calls run on the caller's thread, so LookerCaller reads `last_exchange()` right after a
failure to learn what happened. Bodies are kept only for error answers: a successful
login's body holds an access token.
"""

from __future__ import annotations

import email.utils
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests

_local = threading.local()

MAX_BODY_CHARS = 20_000


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    status: int | None
    retry_after: float | None = None
    error_body: str | None = None
    network_error: str | None = None  # "timeout" | "connection"


def last_exchange() -> Exchange | None:
    return getattr(_local, "last", None)


def forget_last_exchange() -> None:
    _local.last = None


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _path_only(url: str) -> str:
    # Never keep query strings: nothing secret goes there today, but it costs nothing.
    return requests.utils.urlparse(url).path


class RecordingSession(requests.Session):
    """A requests.Session that records each answer (or network failure) per thread."""

    def __init__(self) -> None:
        super().__init__()
        self.requests_made = 0

    def settle_environment(self, base_url: str) -> None:
        """Read the proxy and CA-bundle environment once, not on every request.

        With trust_env, requests re-reads every *_PROXY variable for each call (a third
        of a millisecond of CPU each, an eighth of a client's cost). The same settings,
        taken now for this one base_url, keep working for the client's whole life.
        """
        self.proxies.update(requests.utils.get_environ_proxies(base_url))
        if self.verify is True:
            bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            if bundle:
                self.verify = bundle
        self.trust_env = False

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.requests_made += 1
        try:
            response = super().request(method, url, *args, **kwargs)
        except requests.Timeout:
            _local.last = Exchange(method, _path_only(url), None, network_error="timeout")
            raise
        except requests.RequestException:
            _local.last = Exchange(method, _path_only(url), None, network_error="connection")
            raise
        body = None
        if not response.ok:
            body = response.text[:MAX_BODY_CHARS]
        _local.last = Exchange(
            method,
            _path_only(url),
            response.status_code,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            error_body=body,
        )
        return response
