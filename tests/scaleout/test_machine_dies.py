"""A worker machine that dies mid-session: the Redis broker loses its task, the other
cluster's reaper schedule finds the stale heartbeat and resumes the session there, and
every item is restored exactly once."""

import signal

import pytest
from django.utils import timezone
from django_q.models import Schedule

from restoration.models import RestorationSession, SessionStatus
from tests.scaleout.clusters import (
    group_ids,
    launch_groups,
    seed_groups,
    wait_for,
    write_looker_ini,
)

ITEMS = 60
REAPER = "restoration.tasks.reap_stale_sessions"


@pytest.mark.cluster
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_other_cluster_resumes_a_session_whose_machine_died(
    clusters, emulator_factory, tmp_path
):
    looker = emulator_factory(seed=None)
    looker.set_faults(latency_ms=10)
    ini = write_looker_ini(tmp_path / "looker.ini", {"dest": (looker, None)})
    # The reaper is django-q2's schedule from migration 0003 (a transactional test may
    # start from emptied tables: the same row again). The scheduler looks at schedules
    # every 30 s or so; the test makes the reaper due now instead of in a minute.
    Schedule.objects.update_or_create(
        func=REAPER,
        defaults={
            "name": "Resume stalled restore sessions",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "next_run": timezone.now(),
        },
    )
    quick = {"RESTORE_HEARTBEAT_SECONDS": "0.5", "RESTORE_STALE_AFTER_SECONDS": "3"}
    nodes = [clusters(name, ini, Q_WORKERS="1", **quick) for name in ("a", "b")]
    for node in nodes:
        node.wait_serving()
    seed_groups(ITEMS, "gamma")
    session = launch_groups("dest", looker.base_url, group_ids("gamma"), workers=2, per_second=12)

    def some_done() -> bool:
        session.refresh_from_db()
        return session.status == SessionStatus.RUNNING and session.total_items >= 10

    assert wait_for(some_done, 20), nodes[0].log_tail() + nodes[1].log_tail()
    worker_pid = int(session.worker.split(":")[1])
    (dying,) = [n for n in nodes if worker_pid in n.worker_pids()]
    (survivor,) = [n for n in nodes if n is not dying]

    dying.signal_group(signal.SIGKILL)
    assert wait_for(dying.is_gone, 5)
    done_when_killed = looker.counters()["creates"].get("group", 0)
    assert done_when_killed < ITEMS, "the session finished before the kill: nothing to prove"

    def finished() -> bool:
        session.refresh_from_db()
        return session.status == SessionStatus.COMPLETED

    assert wait_for(finished, 75, 0.5), survivor.log_tail()
    survivor_pids = {str(p) for p in survivor.worker_pids()}
    assert session.worker.split(":")[1] in survivor_pids
    assert session.resume_count >= 1
    assert session.total_items == ITEMS and session.error_count == 0
    assert looker.counters()["creates"]["group"] == ITEMS
    names = [g["name"] for g in looker.store.all("group") if g["name"].startswith("gamma ")]
    assert len(names) == len(set(names)) == ITEMS
    assert not RestorationSession.objects.filter(status=SessionStatus.RUNNING).exists()
