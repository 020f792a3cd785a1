"""What a Looker error means: its HTTP status and whether trying again can help.

The SDK's SDKError carries no status (looker-sdk issue #1589); Looker writes it into
`documentation_url` (`.../r/err/4.0/422/post/dashboards`). LookerCaller also attaches
the status, Retry-After and network failure kind it saw on the wire (see transport.py),
which covers bodies without a documentation_url (an HTML 500, a failed login).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import requests
from looker_sdk import error as sdk_error

logger = logging.getLogger(__name__)

DOC_URL_STATUS = re.compile(r"/r/err/[^/]+/(\d{3})/")

# Statuses where trying the same request again cannot succeed.
NEVER_RETRIED = frozenset({400, 401, 403, 404, 405, 409, 422})

# The SDK's transport turns requests' IOErrors into SDKError(str(exc)); these are the
# texts requests/urllib3 use for timeouts and dropped connections.
NETWORK_ERROR_TEXT = re.compile(
    r"Read timed out|timed out|Max retries exceeded|Connection aborted|Connection refused|"
    r"RemoteDisconnected|Connection reset|NewConnectionError|ConnectTimeout|ChunkedEncodingError",
    re.IGNORECASE,
)


def _no_error_doc(*args: Any, **kwargs: Any) -> tuple[str, str]:
    return ("", "")


def disable_error_doc_lookup() -> None:
    """Stop the SDK fetching error docs from static-a.cdn.looker.app on every error.

    The lookup has no timeout, so one slow CDN answer stalls a worker; it also
    leaks the failing request's path to the internet. Idempotent.
    """
    helper = getattr(sdk_error, "ErrorDocHelper", None)
    if helper is None:  # a future SDK without the helper: nothing to switch off
        logger.warning("looker_sdk.error.ErrorDocHelper not found; error-doc lookup not patched")
        return
    for name in ("parse_and_lookup", "lookup"):
        if hasattr(helper, name):
            setattr(helper, name, _no_error_doc)
    if hasattr(helper, "get_index"):
        helper.get_index = lambda self, *a, **kw: None


def _status_from_text(text: str | None) -> int | None:
    if not text:
        return None
    match = DOC_URL_STATUS.search(text)
    return int(match.group(1)) if match else None


def http_status(exc: BaseException) -> int | None:
    """The HTTP status of a failed Looker call, or None for timeouts and connection errors."""
    seen = getattr(exc, "http_status", None)
    if isinstance(seen, int):
        return seen
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return exc.response.status_code
    if isinstance(exc, sdk_error.SDKError):
        urls = [exc.documentation_url] + [d.documentation_url for d in exc.errors or []]
        for url in urls:
            if status := _status_from_text(url):
                return status
        # Login failures and bodies the SDK could not parse arrive as SDKError(raw_text):
        # the raw JSON still holds the documentation_url.
        return _status_from_text(str(exc.message))
    return None


def network_failure(exc: BaseException) -> str | None:
    """ "timeout" or "connection" when the request never got an HTTP answer, else None."""
    seen = getattr(exc, "network_error", None)
    if seen:
        return seen
    if isinstance(exc, requests.Timeout):
        return "timeout"
    if isinstance(exc, (requests.ConnectionError, ConnectionError)):
        return "connection"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, sdk_error.SDKError) and http_status(exc) is None:
        message = str(exc.message)
        if NETWORK_ERROR_TEXT.search(message):
            return "timeout" if "timed out" in message.lower() else "connection"
    return None


def is_transient(exc: BaseException) -> bool:
    """True when the same call may succeed later: 429, 5xx, timeouts, connection errors."""
    status = http_status(exc)
    if status is not None:
        return status == 429 or status == 408 or status >= 500
    return network_failure(exc) is not None


def error_type(status: int | None, network: str | None = None) -> str:
    """A name an operator reads in the dead-letter list: LookerValidationError, ..."""
    if status is None:
        return {"timeout": "LookerTimeout", "connection": "LookerConnectionError"}.get(
            network or "", "LookerError"
        )
    names = {
        400: "LookerBadRequest",
        401: "LookerUnauthorized",
        403: "LookerForbidden",
        404: "LookerNotFound",
        405: "LookerNotModifiable",
        409: "LookerConflict",
        422: "LookerValidationError",
        429: "LookerRateLimited",
    }
    if status in names:
        return names[status]
    return "LookerServerError" if status >= 500 else f"LookerHTTP{status}"


def error_body(exc: BaseException) -> Any:
    """The error body as Looker sent it (JSON when it parsed, else text), for the DLQ."""
    raw = getattr(exc, "response_body", None)
    if raw is not None:
        return raw
    if isinstance(exc, sdk_error.SDKError):
        body: dict[str, Any] = {
            "message": exc.message,
            "documentation_url": exc.documentation_url,
        }
        if exc.errors:
            body["errors"] = [
                {
                    "field": d.field,
                    "code": d.code,
                    "message": d.message,
                    "documentation_url": d.documentation_url,
                }
                for d in exc.errors
            ]
        return body
    return str(exc)


TAGS = re.compile(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>", re.IGNORECASE | re.DOTALL)
MAX_MESSAGE_CHARS = 500


def plain_text(text: str) -> str:
    """An HTML error page (a proxy's 404 or 502) reduced to its words, kept short."""
    if "<" in text and ">" in text:
        text = TAGS.sub(" ", text)
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 1] + "…"


def error_message(exc: BaseException) -> str:
    """One line for logs and the DLQ: Looker's message plus each field error."""
    if isinstance(exc, sdk_error.SDKError):
        message = str(exc.message)
        if message.startswith("{"):
            # A failed login arrives as SDKError(raw JSON body).
            try:
                message = str(json.loads(message).get("message") or message)
            except (ValueError, AttributeError):
                pass
        parts = [plain_text(message)]
        for d in exc.errors or []:
            parts.append(f"{d.field}: {d.message}" if d.field else str(d.message))
        return "; ".join(p for p in parts if p)
    return f"{type(exc).__name__}: {exc}"
