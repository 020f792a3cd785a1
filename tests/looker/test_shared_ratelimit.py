"""SharedRateLimiter: one pace per Looker instance for every session, in the database or Redis."""

import shutil
import socket
import subprocess
import threading
import time

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


@pytest.mark.django_db
def test_two_limiters_on_one_key_share_the_slots():
    sleeps: list[float] = []
    a = SharedRateLimiter("looker:a", 10, 6000, store=DatabasePaceStore(), sleep=sleeps.append)
    b = SharedRateLimiter("looker:a", 10, 6000, store=DatabasePaceStore(), sleep=sleeps.append)
    delays = [a._store.reserve(a.key, a.interval, 5, 0.1)]
    delays.append(b._store.reserve(b.key, b.interval, 5, 0.1))
    delays.append(a._store.reserve(a.key, a.interval, 5, 0.1))
    # three calls back to back: each waits one more interval than the one before
    assert delays[1] - delays[0] == pytest.approx(0.1, abs=0.02)
    assert delays[2] - delays[1] == pytest.approx(0.1, abs=0.02)


@pytest.mark.django_db
def test_another_instance_has_its_own_pace():
    store = DatabasePaceStore()
    store.reserve("looker:a", 1.0, 5, 0.1)
    assert store.reserve("looker:b", 1.0, 5, 0.1) == pytest.approx(0.0, abs=0.01)


@pytest.mark.django_db
def test_a_429_seen_by_one_session_slows_all_of_them():
    a = SharedRateLimiter("looker:x", 10, 6000, store=DatabasePaceStore())
    b = SharedRateLimiter("looker:x", 10, 6000, store=DatabasePaceStore())
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


@pytest.fixture(scope="module")
def redis_url():
    binary = shutil.which("redis-server")
    if not binary:
        pytest.skip("redis-server is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(5)


def test_redis_hands_out_evenly_spaced_slots_to_separate_clients(redis_url):
    first, second = RedisPaceStore(redis_url), RedisPaceStore(redis_url)
    delays = [store.reserve("looker:r1", 0.2, 5, 0.1) for store in (first, second, first, second)]
    gaps = [b - a for a, b in zip(delays, delays[1:], strict=False)]
    assert gaps == pytest.approx([0.2, 0.2, 0.2], abs=0.02)


def test_redis_backoff_is_seen_by_every_client(redis_url):
    a = SharedRateLimiter("looker:r2", 10, 600, store=RedisPaceStore(redis_url))
    b = SharedRateLimiter("looker:r2", 10, 600, store=RedisPaceStore(redis_url))
    assert not b.throttled
    a.backoff(retry_after=1.5)
    assert b.throttled
    assert b.rate_factor == pytest.approx(0.5)


def test_threads_of_several_sessions_never_take_the_same_slot(redis_url):
    starts: list[float] = []
    lock = threading.Lock()

    def session_worker():
        limiter = SharedRateLimiter("looker:threads", 50, 60000, store=RedisPaceStore(redis_url))
        for _ in range(5):
            limiter.acquire()
            with lock:
                starts.append(time.time())

    threads = [threading.Thread(target=session_worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    starts.sort()
    assert len(starts) == 20
    # 20 calls at 50/s need 19 intervals of 20 ms
    assert starts[-1] - starts[0] >= 19 * 0.02 - 0.01
