"""SIGTERM to a cluster: the running session stops taking items, checkpoints, and goes
back to the queue within seconds; the workers exit; the other cluster resumes the
session and every item is restored exactly once.

Two ways a cluster is told to stop. SIGTERM to its main process (`kill PID`, docker stop,
systemd with KillMode=mixed, as docs/deploy.md recommends): the whole cluster exits.
SIGTERM to every process of the group (systemd's default KillMode=control-group): our
workers still hand back and exit, but django-q2's main process then hangs waiting on its
dead sentinel (multiprocessing's Event.set waits for the sleeper it killed) until the
supervisor's SIGKILL; the test records that.
"""

import signal

import pytest

from restoration.models import RestorationCheckpoint, SessionStatus
from tests.scaleout.clusters import (
    group_ids,
    launch_groups,
    seed_groups,
    wait_for,
    write_looker_ini,
)

ITEMS = 60


@pytest.mark.cluster
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "whom", ["process group", "main process"], ids=["systemd-group", "main-pid-only"]
)
def test_sigterm_hands_the_session_back_and_another_cluster_finishes_it(
    whom, clusters, emulator_factory, tmp_path
):
    looker = emulator_factory(seed=None)
    looker.set_faults(latency_ms=10)
    ini = write_looker_ini(tmp_path / "looker.ini", {"dest": (looker, None)})
    nodes = [clusters(name, ini, Q_WORKERS="2") for name in ("a", "b")]
    for node in nodes:
        node.wait_serving()
    seed_groups(ITEMS, "delta")
    session = launch_groups("dest", looker.base_url, group_ids("delta"), workers=2, per_second=12)

    def some_done() -> bool:
        session.refresh_from_db()
        return session.status == SessionStatus.RUNNING and session.total_items >= 10

    assert wait_for(some_done, 20), nodes[0].log_tail() + nodes[1].log_tail()
    worker_pid = int(session.worker.split(":")[1])
    (first,) = [n for n in nodes if worker_pid in n.worker_pids()]
    (second,) = [n for n in nodes if n is not first]
    workers = first.worker_pids()
    if whom == "process group":
        first.signal_group(signal.SIGTERM)
    else:
        first.process.send_signal(signal.SIGTERM)

    def handed_back() -> bool:
        # Pending only until the other cluster claims it, so look at what stays.
        session.refresh_from_db()
        return session.resume_count == 1

    assert wait_for(handed_back, 8), first.log_tail()
    # It stopped taking items: far from done (12 calls/s; the other cluster has just begun).
    assert looker.counters()["creates"].get("group", 0) < ITEMS
    assert "shut down" in session.last_error
    assert session.status in (SessionStatus.PENDING, SessionStatus.RUNNING)
    if whom == "main process":
        assert wait_for(first.is_gone, 10), "left:\n" + first.processes() + first.log_tail()
    else:
        assert wait_for(lambda: first.workers_gone(workers), 10), first.processes()

    def finished() -> bool:
        session.refresh_from_db()
        return session.status == SessionStatus.COMPLETED

    assert wait_for(finished, 30, 0.25), second.log_tail()
    assert session.worker.split(":")[1] in {str(p) for p in second.worker_pids()}
    assert session.total_items == ITEMS and session.error_count == 0
    # What the first worker did was checkpointed and counted once, not done again.
    assert RestorationCheckpoint.objects.get(session=session).item_count == ITEMS
    assert session.resume_count == 1
    assert looker.counters()["creates"]["group"] == ITEMS
    names = [g["name"] for g in looker.store.all("group") if g["name"].startswith("delta ")]
    assert len(names) == len(set(names)) == ITEMS
