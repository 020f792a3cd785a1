"""`LookerEmulator`: the emulated instance served over HTTP on 127.0.0.1 from a thread.

The HTTP layer is a small threaded HTTP/1.1 server with keep-alive (the SDK reuses its
connection) that runs the WSGI app; it can also close a connection without answering,
which is how dropped connections are injected.
"""

from __future__ import annotations

import io
import json
import socket
import socketserver
import sys
import threading
import urllib.request
from http.server import ThreadingHTTPServer
from typing import Any

from . import lookml
from .app import EmulatorApp
from .faults import FaultSettings
from .seed import build_instance
from .store import Store


class _Handler(socketserver.StreamRequestHandler):
    """HTTP/1.1 with keep-alive, parsed by hand: http.server's email-based header parsing
    costs more than the emulator's own work for a simple call."""

    app: EmulatorApp
    verbose = False
    server_version = "LookerEmulator/1.0"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self) -> None:
        try:
            while self._handle_one():
                pass
        except (ConnectionError, TimeoutError, OSError):
            pass

    def _handle_one(self) -> bool:
        request_line = self.rfile.readline(65537)
        if not request_line:
            return False
        try:
            method, target, version = request_line.decode("latin-1").split()
        except ValueError:
            self._reply_raw(400, b"Bad Request")
            return False
        headers: dict[str, str] = {}
        while True:
            line = self.rfile.readline(65537)
            if line in (b"\r\n", b"\n", b""):
                break
            key, _, value = line.decode("latin-1").partition(":")
            headers[key.strip().lower()] = value.strip()
        keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = self._read_chunked()
        else:
            length = int(headers.get("content-length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
        path, _, query = target.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method.upper(),
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": headers.get("content-type", ""),
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": str(self.server.server_address[1]),
            "SERVER_PROTOCOL": version,
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for key, value in headers.items():
            if key not in ("content-length", "content-type"):
                environ["HTTP_" + key.upper().replace("-", "_")] = value
        status_headers: list[Any] = []

        def start_response(status: str, response_headers: list[tuple[str, str]], exc_info=None):
            status_headers[:] = [status, response_headers]

        chunks = self.app(environ, start_response)
        if environ.get("looker_emulator.drop"):
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return False
        payload = b"".join(chunks)
        status, response_headers = status_headers
        if self.verbose:
            sys.stderr.write(f"{method} {target} -> {status}\n")
        # One write for status line, headers and body: separate small writes meet
        # Nagle's algorithm and delayed ACKs and cost ~40 ms per call on loopback.
        lines = [f"HTTP/1.1 {status}", f"Server: {self.server_version}"]
        lines += [f"{key}: {value}" for key, value in response_headers]
        if not keep_alive:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head if method.upper() == "HEAD" else head + payload)
        return keep_alive

    def _read_chunked(self) -> bytes:
        body = b""
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()
                return body
            body += self.rfile.read(size)
            self.rfile.readline()

    def _reply_raw(self, code: int, text: bytes) -> None:
        self.wfile.write(
            f"HTTP/1.1 {code} {text.decode()}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class LookerEmulator:
    """A Looker 4.0 instance for tests and demos.

    `seed`: None (an empty instance with Looker's built-ins), "demo" or "scale:N".
    `state_file`: a SQLite file holding the instance across restarts.
    `connections`: names of the database connections the instance has (default: thelook,
    bigquery_prod, snowflake_finance); LookML models may only use these.
    `projects`: the LookML projects deployed on the instance, `{project: {model: [explores]}}`
    as a dict or JSON text, or "demo" / "none".  Default: the demo projects, whatever the
    seed (only the "demo" and "scale:N" seeds also configure `lookml_model`s for them).
    Given with a state file it replaces the file's catalogue (a redeploy).
    `auto_configure_models`: deploying configures every deployed model that has no
    configuration yet (all connections allowed), as Looker often does; default off, so
    an empty instance has no models until a restore creates them.
    """

    def __init__(
        self,
        seed: str | None = None,
        state_file: str | None = None,
        client_id: str = "emulator",
        client_secret: str = "emulator-secret",
        faults: dict[str, Any] | None = None,
        verbose: bool = False,
        connections: list[str] | None = None,
        projects: Any = None,
        auto_configure_models: bool = False,
    ) -> None:
        self.seed = seed
        self.auto_configure_models = auto_configure_models
        self.client_id = client_id
        self.client_secret = client_secret
        self.connections = connections
        self.projects = projects
        self.store = Store(state_file)
        with self.store.lock:
            if not self.store.load():
                build_instance(self.store, seed, connections, projects, auto_configure_models)
            elif projects is not None or "projects" not in self.store.meta:
                # A state file written before the catalogue existed gets the default one.
                lookml.set_deployed(self.store, projects)
            self.store.flush()
        self.app = EmulatorApp(
            self.store, client_id, client_secret, FaultSettings(), reseed=self.reset
        )
        if faults:
            self.app.faults.update(faults)
        self.app.reset_counters()
        self.verbose = verbose
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------
    def start(self, port: int = 0) -> LookerEmulator:
        handler = type("Handler", (_Handler,), {"app": self.app, "verbose": self.verbose})
        self._server = _Server(("127.0.0.1", port), handler)
        self.app.stopping.clear()
        self.app.base_url = self.base_url
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.app.stopping.set()  # wakes hanging requests
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.store.close()

    def __enter__(self) -> LookerEmulator:
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- control API as methods --------------------------------------------------------
    def counters(self) -> dict[str, Any]:
        return self.app.counters()

    def reset_counters(self) -> None:
        self.app.reset_counters()

    def set_faults(self, clear: bool = False, **settings: Any) -> dict[str, Any]:
        """Change injected faults; `clear=True` first returns to no faults at all."""
        if clear:
            self.app.faults.__init__()  # type: ignore[misc]
        self.app.faults.update(settings)
        return self.app.faults.as_dict()

    def lose_answers(
        self,
        route: str = "",
        *,
        ways: tuple[str, ...] | list[str] = ("close",),
        count: int = 1,
        rate: float = 0,
        hang_seconds: float | None = None,
    ) -> dict[str, Any]:
        """Writes matching `route` (regex on "VERB /api/4.0/path", "" = every write) are
        applied and their answer is lost: the next `count` of them, then a share `rate`.
        `ways`: "close", "502_text", "502_json", "hang" (held `hang_seconds`, then closed).
        `counters()["lost_answers"]` counts them per route."""
        settings: dict[str, Any] = {
            "lost_answer_route": route,
            "lost_answer_ways": list(ways),
            "lost_answer_next": count,
            "lost_answer_rate": rate,
        }
        if hang_seconds is not None:
            settings["lost_answer_hang_seconds"] = hang_seconds
        return self.set_faults(**settings)

    def answer_clashes_with(self, status: int, *operations: str) -> dict[str, Any]:
        """Answer a clash (a name, title or key another object has) on these operations
        (operationIds) with `status`, 409 or 422, instead of the ledger's choice; kept
        until `set_faults(clear=True)`. `counters()["clashes"]` counts the answers given."""
        wanted = {**self.app.faults.clash_statuses, **dict.fromkeys(operations, status)}
        return self.set_faults(clash_statuses=wanted)

    def reset(self, seed: str | None = None, projects: Any = None) -> None:
        """Back to a fresh instance: the given seed and projects, else the ones this emulator
        started with."""
        with self.store.lock:
            self.store.clear()
            build_instance(
                self.store,
                seed if seed is not None else self.seed,
                self.connections,
                projects if projects is not None else self.projects,
                self.auto_configure_models,
            )
            self.store.flush()
        self.app.reset_counters()

    def projects_deployed(self) -> lookml.Projects:
        """The deployed LookML catalogue `{project: {model: [explores]}}`."""
        return self.app.projects()

    def set_projects(self, projects: Any) -> lookml.Projects:
        """Deploy other LookML projects ("demo", "none", a dict or JSON); configured
        `lookml_model`s are kept and show the explores of the new catalogue."""
        return self.app.set_projects(projects)

    def control(self, method: str, path: str, data: dict[str, Any] | None = None) -> Any:
        """Call the HTTP control API (used by tests to prove it works over the wire)."""
        body = json.dumps(data).encode() if data is not None else None
        request = urllib.request.Request(
            self.base_url + path,
            data=body,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(io.TextIOWrapper(response, encoding="utf-8"))
