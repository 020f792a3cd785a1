"""The engine's door to the destination Looker: one SDK client per worker thread, one
LookerCaller (rate limiter + retries) per session, and no writes at all in a dry run.

Every write is safe to retry when Looker's answer is lost (a timeout, a dropped
connection, a 5xx: Looker may have applied it). Each write kind the engine uses is
declared here by the type module that writes it, in one of three ways:

- a *finder* (`finds_lost_answer`): for a write that makes something (POST). Before the
  write is repeated after an unknown outcome, and when a repeat is refused as "already
  exists", the finder looks for what the first attempt made; what it finds is the write's
  result and the write is not repeated.
- *retried as is* (`retried_as_is`): PATCH and PUT set fields or a whole list to given
  values, so applying one twice leaves what applying it once does; a repeat is harmless.
- a delete (`delete_*`): repeated; a 404 after an unknown outcome means it had landed.

`undeclared_writes()` lists write methods the engine calls that declare none of these; a
test keeps it empty. A write the SDK's own method cannot send keeps its operation's name
(`sends_as_json`), so it declares, recovers and is reported under that name too.
"""

from __future__ import annotations

import copy
import functools
import os
import threading
import traceback
import types
from collections.abc import Callable, Collection, Container
from dataclasses import dataclass, field
from typing import Any

import requests

from restoration.looker.calls import LookerCaller, LookerCallFailed
from restoration.looker.instances import make_sdk
from restoration.looker.serialization import api_dict


class ItemFailed(Exception):
    """An item could not be restored; carries what the dead-letter queue records."""

    def __init__(
        self,
        message: str,
        *,
        error_type: str = "RestoreError",
        status: int | None = None,
        response_body: Any = None,
        request_payload: Any = None,
        retry_history: list[dict[str, Any]] | None = None,
        call: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.error_type = error_type
        self.status = status
        self.response_body = response_body
        self.request_payload = request_payload
        self.retry_history = retry_history or []
        self.call = call
        self.stack = ""

    def metadata(self) -> dict[str, Any]:
        return {
            "call": self.call,
            "request_payload": self.request_payload,
            "response_status": self.status,
            "response_body": self.response_body,
            "retry_history": self.retry_history,
        }


class MissingReference(ItemFailed):
    def __init__(self, message: str) -> None:
        super().__init__(message, error_type="MissingReference")


class DryRunWriteBlocked(RuntimeError):
    """A dry run tried to write to the destination: a bug, never a Looker answer."""


def as_dict(value: Any) -> Any:
    """An SDK model (or list of them) as plain JSON-able data at every depth, None
    fields left out."""
    if value is None or value == "":
        return value
    return api_dict(value)


def payload_of(body: Any) -> Any:
    try:
        return as_dict(body)
    except Exception:  # a payload we cannot show must not hide the real error
        return repr(body)


@dataclass(frozen=True)
class LostWrite:
    """A write whose answer was lost, as its finder sees it."""

    method: str  # the SDK method, e.g. "create_dashboard_filter"
    args: tuple[Any, ...]  # its positional arguments (path parameters)
    body: Any  # the request body as plain data (a dict, or a list of ids)
    key: Any = None  # the natural key the caller computed, if the body lacks it (a user's email)
    # Ids of objects of the written kind the caller already knew before writing, and those
    # other lost writes of the session adopted: never the write's result (what a finder
    # for objects without a unique key needs: users without email yet, tiles, sections).
    known: Container[str] = field(default_factory=frozenset)
    # The transport options the write was sent with: a write made as another user (a
    # follow) is checked by a read as that user.
    options: Any = None


Finder = Callable[["DestinationAPI", LostWrite], Any]

# SDK write method -> how to find what it made when its answer was lost.
FINDERS: dict[str, Finder] = {}
# SDK write method -> why it may simply be repeated.
RETRIED_AS_IS: dict[str, str] = {}


def finds_lost_answer(*methods: str) -> Callable[[Finder], Finder]:
    """Declare `finder(api, lost) -> object | None` for the write methods: it returns
    what the first attempt made (as the write would have answered), or None if nothing
    landed. It runs only after an unknown outcome, so it may read as it needs."""

    def register(finder: Finder) -> Finder:
        for method in methods:
            FINDERS[method] = finder
        return finder

    return register


# SDK write method -> (SDK verb method, path template, answer model): sent as plain JSON.
SENT_AS_JSON: dict[str, tuple[str, str, type]] = {}


def sends_as_json(method: str, verb: str, path: str, model: type) -> None:
    """Send `method` as plain JSON through the SDK's own transport (`sdk.post`, `sdk.put`;
    `path` has `{}` for each positional argument): for a write whose SDK method cannot
    serialise its body. Paced, retried and declared under `method` like any write."""
    SENT_AS_JSON[method] = (verb, path, model)


def retried_as_is(why: str, *methods: str) -> None:
    """Declare write methods whose repeat leaves what one application does (PATCH, PUT)."""
    for method in methods:
        RETRIED_AS_IS[method] = why


def undeclared_writes(methods: Collection[str]) -> list[str]:
    """Of these write methods, those with no finder, not retried as is and not deletes."""
    return sorted(
        m
        for m in methods
        if m not in FINDERS and m not in RETRIED_AS_IS and not m.startswith("delete_")
    )


def is_missing(exc: ItemFailed) -> bool:
    """A read that failed because the object is not there (for finders)."""
    return exc.status == 404


class DestinationAPI:
    """Calls into one Looker instance on behalf of one session."""

    def __init__(self, section: str, caller: LookerCaller, *, dry_run: bool) -> None:
        self.section = section
        self.caller = caller
        self.dry_run = dry_run
        self._local = threading.local()
        self._clients: list[Any] = []
        self._clients_lock = threading.Lock()
        self._login_lock = threading.Lock()
        # Objects lost writes adopted: one finder at a time, and none takes another's.
        self._adopted: set[tuple[str, str]] = set()  # (write method, object id)
        self._find_lock = threading.Lock()
        self._token: Any = None  # the session's access token, shared by its threads

    def sdk(self) -> Any:
        client = getattr(self._local, "sdk", None)
        if client is None:
            client = make_sdk(self.section)
            _read_environment_once(client)
            with self._login_lock:
                shared = self._token
                if shared is not None and shared.is_active:
                    # One login per session, not one per worker thread: 32 logins at
                    # once would spend a server's whole rate-limit burst before any work.
                    client.auth.token = copy.copy(shared)
                else:
                    # Log in now, paced and retried like any call: inside the first call
                    # the SDK would log in unpaced, one request more than the limiter let
                    # through.
                    self.caller.call(client.auth.authenticate, {})
                    self._token = client.auth.token
            self._local.sdk = client
            with self._clients_lock:
                self._clients.append(client)
        return client

    def read(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self._call(method, args, kwargs, payload=None)

    def write(
        self,
        method: str,
        *args: Any,
        body: Any = None,
        key: Any = None,
        known: Container[str] = frozenset(),
        **kwargs: Any,
    ) -> Any:
        """One write, safe to retry after a lost answer as its kind declares (module
        docstring). `key` and `known` are passed to the method's finder (LostWrite)."""
        if self.dry_run:
            raise DryRunWriteBlocked(f"dry run attempted {method}")
        self._local.writes = getattr(self._local, "writes", 0) + 1
        if body is not None:
            kwargs["body"] = body
        finder = FINDERS.get(method)
        recover = (
            functools.partial(
                self._find, finder, method, args, body, key, known, kwargs.get("transport_options")
            )
            if finder is not None
            else None
        )
        return self._call(
            method,
            args,
            kwargs,
            payload=body,
            recover=recover,
            missing_means_done=method.startswith("delete_"),
        )

    def _find(
        self,
        finder: Finder,
        method: str,
        args: tuple[Any, ...],
        body: Any,
        key: Any,
        known: Container[str],
        options: Any,
    ) -> Any:
        with self._find_lock:
            taken = _EitherOf(known, method, self._adopted)
            lost = LostWrite(method, args, payload_of(body), key=key, known=taken, options=options)
            found = finder(self, lost)
            if found is not None and _id_of(found) is not None:
                self._adopted.add((method, str(_id_of(found))))
        if found is not None:
            self._local.adopted = getattr(self._local, "adopted", 0) + 1
        return found

    def take_writes(self) -> int:
        """How many writes this thread sent since the last call."""
        count = getattr(self._local, "writes", 0)
        self._local.writes = 0
        return count

    def take_adopted(self) -> int:
        """How many writes of this thread, since the last call, had landed although their
        answer was lost (their finder found what they made)."""
        count = getattr(self._local, "adopted", 0)
        self._local.adopted = 0
        return count

    def _call(
        self,
        method: str,
        args: tuple,
        kwargs: dict,
        payload: Any,
        recover: Callable[[], Any] | None = None,
        missing_means_done: bool = False,
    ) -> Any:
        try:
            fn = _sdk_method(self.sdk(), method)
            return self.caller.call(
                fn, *args, recover=recover, missing_means_done=missing_means_done, **kwargs
            )
        except LookerCallFailed as exc:
            raise failure_from(exc, method, payload) from exc

    def _pace(self) -> None:
        # Logins and logouts count against the instance's rate limit like any call.
        for limiter in self.caller.limiters:
            limiter.acquire()

    def close(self) -> None:
        with self._clients_lock:
            clients, self._clients = self._clients, []
        if clients:
            # Paced like any call, so in the background: the session's end need not wait.
            threading.Thread(
                target=self._logout, args=(clients,), name="looker logout", daemon=True
            ).start()

    def _logout(self, clients: list[Any]) -> None:
        seen: set[str] = set()
        for client in clients:
            token = getattr(getattr(client.auth, "token", None), "access_token", None)
            if not token or token in seen:
                continue  # the threads share the session's token: log it out once
            seen.add(token)
            try:
                self._pace()
                client.auth.logout()
            except Exception:  # logging out is a courtesy; the token expires anyway
                pass


def _sdk_method(sdk: Any, method: str) -> Callable[..., Any]:
    """The SDK's method, or for a write `sends_as_json` declares, one that sends its body
    as plain JSON to the declared path."""
    if method not in SENT_AS_JSON:
        return getattr(sdk, method)
    verb, path, model = SENT_AS_JSON[method]

    def send_json(client: Any, *args: Any, body: Any = None, **kwargs: Any) -> Any:
        return getattr(client, verb)(path.format(*args), model, body=body, **kwargs)

    # Bound to the client and named as the operation, as the caller reports and re-logs in.
    send_json.__name__ = method
    return types.MethodType(send_json, sdk)


class _EitherOf:
    """An id the caller knew, or one another lost `method` write adopted (no copies)."""

    def __init__(
        self, known: Container[str], method: str, adopted: Container[tuple[str, str]]
    ) -> None:
        self.known, self.method, self.adopted = known, method, adopted

    def __contains__(self, item: object) -> bool:
        return item in self.known or (self.method, item) in self.adopted


def _id_of(obj: Any) -> Any:
    if isinstance(obj, dict):
        return obj.get("id") or obj.get("name")
    return getattr(obj, "id", None) or getattr(obj, "name", None)


def _read_environment_once(client: Any) -> None:
    """Read proxy and CA-bundle settings from the environment once per client, not per call.

    With `trust_env` on, requests re-scans os.environ for proxies on every request:
    about a quarter of the engine's CPU per simple item. The environment is fixed for
    the process, so apply what it says once (proxies, REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE
    when certificates are verified) and switch the per-request scan off.
    """
    session = getattr(getattr(client, "transport", None), "session", None)
    if not isinstance(session, requests.Session) or not session.trust_env:
        return
    base_url = client.auth.settings.base_url
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if session.verify is True and bundle:
        session.verify = bundle
    session.trust_env = False


def failure_from(exc: LookerCallFailed, method: str, payload: Any) -> ItemFailed:
    failed = ItemFailed(
        f"{method}: {exc.message}",
        error_type=exc.error_type,
        status=exc.status,
        response_body=exc.body,
        request_payload=exc.payload if exc.payload is not None else payload_of(payload),
        retry_history=list(exc.retry_history),
        call=method,
    )
    failed.stack = "".join(traceback.format_exception(exc))
    return failed
