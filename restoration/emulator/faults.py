"""Injected trouble: latency, a server-side rate limit, random 5xx, hangs, dropped
connections, deterministic rejections and lost answers (a write applied whose answer never
arrives), as a flaky real Looker or the network in front of it would give."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class Rejection:
    """Answer `status` when a create/update of `kind` has `field` matching `pattern`."""

    kind: str
    field: str
    pattern: str
    status: int = 422

    def matches(self, kind: str, body: dict[str, Any]) -> bool:
        value = body.get(self.field)
        return kind == self.kind and value is not None and re.search(self.pattern, str(value))


# How an answer gets lost: the connection closed with no response, a 502 with a text (HTML)
# body as a proxy gives, a 502 with a Looker-shaped JSON body, or a hang past the client's
# timeout (then closed).
LOST_WAYS = ("close", "502_text", "502_json", "hang")
DEFAULT_LOST_WAYS = ("close", "502_text", "502_json")


@dataclass
class FaultSettings:
    latency_ms: float = 0
    jitter_ms: float = 0
    rate_limit_per_second: float = 0  # 0 = unlimited
    retry_after: float | None = None  # seconds sent in Retry-After with a 429, if set
    error_rate: float = 0  # share of calls answered with one of error_statuses
    error_statuses: list[int] = field(default_factory=lambda: [500, 502, 503])
    hang_rate: float = 0  # share of calls that hang for hang_seconds before being served
    hang_seconds: float = 30
    drop_rate: float = 0  # share of calls whose connection is closed without an answer
    route_pattern: str = ""  # faults apply only to "VERB /api/4.0/path" matching it
    rejections: list[Rejection] = field(default_factory=list)
    # Lost answers: a write (non-GET call) matching lost_answer_route is applied, then its
    # answer is lost in one of lost_answer_ways. The next lost_answer_next matching writes
    # lose theirs for sure (the number counts down), then a share lost_answer_rate of them.
    lost_answer_route: str = ""  # regex on "VERB /api/4.0/path"; "" = every write
    lost_answer_next: int = 0
    lost_answer_rate: float = 0
    lost_answer_ways: list[str] = field(default_factory=lambda: list(DEFAULT_LOST_WAYS))
    lost_answer_hang_seconds: float = 30  # "hang": held this long, then closed unanswered
    # Clashes (a name, title or key taken): operationId -> the status to answer them with,
    # 409 or 422, whatever the emulator answers by default (errors.CLASH_STATUS). For tests
    # that show a client copes with both answers.
    clash_statuses: dict[str, int] = field(default_factory=dict)

    def update(self, values: dict[str, Any]) -> None:
        known = {f.name for f in fields(self)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        for key, value in values.items():
            if key == "rejections":
                value = [r if isinstance(r, Rejection) else Rejection(**r) for r in value or []]
                for r in value:
                    re.compile(r.pattern)
            elif key == "error_statuses":
                value = [int(v) for v in value]
            elif key in ("route_pattern", "lost_answer_route"):
                value = value or ""
                re.compile(value)
            elif key == "lost_answer_ways":
                value = [value] if isinstance(value, str) else list(value or [])
                unknown_ways = [w for w in value if w not in LOST_WAYS]
                if unknown_ways or not value:
                    raise ValueError(
                        f"lost_answer_ways must name some of {', '.join(LOST_WAYS)} (got {value!r})"
                    )
            elif key == "clash_statuses":
                value = {str(op): int(status) for op, status in (value or {}).items()}
                wrong = {op: s for op, s in value.items() if s not in (409, 422)}
                if wrong:
                    raise ValueError(f"clash_statuses must be 409 or 422 (got {wrong!r})")
            elif key == "lost_answer_next":
                value = int(value)
            elif key == "retry_after":
                value = None if value is None else float(value)
            else:
                value = float(value)
            setattr(self, key, value)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def applies_to(self, route_key: str) -> bool:
        return not self.route_pattern or re.search(self.route_pattern, route_key) is not None

    def loses_answer_of(self, route_key: str) -> bool:
        """Whether lost answers may hit this write at all (route only, no dice)."""
        if not (self.lost_answer_next > 0 or self.lost_answer_rate > 0):
            return False
        pattern = self.lost_answer_route
        return not pattern or re.search(pattern, route_key) is not None


class RateLimit:
    """Token bucket holding one second's worth of calls."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens = 0.0
        self._at = time.monotonic()
        self._rate = 0.0

    def allow(self, per_second: float) -> bool:
        if per_second <= 0:
            return True
        with self._lock:
            now = time.monotonic()
            if per_second != self._rate:
                self._rate = per_second
                self._tokens = per_second
            else:
                self._tokens = min(per_second, self._tokens + (now - self._at) * per_second)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False
