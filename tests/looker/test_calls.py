"""LookerCaller: limiter before every attempt, retries of transient failures only."""

import pytest
from looker_sdk.error import SDKError
from looker_sdk.sdk.api40 import models as m

from restoration.looker.calls import LookerCaller, LookerCallFailed


def looker_error(status: int) -> SDKError:
    return SDKError(
        f"status {status}",
        documentation_url=f"https://cloud.google.com/looker/docs/r/err/4.0/{status}/post/dashboards",
    )


class CountingLimiter:
    def __init__(self) -> None:
        self.acquired = 0
        self.backoffs: list[float | None] = []

    def acquire(self) -> float:
        self.acquired += 1
        return 0.0

    def backoff(self, retry_after=None) -> None:
        self.backoffs.append(retry_after)


def failing(*statuses, result="ok"):
    """A callable failing with these statuses in turn, then returning result."""
    remaining = list(statuses)
    calls = []

    def create_dashboard(**kwargs):
        calls.append(kwargs)
        if remaining:
            raise looker_error(remaining.pop(0))
        return result

    create_dashboard.calls = calls
    return create_dashboard


def caller(limiters, max_retries=3, sleeps=None):
    sleeps = [] if sleeps is None else sleeps
    return LookerCaller(limiters, max_retries, sleep=sleeps.append, rng=lambda: 1.0)


def test_it_acquires_every_limiter_before_every_attempt():
    session, shared = CountingLimiter(), CountingLimiter()
    fn = failing(503, 500)
    assert caller([session, shared]).call(fn) == "ok"
    assert session.acquired == shared.acquired == 3


def test_it_retries_transient_failures_with_growing_capped_waits():
    sleeps: list[float] = []
    lc = LookerCaller(None, 6, sleep=sleeps.append, rng=lambda: 1.0, base_delay=0.5, max_delay=3)
    assert lc.call(failing(500, 502, 503, 504, 429, 500)) == "ok"
    assert sleeps == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]
    assert lc.stats()["calls"] == 7


def test_jitter_picks_a_random_wait_below_the_ceiling():
    sleeps: list[float] = []
    lc = LookerCaller(None, 2, sleep=sleeps.append, rng=lambda: 0.25, base_delay=1.0)
    lc.call(failing(500, 500))
    assert sleeps == [0.25, 0.5]


@pytest.mark.parametrize("status", [400, 404, 409, 422])
def test_it_never_retries_validation_errors(status):
    fn = failing(status)
    with pytest.raises(LookerCallFailed) as info:
        caller(None).call(fn, body=m.WriteDashboard(title="Sales"))
    assert len(fn.calls) == 1
    assert info.value.status == status
    assert info.value.retry_history[0]["attempt"] == 1
    assert info.value.payload == {"title": "Sales"}


def test_it_gives_up_after_max_retries_with_the_whole_history():
    fn = failing(500, 500, 500, 500, 500)
    with pytest.raises(LookerCallFailed) as info:
        caller(None, max_retries=2).call(fn)
    failed = info.value
    assert len(fn.calls) == 3
    assert [h["attempt"] for h in failed.retry_history] == [1, 2, 3]
    assert [h["status"] for h in failed.retry_history] == [500, 500, 500]
    assert failed.retry_history[-1]["waited_s"] == 0.0
    assert failed.error_type == "LookerServerError"
    assert failed.as_metadata()["response_status"] == 500
    assert failed.body["message"] == "status 500"


def test_a_429_slows_every_limiter_down():
    session, shared = CountingLimiter(), CountingLimiter()
    caller([session, shared]).call(failing(429))
    assert session.backoffs == [None] and shared.backoffs == [None]


def test_retry_after_replaces_the_jittered_wait():
    exc = looker_error(429)
    exc.retry_after = 7.0  # what the RecordingSession saw on the wire
    attempts = []

    def fn():
        attempts.append(1)
        if len(attempts) == 1:
            raise exc
        return "ok"

    sleeps: list[float] = []
    limiter = CountingLimiter()
    assert caller(limiter, sleeps=sleeps).call(fn) == "ok"
    assert sleeps == [7.0]
    assert limiter.backoffs == [7.0]


def test_programming_errors_are_not_swallowed():
    def broken():
        raise KeyError("oops")

    with pytest.raises(KeyError):
        caller(None).call(broken)


def test_after_a_5xx_a_create_that_landed_is_found_instead_of_repeated():
    fn = failing(503)
    checks: list[int] = []

    def landed():
        checks.append(1)
        return "found"

    assert caller([]).call(fn, recover=landed, body="b") == "found"
    assert len(fn.calls) == 1 and checks == [1]


def test_after_a_timeout_a_create_not_found_is_retried():
    attempts: list[int] = []

    def create_group(**kwargs):
        attempts.append(1)
        if len(attempts) == 1:
            raise TimeoutError("read timed out")
        return "created"

    checks: list[int] = []
    assert caller([]).call(create_group, recover=lambda: checks.append(1)) == "created"
    assert len(attempts) == 2 and checks == [1]


def test_a_429_is_not_ambiguous_so_nothing_is_checked():
    checks: list[int] = []
    fn = failing(429)
    assert caller([CountingLimiter()]).call(fn, recover=lambda: checks.append(1)) == "ok"
    assert checks == [] and len(fn.calls) == 2
