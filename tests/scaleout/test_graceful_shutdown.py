"""SIGTERM to a cluster: the running session stops taking items, checkpoints, and goes
back to the queue within seconds; the workers exit; another cluster resumes the session
and every item is restored exactly once.

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
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(
    "whom", ["process group", "main process"], ids=["systemd-group", "main-pid-only"]
)
def test_sigterm_hands_the_session_back_and_another_cluster_finishes_it(
    whom, clusters, emulator_factory, tmp_path
):
    looker = emulator_factory(seed=None)
    looker.set_faults(latency_ms=10)
    ini = write_looker_ini(tmp_path / "looker.ini", {"dest": (looker, None)})
    first = clusters("first", ini, Q_WORKERS="2")
    first.wait_serving()
    seed_groups(ITEMS, "delta")
    session = launch_groups("dest", looker.base_url, group_ids("delta"), workers=2, per_second=12)

    def some_done() -> bool:
        session.refresh_from_db()
        return session.status == SessionStatus.RUNNING and session.total_items >= 10

    assert wait_for(some_done, 20), first.log_tail()
    workers = first.worker_pids()
    if whom == "process group":
        first.signal_group(signal.SIGTERM)
    else:
        first.process.send_signal(signal.SIGTERM)

    def handed_back() -> bool:
        session.refresh_from_db()
        return session.status == SessionStatus.PENDING

    assert wait_for(handed_back, 8), first.log_tail()
    assert "shut down" in session.last_error
    if whom == "main process":
        assert wait_for(first.is_gone, 10), "left:\n" + first.processes() + first.log_tail()
    else:
        assert wait_for(lambda: first.workers_gone(workers), 10), first.processes()
    stopped_at = looker.counters()["creates"].get("group", 0)
    assert 10 <= stopped_at < ITEMS
    # Everything the worker created before it stopped is checkpointed and counted.
    checkpoint = RestorationCheckpoint.objects.get(session=session)
    assert checkpoint.item_count == session.total_items == stopped_at

    second = clusters("second", ini, Q_WORKERS="1")

    def finished() -> bool:
        session.refresh_from_db()
        return session.status == SessionStatus.COMPLETED

    assert wait_for(finished, 30, 0.25), second.log_tail()
    assert session.total_items == ITEMS and session.error_count == 0
    assert session.resume_count == 1
    assert looker.counters()["creates"]["group"] == ITEMS
    names = [g["name"] for g in looker.store.all("group") if g["name"].startswith("delta ")]
    assert len(names) == len(set(names)) == ITEMS
