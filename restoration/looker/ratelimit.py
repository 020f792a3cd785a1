"""Client-side rate limits on Looker API calls: per session (RateLimiter) and per
destination instance across every session, worker and machine (SharedRateLimiter).

Both pace calls instead of letting them burst: each acquire() reserves the next free
slot, at least 1/per_second after the previous one, and sleeps until it. Evenly spaced
calls stay under Looker's limit however the server counts (fixed or sliding windows)
and however request latencies jitter; a burst of per_second calls at a window's edge
does not. The per-minute limit is a sliding log on top (the session limiter), so a
session may use its minute's budget at the per-second pace, never more of it.

After a 429 the limiter halves its rate (at most once per second, however many
workers saw the 429), pauses for Retry-After when the answer carried one, and then
recovers by `recovery_step` of the configured rate every `recovery_s` seconds without
a new 429.

`acquire(stop=event)` waits on the event instead of sleeping: a cancel or a shutdown
ends the wait at once (CallAbandoned) even when the minute's budget is spent.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

RECOVERY_SECONDS = 5.0
RECOVERY_STEP = 0.1
MIN_FACTOR = 0.05
BACKOFF_DEBOUNCE_SECONDS = 1.0
LOCKED_RETRIES = 50


class CallAbandoned(Exception):
    """The caller stopped waiting for its slot (the session is cancelled or the worker
    stops): the call was never made, so nothing failed; the work is redone on resume."""


def wait_or_abandon(delay: float, stop: threading.Event | None, sleep: Callable) -> None:
    if stop is None:
        sleep(delay)
    elif stop.wait(delay):
        raise CallAbandoned("stopped while waiting for the rate limit")


@dataclass
class PaceState:
    """What a limiter remembers; shared limiters keep it in Redis or the database."""

    next_at: float = 0.0  # earliest start of the next call
    factor: float = 1.0  # fraction of the configured rate in force after 429s
    backoff_at: float = 0.0  # when the factor was last lowered
    pause_until: float = 0.0  # Retry-After: no call before this

    def factor_at(self, now: float, recovery_s: float, step: float) -> float:
        if self.factor >= 1.0:
            return 1.0
        steps = int(max(0.0, now - self.backoff_at) // recovery_s)
        return min(1.0, self.factor + steps * step)

    def lower(
        self,
        now: float,
        retry_after: float | None,
        per_second_interval: float,
        *,
        recovery_s: float,
        step: float,
        min_factor: float,
    ) -> None:
        """Apply one 429: halve the rate (debounced), honour Retry-After, push the next slot."""
        current = self.factor_at(now, recovery_s, step)
        if current >= 1.0 or now - self.backoff_at >= BACKOFF_DEBOUNCE_SECONDS:
            self.factor = max(min_factor, current / 2)
            self.backoff_at = now
        else:
            # Several workers report the same 429 burst: keep the factor, restart recovery.
            self.factor = current
            self.backoff_at = now
        if retry_after:
            self.pause_until = max(self.pause_until, now + retry_after)
        self.next_at = max(self.next_at, now + per_second_interval / self.factor)


class RateLimiter:
    """Thread-safe limiter for one session: at most per_second calls in any second and
    per_minute in any minute; `acquire()` blocks until the caller may call Looker."""

    def __init__(
        self,
        per_second: float,
        per_minute: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        recovery_s: float = RECOVERY_SECONDS,
        recovery_step: float = RECOVERY_STEP,
        min_factor: float = MIN_FACTOR,
    ) -> None:
        if per_second <= 0 or per_minute <= 0:
            raise ValueError("rate limits must be positive")
        self.per_second = float(per_second)
        self.per_minute = float(per_minute)
        self._clock = clock
        self._sleep = sleep
        self._recovery_s = recovery_s
        self._step = recovery_step
        self._min_factor = min_factor
        self._lock = threading.Lock()
        self._state = PaceState(next_at=float("-inf"))
        self._minute_log: deque[float] = deque(maxlen=max(1, int(per_minute)))
        self.acquired = 0
        self.waited_s = 0.0
        self.backoffs = 0

    def reserve(self) -> float:
        """Take the next free slot; return how many seconds from now it starts."""
        with self._lock:
            now = self._clock()
            factor = self._state.factor_at(now, self._recovery_s, self._step)
            slot = max(now, self._state.next_at, self._state.pause_until)
            # Sliding minute window: at most `allowed` slots in any `window` seconds.
            allowed = max(1, int(self.per_minute * factor))
            window = 60.0 * allowed / (self.per_minute * factor)
            if len(self._minute_log) >= allowed:
                slot = max(slot, self._minute_log[-allowed] + window * (1.0 + 1e-9))
            # The 1e-9 keeps float rounding from squeezing per_second + 1 slots into a second.
            self._state.next_at = slot + (1.0 + 1e-9) / (self.per_second * factor)
            self._minute_log.append(slot)
            self.acquired += 1
            return slot - now

    def acquire(self, stop: threading.Event | None = None) -> float:
        """Block until a call may start; return the seconds waited. Raises CallAbandoned
        when `stop` is set during the wait."""
        delay = self.reserve()
        if delay > 0:
            with self._lock:
                self.waited_s += delay
            wait_or_abandon(delay, stop, self._sleep)
        return max(0.0, delay)

    def backoff(self, retry_after: float | None = None) -> None:
        """Looker answered 429: slow down, pause for retry_after seconds when given."""
        with self._lock:
            self.backoffs += 1
            self._state.lower(
                self._clock(),
                retry_after,
                1.0 / self.per_second,
                recovery_s=self._recovery_s,
                step=self._step,
                min_factor=self._min_factor,
            )

    @property
    def rate_factor(self) -> float:
        """1.0 at full configured rate; 0.5 after one 429, recovering towards 1.0."""
        with self._lock:
            return self._state.factor_at(self._clock(), self._recovery_s, self._step)

    @property
    def effective_per_second(self) -> float:
        return self.per_second * self.rate_factor

    @property
    def throttled(self) -> bool:
        """True while Looker's 429s hold the rate below what the session asked for."""
        with self._lock:
            now = self._clock()
            factor = self._state.factor_at(now, self._recovery_s, self._step)
            return factor < 1.0 or now < self._state.pause_until

    def __repr__(self) -> str:
        return f"RateLimiter({self.per_second:g}/s, {self.per_minute:g}/min)"


# --------------------------------------------------------------------------
# Shared across sessions, workers and machines
# --------------------------------------------------------------------------


def shared_interval(per_second: float, per_minute: float) -> float:
    """Seconds between calls that respect both limits with no burst at all.

    The shared limiter keeps one number per instance (no minute log), so it paces at
    the stricter of the two rates: never more than per_second in any second nor
    per_minute in any minute, for every session and machine together.
    """
    return max(1.0 / per_second, 60.0 / per_minute)


def reserve_slot(
    state: PaceState, now: float, interval: float, *, recovery_s: float, step: float
) -> tuple[float, float]:
    """Take the next slot from a shared state; return (slot, factor in force)."""
    factor = state.factor_at(now, recovery_s, step)
    slot = max(now, state.next_at, state.pause_until)
    state.next_at = slot + interval * (1.0 + 1e-9) / factor
    return slot, factor


class DatabasePaceStore:
    """Shared pace in the rate_limit_state table, one row per key, updated under a row lock.

    `reserve()` returns (seconds to wait, the slot's start on the store's clock)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock

    def _locked(self, key: str, change: Callable[[PaceState, float], tuple[float, float]]):
        from django.db import OperationalError, transaction

        from restoration.models import RateLimitState

        for attempt in range(LOCKED_RETRIES):
            try:
                RateLimitState.objects.get_or_create(key=key)
                with transaction.atomic():
                    row = RateLimitState.objects.select_for_update().get(key=key)
                    state = PaceState(row.next_at, row.factor, row.backoff_at, row.pause_until)
                    now = self._clock()
                    result = change(state, now)
                    RateLimitState.objects.filter(pk=row.pk).update(
                        next_at=state.next_at,
                        factor=state.factor,
                        backoff_at=state.backoff_at,
                        pause_until=state.pause_until,
                    )
                return result
            except OperationalError as exc:
                # SQLite's shared-cache (in-memory) databases report "table is locked"
                # without waiting on busy_timeout; the row stays consistent, so wait and retry.
                if "locked" not in str(exc) or attempt == LOCKED_RETRIES - 1:
                    raise
                time.sleep(0.005 * (attempt + 1))
        raise AssertionError("unreachable")

    def reserve(
        self, key: str, interval: float, recovery_s: float, step: float
    ) -> tuple[float, float]:
        def change(state: PaceState, now: float) -> tuple[float, float]:
            slot, _ = reserve_slot(state, now, interval, recovery_s=recovery_s, step=step)
            return slot - now, slot

        return self._locked(key, change)

    def backoff(
        self,
        key: str,
        interval: float,
        retry_after: float | None,
        recovery_s: float,
        step: float,
        min_factor: float,
    ) -> None:
        def change(state: PaceState, now: float) -> tuple[float, float]:
            state.lower(
                now, retry_after, interval, recovery_s=recovery_s, step=step, min_factor=min_factor
            )
            return 0.0, 0.0

        self._locked(key, change)

    def status(self, key: str, recovery_s: float, step: float) -> tuple[float, float]:
        """(factor in force, seconds of Retry-After pause left)."""
        from restoration.models import RateLimitState

        row = RateLimitState.objects.filter(key=key).first()
        if row is None:
            return 1.0, 0.0
        state = PaceState(row.next_at, row.factor, row.backoff_at, row.pause_until)
        now = self._clock()
        return state.factor_at(now, recovery_s, step), max(0.0, state.pause_until - now)


# One script does what DatabasePaceStore does under its row lock, with Redis's own clock
# so that worker machines with skewed clocks still agree on the slots.
PACE_SCRIPT = """
local key = KEYS[1]
local op = ARGV[1]
local interval = tonumber(ARGV[2])
local recovery_s = tonumber(ARGV[3])
local step = tonumber(ARGV[4])
local min_factor = tonumber(ARGV[5])
local retry_after = tonumber(ARGV[6])
local debounce = tonumber(ARGV[7])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local s = redis.call('HMGET', key, 'next_at', 'factor', 'backoff_at', 'pause_until')
local next_at = tonumber(s[1]) or 0
local factor = tonumber(s[2]) or 1
local backoff_at = tonumber(s[3]) or 0
local pause_until = tonumber(s[4]) or 0
local f = factor
if f < 1 then
  f = math.min(1, factor + math.floor(math.max(0, now - backoff_at) / recovery_s) * step)
end
if op == 'reserve' then
  local slot = math.max(now, next_at, pause_until)
  redis.call('HSET', key, 'next_at', string.format('%.6f', slot + interval * (1 + 1e-9) / f))
  redis.call('EXPIRE', key, 86400)
  return string.format('%.6f %.6f', slot - now, slot)
elseif op == 'backoff' then
  if f >= 1 or now - backoff_at >= debounce then
    factor = math.max(min_factor, f / 2)
  else
    factor = f
  end
  backoff_at = now
  if retry_after > 0 then pause_until = math.max(pause_until, now + retry_after) end
  next_at = math.max(next_at, now + interval / factor)
  redis.call('HSET', key, 'next_at', string.format('%.6f', next_at),
    'factor', string.format('%.6f', factor), 'backoff_at', string.format('%.6f', backoff_at),
    'pause_until', string.format('%.6f', pause_until))
  redis.call('EXPIRE', key, 86400)
  return '0'
else
  return string.format('%.6f %.6f', f, math.max(0, pause_until - now))
end
"""


class RedisPaceStore:
    """Shared pace in a Redis hash per key, changed atomically by one Lua script."""

    PREFIX = "restoreadmin:ratelimit:"

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._script = self._redis.register_script(PACE_SCRIPT)

    def _run(self, key: str, *args: float | str) -> str:
        value = self._script(keys=[self.PREFIX + key], args=[str(a) for a in args])
        return value.decode() if isinstance(value, bytes) else str(value)

    def reserve(
        self, key: str, interval: float, recovery_s: float, step: float
    ) -> tuple[float, float]:
        """(seconds to wait, the slot's start on Redis's clock)."""
        delay, slot = self._run(key, "reserve", interval, recovery_s, step, 0, 0, 0).split()
        return float(delay), float(slot)

    def backoff(
        self,
        key: str,
        interval: float,
        retry_after: float | None,
        recovery_s: float,
        step: float,
        min_factor: float,
    ) -> None:
        self._run(
            key,
            "backoff",
            interval,
            recovery_s,
            step,
            min_factor,
            retry_after or 0,
            BACKOFF_DEBOUNCE_SECONDS,
        )

    def status(self, key: str, recovery_s: float, step: float) -> tuple[float, float]:
        factor, pause = self._run(key, "status", 1, recovery_s, step, 0, 0, 0).split()
        return float(factor), float(pause)


def default_pace_store() -> DatabasePaceStore | RedisPaceStore:
    from django.conf import settings

    url = getattr(settings, "REDIS_URL", "")
    return RedisPaceStore(url) if url else DatabasePaceStore()


class SharedRateLimiter:
    """The rate limit of one Looker instance, held by every session and worker together.

    Same interface as RateLimiter; give LookerCaller both (the session's own and this).
    Backed by Redis when settings.REDIS_URL is set, else by the database.
    """

    def __init__(
        self,
        key: str,
        per_second: float,
        per_minute: float,
        *,
        store: DatabasePaceStore | RedisPaceStore | None = None,
        sleep: Callable[[float], None] = time.sleep,
        recovery_s: float = RECOVERY_SECONDS,
        recovery_step: float = RECOVERY_STEP,
        min_factor: float = MIN_FACTOR,
    ) -> None:
        if per_second <= 0 or per_minute <= 0:
            raise ValueError("rate limits must be positive")
        self.key = key
        self.per_second = float(per_second)
        self.per_minute = float(per_minute)
        self.interval = shared_interval(self.per_second, self.per_minute)
        self._store = store or default_pace_store()
        self._sleep = sleep
        self._recovery_s = recovery_s
        self._step = recovery_step
        self._min_factor = min_factor
        self._lock = threading.Lock()
        self.acquired = 0
        self.waited_s = 0.0

    @classmethod
    def for_instance(
        cls, base_url: str, per_second: float, per_minute: float, **kwargs
    ) -> SharedRateLimiter:
        return cls(f"looker:{base_url}", per_second, per_minute, **kwargs)

    def acquire(self, stop: threading.Event | None = None) -> float:
        delay, _ = self._store.reserve(self.key, self.interval, self._recovery_s, self._step)
        with self._lock:
            self.acquired += 1
            if delay > 0:
                self.waited_s += delay
        if delay > 0:
            wait_or_abandon(delay, stop, self._sleep)
        return max(0.0, delay)

    def backoff(self, retry_after: float | None = None) -> None:
        self._store.backoff(
            self.key, self.interval, retry_after, self._recovery_s, self._step, self._min_factor
        )

    @property
    def rate_factor(self) -> float:
        return self._store.status(self.key, self._recovery_s, self._step)[0]

    @property
    def throttled(self) -> bool:
        factor, pause = self._store.status(self.key, self._recovery_s, self._step)
        return factor < 1.0 or pause > 0

    def __repr__(self) -> str:
        return f"SharedRateLimiter({self.key!r}, {self.per_second:g}/s, {self.per_minute:g}/min)"


def shared_limiter_for(instance) -> SharedRateLimiter | None:
    """The SharedRateLimiter of a LookerInstance whose looker.ini section sets
    rate_limit_per_second and/or rate_limit_per_minute; None when it sets neither."""
    per_second = instance.rate_limit_per_second
    per_minute = instance.rate_limit_per_minute
    if per_second is None and per_minute is None:
        return None
    per_second = per_second or (per_minute / 60.0)
    per_minute = per_minute or (per_second * 60.0)
    return SharedRateLimiter.for_instance(instance.base_url, per_second, per_minute)
