"""docs/deploy.md's layout as separate processes: two gunicorn web nodes in production
mode serving pages and static files, two clusters, one PostgreSQL and one Redis; each
web node's /healthz sees both clusters."""

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests.scaleout.clusters import cluster_env, wait_for
from tests.scaleout.services import free_port

HTTPS = {"X-Forwarded-Proto": "https"}  # what the TLS proxy in front of the nodes sends


def get(url: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=HTTPS)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


@pytest.mark.cluster
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_web_nodes_serve_pages_and_see_both_clusters(clusters, tmp_path):
    ini = tmp_path / "looker.ini"
    ini.write_text("")
    static_root = tmp_path / "static"
    production = {"RESTOREADMIN_PRODUCTION": "true", "STATIC_ROOT": str(static_root)}
    nodes = [clusters(name, ini, Q_WORKERS="1") for name in ("a", "b")]  # start meanwhile
    release = cluster_env(tmp_path / "release", ini, **production)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        env=release,
        cwd=settings.BASE_DIR,
        check=True,
        timeout=120,
    )
    webs, ports = [], []
    try:
        for n in (1, 2):
            port = free_port()
            env = cluster_env(tmp_path / f"web{n}", ini, **production, WEB_CONCURRENCY="1")
            env["GUNICORN_BIND"] = f"127.0.0.1:{port}"
            log = open(tmp_path / f"web{n}.log", "wb")  # noqa: SIM115 (closed with the test dir)
            gunicorn = str(Path(sys.executable).with_name("gunicorn"))
            webs.append(
                subprocess.Popen(
                    [gunicorn, "-c", "restoreadmin/gunicorn.conf.py"],
                    env=env,
                    cwd=settings.BASE_DIR,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
            ports.append(port)
        for node in nodes:
            node.wait_serving()
        for port in ports:
            base = f"http://127.0.0.1:{port}"
            assert wait_for(lambda b=base: get(b + "/healthz")[0] == 200, 30), (
                tmp_path / "web1.log"
            ).read_text()[-2000:]

            def both_clusters(b: str = base) -> bool:
                return json.loads(get(b + "/healthz")[1])["cluster"]["alive"] == 2

            assert wait_for(both_clusters, 15)
            status, page = get(base + "/accounts/login/")
            assert status == 200 and b'name="password"' in page
            # Hashed static files from collectstatic, served by whitenoise.
            css = page.split(b'href="/static/restoration/site.')[1].split(b'"')[0]
            status, body = get(f"{base}/static/restoration/site.{css.decode()}")
            assert status == 200 and body
            # Production mode: plain HTTP is sent to HTTPS.
            plain = urllib.request.Request(base + "/accounts/login/")
            with pytest.raises(urllib.error.HTTPError) as redirect:
                urllib.request.build_opener(NoRedirect).open(plain, timeout=5)
            assert redirect.value.code == 301
    finally:
        for web in webs:
            web.terminate()
            web.wait(timeout=30)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
