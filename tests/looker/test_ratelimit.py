"""RateLimiter: the pacing and minute-window arithmetic, on an injected clock."""

import threading

import pytest

from restoration.looker.ratelimit import RateLimiter


class FakeClock:
    """A clock that only moves when the limiter sleeps (or the test says so)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def limiter(per_second, per_minute, clock, **kw) -> RateLimiter:
    return RateLimiter(per_second, per_minute, clock=clock, sleep=clock.sleep, **kw)


def starts(lim: RateLimiter, clock: FakeClock, n: int) -> list[float]:
    out = []
    for _ in range(n):
        lim.acquire()
        out.append(clock.now)
    return out


def test_it_spaces_calls_by_one_over_the_per_second_limit():
    clock = FakeClock()
    lim = limiter(10, 6000, clock)
    assert starts(lim, clock, 4) == pytest.approx([0.0, 0.1, 0.2, 0.3])


def test_it_never_lets_more_than_per_second_calls_into_any_second():
    clock = FakeClock()
    lim = limiter(7, 6000, clock)
    times = starts(lim, clock, 50)
    for t in times:
        assert sum(1 for u in times if t <= u < t + 1.0) <= 7


def test_it_holds_the_per_minute_limit_over_a_sliding_minute():
    clock = FakeClock()
    lim = limiter(10, 20, clock)
    times = starts(lim, clock, 41)
    # 20 calls at the per-second pace, then the 21st waits for the first to leave the window
    assert times[19] == pytest.approx(1.9)
    assert times[20] == pytest.approx(60.0)
    assert times[40] == pytest.approx(120.0)
    for t in times:
        assert sum(1 for u in times if t <= u < t + 60.0) <= 20


def test_it_does_not_wait_when_calls_are_slower_than_the_limit():
    clock = FakeClock()
    lim = limiter(10, 600, clock)
    lim.acquire()
    clock.now += 5
    assert lim.acquire() == 0.0
    assert clock.sleeps == []


def test_a_429_halves_the_rate_and_sets_throttled():
    clock = FakeClock()
    lim = limiter(10, 6000, clock)
    starts(lim, clock, 2)
    assert lim.throttled is False
    lim.backoff()
    assert lim.throttled is True
    assert lim.rate_factor == pytest.approx(0.5)
    t0 = clock.now
    later = starts(lim, clock, 3)
    assert later[2] - later[1] == pytest.approx(0.2)
    assert later[0] >= t0 + 0.2 - 1e-9


def test_many_workers_reporting_one_429_burst_halve_the_rate_once():
    clock = FakeClock()
    lim = limiter(10, 6000, clock)
    for _ in range(8):
        lim.backoff()
    assert lim.rate_factor == pytest.approx(0.5)
    clock.now += 1.5
    lim.backoff()
    assert lim.rate_factor == pytest.approx(0.25)


def test_the_rate_recovers_gradually_after_429s_stop():
    clock = FakeClock()
    lim = limiter(10, 6000, clock, recovery_s=5.0, recovery_step=0.1)
    lim.backoff()
    assert lim.rate_factor == pytest.approx(0.5)
    clock.now += 4.9
    assert lim.rate_factor == pytest.approx(0.5)
    clock.now += 0.2
    assert lim.rate_factor == pytest.approx(0.6)
    clock.now += 20
    assert lim.rate_factor == pytest.approx(1.0)
    assert lim.throttled is False


def test_retry_after_pauses_every_caller():
    clock = FakeClock()
    lim = limiter(100, 60000, clock)
    lim.acquire()
    lim.backoff(retry_after=3.0)
    lim.acquire()
    assert clock.now == pytest.approx(3.0)


def test_the_rate_never_drops_to_zero():
    clock = FakeClock()
    lim = limiter(10, 600, clock, min_factor=0.05)
    for _ in range(20):
        lim.backoff()
        clock.now += 1.1
    assert lim.rate_factor == pytest.approx(0.05)


def test_it_rejects_a_zero_limit():
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(0, 10)


def test_threads_share_one_pace():
    clock = FakeClock()
    lock = threading.Lock()
    lim = RateLimiter(20, 100000, clock=clock, sleep=lambda s: None)
    reserved: list[float] = []

    def worker():
        for _ in range(25):
            delay = lim.reserve()
            with lock:
                reserved.append(delay)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # the clock never moved: 200 reservations took 200 distinct slots 0.05 s apart
    assert sorted(round(d, 6) for d in reserved) == [round(i * 0.05, 6) for i in range(200)]


def test_a_stop_ends_the_wait_for_a_spent_minute_at_once():
    from restoration.looker.ratelimit import CallAbandoned

    limiter = RateLimiter(per_second=100, per_minute=1)
    stop = threading.Event()
    limiter.acquire(stop=stop)  # the minute's one call
    threading.Timer(0.05, stop.set).start()
    with pytest.raises(CallAbandoned):
        limiter.acquire(stop=stop)  # would wait ~60 s
