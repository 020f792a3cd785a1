"""Stopping a worker cleanly: SIGTERM sets the process-wide `stopping` event, the session
runner's heartbeat notices it, the runner checkpoints what finished and hands its session
back to the queue (`RestorationSession.hand_back`: pending, re-enqueued) so another
cluster resumes it; then the worker process exits instead of taking another task.

Why a handler of our own: django-q2 gives a running task no signal. The cluster's main
process turns SIGTERM into a stop event for its sentinel, and the sentinel then waits for
every running task to end (hours, for a restore). The sentinel and the workers it forks
keep SIGTERM's default action, so when the whole process group gets SIGTERM (systemd's
default, `kill -TERM -- -PGID`) a worker would die mid-item without a checkpoint. So each
worker process installs `on_sigterm` when it starts (django-q2's `post_spawn` signal), and
also watches its own cluster's reported status, so that a SIGTERM to the main process only
(`kill PID`, Ctrl-C, `docker stop`) stops a running session just as quickly.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from typing import Any

logger = logging.getLogger(__name__)

stopping = threading.Event()
WATCH_SECONDS = 2.0

_busy = False  # a task runs in this worker process right now
_in_worker = False  # this process is a django-q2 worker (not a command or a test)


def on_sigterm(signum: int, frame: Any) -> None:
    """In a worker process: ask the running session to stop; an idle worker just exits."""
    # Only set flags here: the handler interrupts the main thread wherever it is.
    stopping.set()
    if not _busy:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)


def _worker_started(sender: Any = None, **kwargs: Any) -> None:
    global _in_worker
    _in_worker = True
    signal.signal(signal.SIGTERM, on_sigterm)
    threading.Thread(target=_watch_cluster, name="shutdown watch", daemon=True).start()


def _task_starting(sender: Any = None, **kwargs: Any) -> None:
    global _busy
    _busy = True


def _task_finished(sender: Any = None, **kwargs: Any) -> None:
    global _busy
    _busy = False
    if stopping.is_set():
        # Raised inside django-q2's `with timer.get_lock()`, which releases the lock the
        # sentinel shares with us; the task's own state is already in our models.
        logger.warning("worker %s stops after a shutdown request", os.getpid())
        raise SystemExit(0)


def _cluster_reports_stopping() -> bool:
    """Has the sentinel that forked this worker reported itself stopping? Sets `stopping`."""
    from django_q.conf import Conf
    from django_q.status import Stat

    sentinel, host = os.getppid(), socket.gethostname()
    try:
        for stat in Stat.get_all():
            if (
                stat.sentinel == sentinel
                and stat.host == host
                and str(stat.status) == str(Conf.STOPPING)
            ):
                # An idle worker of a stopping cluster is a clean shutdown (Ctrl-C on
                # `manage.py run`): nothing to warn about. A busy one hands its session back.
                log = logger.warning if _busy else logger.debug
                log("cluster of worker %s is stopping", os.getpid())
                stopping.set()
                return True
    except Exception:  # a broker hiccup must not kill the watch or a task
        logger.debug("could not read the cluster status", exc_info=True)
    return False


def _watch_cluster() -> None:
    """Set `stopping` once the sentinel that forked this worker reports itself stopping."""
    while not stopping.wait(WATCH_SECONDS):
        _cluster_reports_stopping()


def worker_is_stopping() -> bool:
    """Should this process take no new session? SIGTERM seen, or (in a cluster worker) its
    cluster reports Stopping. Asked right before a claim: the watch thread looks only every
    WATCH_SECONDS, and a stopping cluster's idle worker may still be handed the very task
    that a sibling worker just handed back."""
    return stopping.is_set() or (_in_worker and _cluster_reports_stopping())


def connect() -> None:
    """Wire the handlers to django-q2's worker signals (called from AppConfig.ready)."""
    from django_q.signals import post_execute_in_worker, post_spawn, pre_execute

    post_spawn.connect(_worker_started, dispatch_uid="restoration-shutdown-spawn")
    pre_execute.connect(_task_starting, dispatch_uid="restoration-shutdown-start")
    post_execute_in_worker.connect(_task_finished, dispatch_uid="restoration-shutdown-end")
