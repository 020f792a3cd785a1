"""SharedRateLimiter: one pace per Looker instance for every session, in the database or Redis."""

import threading

import pytest

from restoration.looker.instances import get_instance
from restoration.looker.ratelimit import (
    DatabasePaceStore,
    RedisPaceStore,
    SharedRateLimiter,
    shared_interval,
    shared_limiter_for,
)


def test_the_stricter_of_the_two_limits_sets_the_pace():
    assert shared_interval(10, 6000) == pytest.approx(0.1)
    assert shared_interval(10, 120) == pytest.approx(0.5)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.django_db
def test_two_sessions_on_one_instance_share_its_slots():
    clock = Clock()
    first, second = DatabasePaceStore(clock), DatabasePaceStore(clock)
    reserved = [store.reserve("looker:a", 0.1, 5, 0.1) for store in (first, second, first, second)]
    assert [delay for delay, _ in reserved] == pytest.approx([0.0, 0.1, 0.2, 0.3])
    clock.now += 5  # a quiet spell: the next call goes at once
    assert first.reserve("looker:a", 0.1, 5, 0.1)[0] == 0.0


@pytest.mark.django_db
def test_another_instance_has_its_own_pace():
    store = DatabasePaceStore(Clock())
    store.reserve("looker:a", 1.0, 5, 0.1)
    assert store.reserve("looker:b", 1.0, 5, 0.1)[0] == 0.0


@pytest.mark.django_db
def test_a_429_seen_by_one_session_slows_all_of_them():
    clock = Clock()
    a = SharedRateLimiter("looker:x", 10, 6000, store=DatabasePaceStore(clock))
    b = SharedRateLimiter("looker:x", 10, 6000, store=DatabasePaceStore(clock))
    assert not b.throttled
    a.backoff(retry_after=2.0)
    assert b.throttled
    assert b.rate_factor == pytest.approx(0.5)


def test_looker_ini_limits_make_a_shared_limiter(tmp_path, settings):
    path = tmp_path / "looker.ini"
    path.write_text(
        "[prod]\nbase_url = https://l.example.com\nclient_id = a\nclient_secret = b\n"
        "rate_limit_per_minute = 600\n\n[dev]\nbase_url = https://d.example.com\n"
        "client_id = a\nclient_secret = b\n"
    )
    settings.LOOKER_INI = str(path)
    limiter = shared_limiter_for(get_instance("prod"))
    assert limiter.key == "looker:https://l.example.com"
    assert limiter.interval == pytest.approx(0.1)
    assert shared_limiter_for(get_instance("dev")) is None


def test_redis_hands_out_evenly_spaced_slots_to_separate_clients(redis_url):
    first, second = RedisPaceStore(redis_url), RedisPaceStore(redis_url)
    # 1 s apart: far longer than four round trips take, so every slot is chained
    slots = [store.reserve("looker:r1", 1.0, 5, 0.1)[1] for store in (first, second) * 2]
    gaps = [b - a for a, b in zip(slots, slots[1:], strict=False)]
    assert gaps == pytest.approx([1.0, 1.0, 1.0], abs=1e-5)


def test_redis_backoff_is_seen_by_every_client(redis_url):
    a = SharedRateLimiter("looker:r2", 10, 600, store=RedisPaceStore(redis_url))
    b = SharedRateLimiter("looker:r2", 10, 600, store=RedisPaceStore(redis_url))
    assert not b.throttled
    a.backoff(retry_after=1.5)
    assert b.throttled
    assert b.rate_factor == pytest.approx(0.5)


def test_threads_of_several_sessions_never_take_the_same_slot(redis_url):
    slots: list[float] = []
    lock = threading.Lock()

    def session_worker():
        store = RedisPaceStore(redis_url)
        for _ in range(10):
            _, slot = store.reserve("looker:threads", 0.02, 5, 0.1)
            with lock:
                slots.append(slot)

    threads = [threading.Thread(target=session_worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    slots.sort()
    assert len(slots) == 40
    gaps = [b - a for a, b in zip(slots, slots[1:], strict=False)]
    assert min(gaps) >= 0.02 - 1e-5  # never two calls closer than the instance allows


def test_a_stop_ends_the_wait_for_a_shared_slot(db):

    from restoration.looker.ratelimit import CallAbandoned

    limiter = SharedRateLimiter("looker:stop", 1, 1, store=DatabasePaceStore())
    stop = threading.Event()
    limiter.acquire(stop=stop)
    stop.set()
    with pytest.raises(CallAbandoned):
        limiter.acquire(stop=stop)  # the next slot is a minute away
