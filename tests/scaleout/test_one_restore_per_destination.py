"""Two clusters (two worker machines) and two restores into one Looker: the database row
lock lets one write at a time, on PostgreSQL with the Redis broker; and one launch
confirmation posted twice at once (a double-click) starts one session."""

import re
import threading
from datetime import datetime

import pytest
from django.contrib.auth.models import User
from django.db import connections
from django.test import Client

from restoration.content_types import ContentType
from restoration.models import RestorationSession, SessionStatus
from tests.scaleout.clusters import (
    group_ids,
    launch_groups,
    seed_groups,
    wait_for,
    write_looker_ini,
)

ITEMS = 40
FINISHED = (SessionStatus.COMPLETED, SessionStatus.COMPLETED_WITH_ERRORS, SessionStatus.FAILED)


def overlaps(a: RestorationSession, b: RestorationSession) -> bool:
    return a.running_since < b.completed_at and b.running_since < a.completed_at


@pytest.mark.cluster
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_clusters_never_write_into_one_looker_at_once(clusters, emulator_factory, tmp_path):
    looker = emulator_factory(seed=None)
    looker.set_faults(latency_ms=10)
    ini = write_looker_ini(tmp_path / "looker.ini", {"dest": (looker, None)})
    nodes = [clusters(name, ini, Q_WORKERS="1") for name in ("a", "b")]
    for node in nodes:
        node.wait_serving()
    seed_groups(ITEMS, "delta")
    ids = group_ids("delta")
    first, second = (
        launch_groups("dest", looker.base_url, ids, workers=2, per_second=40) for _ in range(2)
    )
    waited: set[str] = set()

    def both_finished() -> bool:
        for session in (first, second):
            session.refresh_from_db()
            if session.status == SessionStatus.PENDING and session.waiting_for_id:
                waited.add(session.pk)
        return first.status in FINISHED and second.status in FINISHED

    assert wait_for(both_finished, 90, 0.05), nodes[0].log_tail() + nodes[1].log_tail()
    assert first.status == second.status == SessionStatus.COMPLETED
    assert not overlaps(first, second)  # sessions that ran at once: 0
    assert waited == {second.pk}  # first come, first served, whichever machine asked first
    # Each ran on whichever machine was free; the one that waited found every group there.
    assert [first.created_count, second.created_count] == [ITEMS, 0]
    assert looker.counters()["creates"]["group"] == ITEMS


@pytest.mark.cluster
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_confirmation_posted_twice_at_once_starts_one_session(
    clusters, emulator_factory, tmp_path, settings
):
    # A transactional test starts from emptied tables (no groups from migration 0002).
    operator = User.objects.create_superuser("olivia", password="operator-pass-123")
    looker = emulator_factory(seed=None)
    ini = write_looker_ini(tmp_path / "looker.ini", {"dest": (looker, None)})
    settings.LOOKER_INI = str(ini)
    node = clusters("a", ini, Q_WORKERS="2")
    node.wait_serving()
    seed_groups(10, "echo")
    values = {
        "destination": "dest",
        "content_types": [str(int(ContentType.GROUP))],
        "workers": "2",
        "rate_limit_per_second": "50",
        "rate_limit_per_minute": "3000",
        "checkpoint_interval": "5",
        "max_retries": "3",
        "disable_schedules": "",
    }
    browser = Client()
    browser.force_login(operator)
    page = browser.post("/sessions/launch", values).content.decode()
    token = re.search(r'name="launch_token" value="([0-9a-f-]{36})"', page).group(1)
    confirmed = {**values, "confirmed": "yes", "launch_token": token}
    barrier = threading.Barrier(2)
    answers: list[str] = []

    def click() -> None:
        client = Client()
        client.force_login(operator)
        barrier.wait()
        try:
            answers.append(client.post("/sessions/launch", confirmed)["Location"])
        finally:
            connections.close_all()

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join(30)
    (session,) = RestorationSession.objects.filter(kind="restore")
    assert answers == [f"/sessions/{session.pk}/"] * 2

    def finished() -> bool:
        session.refresh_from_db()
        return session.status in FINISHED

    assert wait_for(finished, 60, 0.2), node.log_tail()
    assert session.status == SessionStatus.COMPLETED
    assert looker.counters()["creates"]["group"] == 10
    assert isinstance(session.running_since, datetime)
