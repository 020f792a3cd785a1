"""Every Looker API call goes through LookerCaller: rate limits first, then the call,
then retries of what may succeed later, and a LookerCallFailed that says what happened.

Retries use exponential backoff with full jitter (a random wait between 0 and
base * 2**attempt, capped), so workers that failed together do not retry together.
When Looker sends Retry-After (Looker's spec declares none for 429, but proxies in
front of it do), that wait is used instead. The SDK hides response headers; we see
them through the RecordingSession every make_sdk() client uses (transport.py).
400, 403, 404, 405, 409 and 422 are never retried: the same request gets the same answer.
A 401 makes the client log in again once (Looker revoked the token early), then fails.

A timeout, a lost connection or a 5xx is an unknown outcome: Looker may have applied the
request before the answer was lost. A caller whose call is not safe to repeat (a create)
passes `recover`, which is asked whether the first attempt landed after all: before each
retry that follows such a failure, and once more when a retry is refused with a 4xx (409
or 422 "already exists": the first attempt did land). What it finds is the call's result,
and the call is not repeated. A caller whose call removes something passes
`missing_means_done`: a 404 on a retry after an unknown outcome means the first attempt
removed it.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import cattrs
import requests
from looker_sdk import error as sdk_error
from looker_sdk.rtl import auth_token
from looker_sdk.rtl import model as sdk_model
from looker_sdk.rtl import serialize as sdk_serialize

from restoration.looker import errors, transport
from restoration.looker.ratelimit import CallAbandoned, wait_or_abandon
from restoration.looker.serialization import api_dict

logger = logging.getLogger(__name__)

T = TypeVar("T")

BASE_DELAY_S = 0.5
MAX_DELAY_S = 30.0
MAX_RETRY_AFTER_S = 300.0

# What a failed Looker call can raise: the SDK's error, requests' network errors when
# someone calls through a plain session, and cattrs' error when an error body lacks
# the keys the SDK needs (API-NOTES §4 pitfall 1).
LOOKER_FAILURES = (
    sdk_error.SDKError,
    requests.RequestException,
    sdk_serialize.DeserializeError,
    cattrs.BaseValidationError,
    ConnectionError,
    TimeoutError,
)


class Limiter(Protocol):
    def acquire(self, stop: threading.Event | None = None) -> float: ...

    def backoff(self, retry_after: float | None = None) -> None: ...


__all__ = ["CallAbandoned", "LookerCallFailed", "LookerCaller"]


class LookerCallFailed(Exception):
    """A Looker call that failed for good: not retryable, or out of retries."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None,
        body: Any = None,
        payload: Any = None,
        retry_history: list[dict[str, Any]] | None = None,
        operation: str = "",
        network_error: str | None = None,
        transient: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body
        self.payload = payload
        self.retry_history = retry_history or []
        self.operation = operation
        self.network_error = network_error
        self.transient = transient

    @property
    def error_type(self) -> str:
        return errors.error_type(self.status, self.network_error)

    @property
    def retry_count(self) -> int:
        return max(0, len(self.retry_history) - 1)

    def as_metadata(self) -> dict[str, Any]:
        """The dead-letter metadata the design asks for."""
        return {
            "operation": self.operation,
            "request_payload": self.payload,
            "response_status": self.status,
            "response_body": self.body,
            "retry_history": self.retry_history,
        }

    def __str__(self) -> str:
        where = f"{self.operation}: " if self.operation else ""
        status = f"HTTP {self.status}" if self.status else (self.network_error or "error")
        return f"{where}{status} {self.message}"


def payload_of(body: Any) -> Any:
    """A JSON-able copy of an SDK request body (a model, a list of ids, a dict)."""
    if body is None:
        return None
    if isinstance(body, sdk_model.Model | list | tuple | dict):
        # Deep: the SDK's unstructure leaves nested models (a tile's result_maker) as
        # objects, which a JSON column cannot hold.
        return api_dict(body)
    return body


def operation_name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__name__", repr(fn))


def _annotate(exc: BaseException) -> None:
    """Attach what the wire showed (status, Retry-After, body) to the SDK's exception."""
    seen = transport.last_exchange()
    if seen is None:
        return
    try:
        if seen.status is not None and seen.status >= 400:
            exc.http_status = seen.status  # type: ignore[attr-defined]
            exc.retry_after = seen.retry_after  # type: ignore[attr-defined]
            if seen.error_body is not None:
                exc.response_body = _json_or_text(seen.error_body)  # type: ignore[attr-defined]
        elif seen.network_error:
            exc.network_error = seen.network_error  # type: ignore[attr-defined]
    except AttributeError:  # an exception type with __slots__; classification falls back
        pass


def _ambiguous(status: int | None, network: str | None) -> bool:
    """May the failed request have been applied? Yes after a timeout, a lost connection or
    a 5xx; no after a 429 or another 4xx (Looker refused it before doing anything)."""
    if status is None:
        return network is not None
    return status >= 500


def _forget_token(fn: Callable[..., Any]) -> bool:
    """Make the SDK client behind a bound method log in again on its next call."""
    auth = getattr(getattr(fn, "__self__", None), "auth", None)
    if auth is None or not hasattr(auth, "token"):
        return False
    auth.token = auth_token.AuthToken()
    return True


def _json_or_text(text: str) -> Any:
    import json

    try:
        return json.loads(text)
    except ValueError:
        return text


class LookerCaller:
    """Calls Looker methods under one or more rate limiters, with retries.

    Thread-safe: share one per session across its worker threads; each thread passes
    methods of its own SDK client.
    """

    def __init__(
        self,
        limiter: Limiter | Sequence[Limiter] | None,
        max_retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        *,
        base_delay: float = BASE_DELAY_S,
        max_delay: float = MAX_DELAY_S,
        rng: Callable[[], float] = random.random,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        stop: threading.Event | None = None,
    ) -> None:
        if limiter is None:
            self.limiters: list[Limiter] = []
        elif isinstance(limiter, list | tuple):
            self.limiters = list(limiter)
        else:
            self.limiters = [limiter]  # type: ignore[list-item]
        self.max_retries = max_retries
        self._sleep = sleep
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._rng = rng
        self._clock = clock
        # Set by the session when it is cancelled or its worker stops: waits for a rate
        # limit slot or a retry end at once with CallAbandoned instead of running out.
        self.stop = stop
        self._lock = threading.Lock()
        self.calls = 0
        self.retries = 0
        self.failures = 0
        self.rate_limited = 0

    def add_limiters(self, limiters: Iterable[Limiter]) -> None:
        self.limiters.extend(limiters)

    def _count(self, **deltas: int) -> None:
        with self._lock:
            for name, n in deltas.items():
                setattr(self, name, getattr(self, name) + n)

    def backoff_delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds before retry number attempt+1: Retry-After, else full jitter."""
        if retry_after is not None:
            return min(MAX_RETRY_AFTER_S, max(0.0, retry_after))
        ceiling = min(self._max_delay, self._base_delay * (2**attempt))
        return self._rng() * ceiling

    def call(
        self,
        fn: Callable[..., T],
        *args: Any,
        recover: Callable[[], T | None] | None = None,
        missing_means_done: bool = False,
        **kwargs: Any,
    ) -> T:
        """Run `fn(*args, **kwargs)` (an SDK method) under the limits, retrying transient failures.

        `body=` (the SDK's request body) is recorded as the request payload of a failure.
        `recover`, when given, runs before a retry that follows an ambiguous failure (a
        timeout, a lost connection, a 5xx: the request may have been applied); a result
        other than None is returned as the call's result instead of repeating the call.
        After such a failure, a retry refused with a 4xx asks `recover` once more (an
        "already exists" answer then adopts what the first attempt made), and with
        `missing_means_done` a 404 ends the call as done (a delete that had landed).
        """
        history: list[dict[str, Any]] = []
        unknown_outcome = False  # has an attempt failed in a way that may have landed?
        operation = operation_name(fn)
        attempt = 0
        relogged_in = False
        while True:
            self._acquire()
            self._count(calls=1)
            transport.forget_last_exchange()
            try:
                return fn(*args, **kwargs)
            except LOOKER_FAILURES as exc:
                _annotate(exc)
                status = errors.http_status(exc)
                network = errors.network_failure(exc) if status is None else None
                transient = errors.is_transient(exc)
                retry_after = getattr(exc, "retry_after", None)
                if status == 429:
                    self._count(rate_limited=1)
                    for limiter in self.limiters:
                        limiter.backoff(retry_after)
                entry: dict[str, Any] = {
                    "attempt": attempt + 1,
                    "status": status,
                    "error": errors.error_message(exc)[:500],
                    "at": self._clock().isoformat(),
                    "waited_s": 0.0,
                }
                history.append(entry)
                if status == 401 and not relogged_in and _forget_token(fn):
                    # The SDK re-authenticates only when its token's own clock runs out;
                    # a token Looker revoked early (a restart, an admin) fails every call.
                    relogged_in = True
                    self._count(retries=1)
                    attempt += 1
                    continue
                if unknown_outcome and status in (404, 409, 422):
                    if missing_means_done and status == 404:
                        logger.info("Looker %s had landed after all (now 404)", operation)
                        return None  # type: ignore[return-value]
                    if recover is not None:
                        found = recover()
                        if found is not None:
                            entry["adopted"] = True
                            logger.info("Looker %s had landed after all; adopted", operation)
                            return found
                if _ambiguous(status, network):
                    unknown_outcome = True
                if not transient or attempt >= self.max_retries:
                    self._count(failures=1)
                    raise LookerCallFailed(
                        errors.error_message(exc),
                        status=status,
                        body=errors.error_body(exc),
                        payload=payload_of(kwargs.get("body")),
                        retry_history=history,
                        operation=operation,
                        network_error=network,
                        transient=transient,
                    ) from exc
                delay = self.backoff_delay(attempt, retry_after)
                entry["waited_s"] = round(delay, 3)
                logger.info(
                    "Looker %s failed (%s), retry %d/%d in %.2fs",
                    operation,
                    status or network or type(exc).__name__,
                    attempt + 1,
                    self.max_retries,
                    delay,
                )
                self._count(retries=1)
                if delay > 0:
                    wait_or_abandon(delay, self.stop, self._sleep)
                attempt += 1
                if recover is not None and _ambiguous(status, network):
                    found = recover()
                    if found is not None:
                        logger.info("Looker %s had landed after all; not repeated", operation)
                        return found

    def _acquire(self) -> None:
        for limiter in self.limiters:
            if self.stop is None:
                limiter.acquire()
            else:
                limiter.acquire(stop=self.stop)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "calls": self.calls,
                "retries": self.retries,
                "failures": self.failures,
                "rate_limited": self.rate_limited,
            }
