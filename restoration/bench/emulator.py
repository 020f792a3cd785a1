"""`manage.py bench emulator`: how many simple API calls per second the Looker
emulator serves.

The emulator runs in its own process (as it does for engine benchmarks), the clients are
threads here, each with its own keep-alive `requests.Session` and login token.
"""

from __future__ import annotations

import http.client as http_client
import multiprocessing
import os
import statistics
import threading
import time

import requests
from django.core.management.base import BaseCommand

from restoration.emulator import LookerEmulator


def _serve(seed: str | None, ready, stop) -> None:
    emulator = LookerEmulator(seed=seed).start()
    ready.put(emulator.base_url)
    stop.wait()
    emulator.stop()


class Command(BaseCommand):
    help = "Benchmark the Looker emulator: calls per second with N client threads."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--seconds", type=float, default=5.0)
        parser.add_argument("--seed", default="demo")
        parser.add_argument(
            "--client",
            choices=["requests", "http.client"],
            default="requests",
            help="requests (what looker_sdk uses) or the lighter stdlib http.client",
        )
        parser.add_argument(
            "--path",
            action="append",
            default=None,
            help="API path(s) to GET in turn (default: /user and /dashboards/1)",
        )

    def handle(self, *args, **options) -> None:
        paths = options["path"] or ["/user", "/dashboards/1"]
        ctx = multiprocessing.get_context("spawn")
        ready, stop = ctx.Queue(), ctx.Event()
        server = ctx.Process(target=_serve, args=(options["seed"], ready, stop), daemon=True)
        server.start()
        try:
            base_url = ready.get(timeout=60)
            self._run(base_url, paths, options["threads"], options["seconds"], options["client"])
        finally:
            stop.set()
            server.join(timeout=10)

    def _run(
        self, base_url: str, paths: list[str], threads: int, seconds: float, client_kind: str
    ) -> None:
        latencies: list[list[float]] = [[] for _ in range(threads)]
        errors = [0] * threads
        start_gate = threading.Barrier(threads + 1)
        deadline = [0.0]

        def client(n: int) -> None:
            http = requests.Session()
            token = http.post(
                f"{base_url}/api/4.0/login",
                data={"client_id": "emulator", "client_secret": "emulator-secret"},
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            if client_kind == "http.client":
                conn = http_client.HTTPConnection(base_url.removeprefix("http://"), timeout=30)

                def get(path: str) -> int:
                    conn.request("GET", f"/api/4.0{path}", headers=headers)
                    response = conn.getresponse()
                    response.read()
                    return response.status
            else:
                http.headers.update(headers)

                def get(path: str) -> int:
                    return http.get(f"{base_url}/api/4.0{path}").status_code

            start_gate.wait()
            i = 0
            while time.perf_counter() < deadline[0]:
                began = time.perf_counter()
                status = get(paths[i % len(paths)])
                latencies[n].append(time.perf_counter() - began)
                if status != 200:
                    errors[n] += 1
                i += 1

        workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
        for worker in workers:
            worker.start()
        deadline[0] = time.perf_counter() + seconds
        began = time.perf_counter()
        start_gate.wait()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - began
        flat = sorted(x for per_thread in latencies for x in per_thread)
        calls = len(flat)
        p50 = statistics.median(flat) * 1000 if flat else 0
        p99 = flat[int(len(flat) * 0.99) - 1] * 1000 if flat else 0
        self.stdout.write(
            f"emulator: {calls} calls in {elapsed:.1f}s with {threads} client threads "
            f"= {calls / elapsed:,.0f} calls/s (GET {', '.join(paths)}; {client_kind} client); "
            f"p50 {p50:.2f} ms, p99 {p99:.2f} ms, non-200 answers: {sum(errors)}; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        )
