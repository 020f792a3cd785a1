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

    def acquire(self) -> float:
        """Block until a call may start; return the seconds waited."""
        delay = self.reserve()
        if delay > 0:
            with self._lock:
                self.waited_s += delay
            self._sleep(delay)
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
