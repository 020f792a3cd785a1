"""The engine's door to the destination Looker: one SDK client per worker thread, one
LookerCaller (rate limiter + retries) per session, and no writes at all in a dry run.
"""

from __future__ import annotations

import copy
import os
import threading
import traceback
from collections.abc import Callable
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
        recover: Callable[[], Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """One write; `recover` (see LookerCaller.call) finds a create that landed although
        its answer was lost, so that it is not created twice."""
        if self.dry_run:
            raise DryRunWriteBlocked(f"dry run attempted {method}")
        if body is not None:
            kwargs["body"] = body
        return self._call(method, args, kwargs, payload=body, recover=recover)

    def _call(
        self,
        method: str,
        args: tuple,
        kwargs: dict,
        payload: Any,
        recover: Callable[[], Any] | None = None,
    ) -> Any:
        try:
            fn = getattr(self.sdk(), method)
            return self.caller.call(fn, *args, recover=recover, **kwargs)
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
