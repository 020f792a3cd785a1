"""gunicorn settings of a web node: `gunicorn -c restoreadmin/gunicorn.conf.py`.

Every value can be changed by the environment (GUNICORN_BIND, WEB_CONCURRENCY,
GUNICORN_THREADS, GUNICORN_TIMEOUT) or on the command line (`--bind`, `--workers`).
Static files are served by whitenoise from STATIC_ROOT (`manage.py collectstatic`),
so a web node needs no separate static server. See docs/deploy.md.
"""

import os

wsgi_app = "restoreadmin.wsgi:application"
bind = os.getenv("GUNICORN_BIND", "127.0.0.1:8000")
# Pages are short database reads; the long work runs in the task cluster, never here.
workers = int(os.getenv("WEB_CONCURRENCY", "2"))
threads = int(os.getenv("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.getenv("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so that a slow leak never grows without bound.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
# Behind a TLS-terminating proxy: trust its X-Forwarded-* headers (set FORWARDED_ALLOW_IPS).
forwarded_allow_ips = os.getenv("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "restoreadmin-web"
# gunicorn's control socket has one default path per user: two web nodes on one machine
# would take each other's. Off unless a path is given.
control_socket = os.getenv("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket
