"""One restore per destination, first come first served: sessions waiting for one Looker
start in the order they were launched (started_at, then id), whichever worker picks up
whose task first. The workers here are the claim each task makes (workers.lifecycle),
against the real database, with their tasks taken from the queue in shuffled order."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from restoration.config import RestorationConfig
from restoration.models import DestinationLock, RestorationSession, SessionKind, SessionStatus
from restoration.workers.lifecycle import claim

pytestmark = pytest.mark.django_db(transaction=True)  # finish() wakes on commit

STAGING = "https://staging.looker.example"


@pytest.fixture
def queue(monkeypatch) -> list[str]:
    """The task queue: session ids in the order their tasks were queued."""
    tasks: list[str] = []
    monkeypatch.setattr(RestorationSession, "enqueue", lambda self: tasks.append(self.pk))
    return tasks


def launched(minute: int, *, kind: str = SessionKind.RESTORE, url: str = STAGING, pk=None):
    config = RestorationConfig(destination_instance=url, dry_run=kind == SessionKind.DRY_RUN)
    values = {"pk": pk} if pk else {}
    return RestorationSession.objects.create(
        kind=kind,
        destination_instance=url,
        destination_section="staging",
        config=config.model_dump(mode="json"),
        started_at=timezone.now().replace(microsecond=0) + timedelta(minutes=minute),
        **values,
    )


def session(pk: str) -> RestorationSession:
    return RestorationSession.objects.get(pk=pk)


def run_queue(queue: list[str], rng: random.Random) -> list[str]:
    """Several workers take tasks in any order; one that claims its session runs it while
    the others go on taking tasks, and finishes it later. Returns the order they ran in."""
    started: list[str] = []
    running: list[str] = []
    for _ in range(1000):
        if not queue and not running:
            return started
        if running and (not queue or rng.random() < 0.3):
            done = running.pop(rng.randrange(len(running)))
            session(done).finish(SessionStatus.COMPLETED)  # wakes who waits for it
            continue
        task = queue.pop(rng.randrange(len(queue)))
        if claim(session(task), worker=f"worker-{rng.randrange(4)}"):
            started.append(task)
            running.append(task)
    raise AssertionError(f"the queue never emptied: {queue}, running {running}")


@pytest.mark.parametrize("seed", range(6))
def test_waiting_restores_start_in_launch_order_whatever_order_workers_take_them(queue, seed):
    sessions = [launched(minute) for minute in range(6)]
    rng = random.Random(seed)
    queue[:] = [s.pk for s in sessions]
    rng.shuffle(queue)

    order = run_queue(queue, rng)

    assert order == [s.pk for s in sessions]
    assert all(session(s.pk).status == SessionStatus.COMPLETED for s in sessions)


def test_a_free_destination_goes_to_the_earliest_waiting_not_the_first_to_ask(queue):
    holder, first, second = launched(0), launched(1), launched(2)
    assert claim(holder, "w1")
    assert not claim(second, "w2") and not claim(first, "w3")
    session(holder.pk).finish(SessionStatus.COMPLETED)
    assert sorted(queue) == sorted([first.pk, second.pk])  # both woken

    # The later one's task comes first: it waits, now for the first in line, visibly.
    assert not claim(session(second.pk), "w2")
    assert session(second.pk).waiting_for_id == first.pk
    assert claim(session(first.pk), "w3")
    assert DestinationLock.objects.holder(STAGING).pk == first.pk

    session(first.pk).finish(SessionStatus.COMPLETED)
    assert queue[-1] == second.pk  # the one that waited for it is woken
    assert claim(session(second.pk), "w2")


def test_a_restore_launched_later_waits_behind_one_already_waiting(queue):
    holder, waiting = launched(0), launched(1)
    assert claim(holder, "w1") and not claim(waiting, "w2")
    session(holder.pk).finish(SessionStatus.COMPLETED)
    newcomer = launched(2)  # launched after; its task runs before the woken one's
    assert not claim(newcomer, "w3")
    assert session(newcomer.pk).waiting_for_id == waiting.pk


def test_sessions_launched_in_the_same_instant_go_by_id(queue):
    late = launched(0, pk="bbbbbbbb-0000-0000-0000-000000000000")
    early = launched(0, pk="aaaaaaaa-0000-0000-0000-000000000000")
    assert not claim(late, "w1")
    assert session(late.pk).waiting_for_id == early.pk
    assert claim(early, "w2")


def test_a_cancelled_waiting_session_lets_the_next_in_line_go(queue):
    first, second = launched(0), launched(1)
    assert not claim(second, "w1")  # waits for the first, whose task is not run yet
    session(first.pk).request_cancel()
    assert queue == [second.pk]
    assert claim(session(second.pk), "w1")


def test_dry_runs_and_other_destinations_never_queue_behind(queue):
    holder = launched(0)
    launched(1)  # waiting
    assert claim(holder, "w1")
    dry = launched(2, kind=SessionKind.DRY_RUN)
    elsewhere = launched(3, url="https://prod.looker.example")
    assert claim(dry, "w2")
    assert claim(elsewhere, "w3")


def test_the_same_looker_written_differently_is_one_line(queue):
    first = launched(0, url=STAGING + "/")
    second = launched(1, url=STAGING.upper())
    assert not claim(second, "w1")
    assert session(second.pk).waiting_for_id == first.pk


def test_workers_asking_at_the_same_moment_start_only_the_first_launched(queue):
    """Real concurrency, one database connection per worker thread (PostgreSQL: SQLite's
    in-memory test database refuses a second writer instead of waiting for it)."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (the SQLite pass runs the rest)")
    holder = launched(0)
    waiting = [launched(minute) for minute in range(1, 6)]
    assert claim(holder, "w0")
    session(holder.pk).finish(SessionStatus.COMPLETED)
    barrier = threading.Barrier(len(waiting))
    claimed: dict[str, bool] = {}

    def worker(pk: str, n: int) -> None:
        try:
            me = session(pk)
            barrier.wait(timeout=10)
            claimed[pk] = claim(me, f"w{n}")
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=worker, args=(s.pk, n)) for n, s in enumerate(reversed(waiting))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert claimed == {s.pk: s.pk == waiting[0].pk for s in waiting}
    assert {session(s.pk).waiting_for_id for s in waiting[1:]} == {waiting[0].pk}
