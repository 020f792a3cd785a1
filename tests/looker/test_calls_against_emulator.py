"""LookerCaller over real HTTP: the emulator's 429s, 5xx, dropped connections and hangs."""

import time

import pytest

from restoration.looker.calls import LookerCaller, LookerCallFailed
from restoration.looker.instances import make_sdk
from restoration.looker.transport import last_exchange
from tests.fixtures_emulator import write_looker_ini


class RecordingLimiter:
    def __init__(self) -> None:
        self.acquired = 0
        self.backoffs: list[float | None] = []

    def acquire(self) -> float:
        self.acquired += 1
        return 0.0

    def backoff(self, retry_after=None) -> None:
        self.backoffs.append(retry_after)


@pytest.fixture
def instance(tmp_path, settings, emulator_factory):
    emulator = emulator_factory(seed=None)
    path = write_looker_ini(tmp_path / "looker.ini", looker=emulator)
    path.write_text(path.read_text().replace("timeout=10", "timeout=1"))
    settings.LOOKER_INI = str(path)
    return emulator


def sleeping_recorder():
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    return slept, sleep


def test_a_429_with_retry_after_waits_that_long_and_slows_the_limiters(instance):
    sdk = make_sdk("looker")
    sdk.me()  # log in before the limit starts counting
    instance.set_faults(rate_limit_per_second=10, retry_after=0.15)
    limiter = RecordingLimiter()
    slept, sleep = sleeping_recorder()
    caller = LookerCaller(limiter, max_retries=5, sleep=sleep)
    for _ in range(16):  # the server's bucket holds 10: some of these get 429
        caller.call(sdk.me, fields="id")
    assert caller.rate_limited >= 1
    assert slept and all(s == pytest.approx(0.15) for s in slept)
    assert limiter.backoffs and all(b == pytest.approx(0.15) for b in limiter.backoffs)
    assert limiter.acquired == caller.calls == 16 + caller.retries


def test_a_5xx_is_retried_then_reported_with_the_status_and_body(instance):
    sdk = make_sdk("looker")
    sdk.me()
    instance.set_faults(error_rate=1, error_statuses=[502])
    slept: list[float] = []
    caller = LookerCaller(None, max_retries=2, sleep=slept.append)
    with pytest.raises(LookerCallFailed) as info:
        caller.call(sdk.create_group, body={"name": "Finance"})
    failed = info.value
    assert failed.status == 502
    assert failed.error_type == "LookerServerError"
    assert failed.body["documentation_url"].endswith("/502/post/groups")
    assert failed.payload == {"name": "Finance"}
    assert len(failed.retry_history) == 3 and len(slept) == 2
    assert failed.operation == "create_group"


def test_a_validation_error_is_not_retried(instance):
    sdk = make_sdk("looker")
    caller = LookerCaller(None, max_retries=5, sleep=lambda s: None)
    caller.call(sdk.create_group, body={"name": "Ops"})
    with pytest.raises(LookerCallFailed) as info:
        caller.call(sdk.create_group, body={"name": "Ops"})
    assert info.value.status in (409, 422)
    assert len(info.value.retry_history) == 1


def test_a_dropped_connection_is_retried_as_a_connection_error(instance):
    sdk = make_sdk("looker")
    sdk.me()
    instance.set_faults(drop_rate=1)
    caller = LookerCaller(None, max_retries=1, sleep=lambda s: None)
    with pytest.raises(LookerCallFailed) as info:
        caller.call(sdk.me)
    assert info.value.status is None
    assert info.value.network_error == "connection"
    assert info.value.error_type == "LookerConnectionError"
    assert len(info.value.retry_history) == 2


def test_a_hanging_call_times_out_and_counts_as_transient(instance):
    sdk = make_sdk("looker")
    sdk.me()
    instance.set_faults(hang_rate=1, hang_seconds=3)
    caller = LookerCaller(None, max_retries=0, sleep=lambda s: None)
    with pytest.raises(LookerCallFailed) as info:
        caller.call(sdk.me)
    instance.set_faults(clear=True)
    assert info.value.network_error == "timeout"
    assert info.value.transient


def test_answers_are_recorded_without_their_bodies_when_they_succeed(instance):
    sdk = make_sdk("looker")
    sdk.me()  # includes the login, whose body holds the access token
    seen = last_exchange()
    assert seen.status == 200
    assert seen.error_body is None


def test_a_revoked_token_makes_the_client_log_in_again_once(instance):
    sdk = make_sdk("looker")
    sdk.me()
    instance.app.revoke_token(sdk.auth.token.access_token)  # Looker restarted, say
    caller = LookerCaller(None, max_retries=0, sleep=lambda s: None)
    assert caller.call(sdk.me).id
    assert caller.retries == 1


def test_wrong_credentials_fail_without_a_retry_loop(instance, tmp_path, settings):
    path = tmp_path / "bad.ini"
    path.write_text(f"[bad]\nbase_url={instance.base_url}\nclient_id=x\nclient_secret=not-it\n")
    settings.LOOKER_INI = str(path)
    caller = LookerCaller(None, max_retries=3, sleep=lambda s: None)
    with pytest.raises(LookerCallFailed) as info:
        caller.call(make_sdk("bad").me)
    assert info.value.status == 404  # Looker's answer to bad credentials
    assert info.value.message == "Not found"
    assert len(info.value.retry_history) == 1
