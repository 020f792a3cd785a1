"""What a session's progress looks like to a person: per-type bars in dependency
order, throughput now and on average, an ETA and a throughput chart.

Read from what the engine writes: the session's counters, its checkpoints
(item_count / error_count per content type), metadata["plan"]["per_type"],
metadata["throughput"] ([iso time, items done] samples) and metadata["throttled"].
Three queries at most, so the page can poll it every second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from restoration.content_types import DEPENDENCY_ORDER, ContentType
from restoration.models import (
    RAN_THROUGH_STATUSES,
    DeadLetterItem,
    RestorationCheckpoint,
    RestorationSession,
    SessionKind,
)

# "Current" throughput is measured over the last samples spanning this long.
CURRENT_WINDOW_SECONDS = 10
CHART_POINTS = 60
CHART_WIDTH = 600
CHART_HEIGHT = 120
LATEST_ERRORS = 5


def percent(done: int, planned: int) -> float:
    if planned <= 0:
        return 0.0
    return round(min(100.0, 100.0 * done / planned), 1)


@dataclass
class TypeProgress:
    content_type: ContentType
    planned: int
    done: int
    failed: int

    @property
    def percent(self) -> float:
        return percent(self.done, self.planned)


@dataclass
class ThroughputChart:
    points: str  # SVG polyline points
    area: str  # SVG polygon points (the filled area under the line)
    peak: float
    span_seconds: float
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT


@dataclass
class SessionProgress:
    session: RestorationSession
    planned: int
    done: int
    percent: float
    per_type: list[TypeProgress] = field(default_factory=list)
    current_rate: float | None = None
    average_rate: float | None = None
    eta_seconds: float | None = None
    throttled: bool = False
    chart: ThroughputChart | None = None
    latest_errors: list[DeadLetterItem] = field(default_factory=list)
    summary: dict[str, Any] | None = None
    # An extraction (kind "extract") reports per type what it read, and its errors, in
    # metadata rather than in dead letters: nothing was written to Looker to retry.
    extract_per_type: list[ExtractTypeProgress] = field(default_factory=list)
    extract_errors: list[dict[str, Any]] = field(default_factory=list)
    extract_deleted: int = 0


@dataclass
class ExtractTypeProgress:
    content_type: ContentType
    listed: int
    created: int
    updated: int
    unchanged: int
    deleted: int
    errors: int

    @property
    def done(self) -> int:
        return self.created + self.updated + self.unchanged + self.errors

    @property
    def percent(self) -> float:
        return percent(self.done, self.listed)


def _extract_progress(progress: SessionProgress, metadata: dict[str, Any]) -> None:
    tallies = metadata.get("per_type") or {}
    by_type = {}
    for slug, tally in tallies.items():
        try:
            content_type = ContentType.from_slug(str(slug))
        except ValueError:
            continue  # a type this version does not know is left out, not fatal
        if isinstance(tally, dict):
            by_type[content_type] = tally

    # Dependency order like a restore; read-only types (explores) after the restorable ones.
    def rank(content_type: ContentType) -> tuple[int, int]:
        if content_type in DEPENDENCY_ORDER:
            return (DEPENDENCY_ORDER.index(content_type), 0)
        return (len(DEPENDENCY_ORDER), int(content_type))

    for content_type in sorted(by_type, key=rank):
        tally = by_type[content_type]
        progress.extract_per_type.append(
            ExtractTypeProgress(
                content_type=content_type,
                **{
                    name: int(tally.get(name) or 0)
                    for name in ("listed", "created", "updated", "unchanged", "deleted", "errors")
                },
            )
        )
    progress.extract_deleted = sum(t.deleted for t in progress.extract_per_type)
    errors = [e for e in metadata.get("errors") or [] if isinstance(e, dict)]
    progress.extract_errors = errors[-LATEST_ERRORS:][::-1]


def _samples(metadata: dict[str, Any]) -> list[tuple[datetime, int]]:
    samples = []
    for sample in metadata.get("throughput") or []:
        try:
            at, items = sample[0], int(sample[1])
            when = datetime.fromisoformat(at) if isinstance(at, str) else None
        except (TypeError, ValueError, IndexError):
            continue  # a malformed sample is dropped, not fatal to the page
        if when is not None:
            if timezone.is_naive(when):
                when = when.replace(tzinfo=UTC)
            samples.append((when, items))
    samples.sort(key=lambda s: s[0])
    return samples


def _rates(samples: list[tuple[datetime, int]]) -> list[tuple[float, float]]:
    """(seconds since the first sample, items per second) between consecutive samples."""
    rates = []
    start = samples[0][0]
    for (t0, n0), (t1, n1) in zip(samples, samples[1:], strict=False):
        dt = (t1 - t0).total_seconds()
        if dt > 0:
            rates.append(((t1 - start).total_seconds(), max(0.0, (n1 - n0) / dt)))
    return rates


def _current_rate(samples: list[tuple[datetime, int]]) -> float | None:
    if len(samples) < 2:
        return None
    last_at, last_items = samples[-1]
    first_at, first_items = samples[-2]
    for at, items in reversed(samples[:-1]):
        first_at, first_items = at, items
        if (last_at - at).total_seconds() >= CURRENT_WINDOW_SECONDS:
            break
    dt = (last_at - first_at).total_seconds()
    return (last_items - first_items) / dt if dt > 0 else None


def throughput_chart(samples: list[tuple[datetime, int]]) -> ThroughputChart | None:
    rates = _rates(samples) if len(samples) >= 3 else []
    if len(rates) < 2:
        return None  # one interval is a dot, not a trend
    step = max(1, len(rates) // CHART_POINTS)
    # Average each bucket so a long run keeps its shape in 60 points.
    buckets = [rates[i : i + step] for i in range(0, len(rates), step)]
    origin = buckets[0][-1][0]
    points_data = [(b[-1][0] - origin, sum(r for _, r in b) / len(b)) for b in buckets]
    span = max(points_data[-1][0], 1.0)
    peak = max(r for _, r in points_data) or 1.0
    coords = []
    for seconds, rate in points_data:
        x = round(CHART_WIDTH * seconds / span, 1)
        y = round(CHART_HEIGHT - (CHART_HEIGHT - 4) * rate / peak, 1)
        coords.append(f"{x},{y}")
    first_x = coords[0].split(",")[0]
    last_x = coords[-1].split(",")[0]
    area = f"{first_x},{CHART_HEIGHT} " + " ".join(coords) + f" {last_x},{CHART_HEIGHT}"
    return ThroughputChart(" ".join(coords), area, round(peak, 1), round(span))


def session_progress(session: RestorationSession) -> SessionProgress:
    metadata = session.metadata or {}
    per_type_plan = {
        int(k): int(v) for k, v in ((metadata.get("plan") or {}).get("per_type") or {}).items()
    }
    planned = session.planned_items or sum(per_type_plan.values())
    done = session.total_items
    progress = SessionProgress(
        session=session,
        planned=planned,
        done=done,
        percent=100.0
        if session.status in RAN_THROUGH_STATUSES and done >= planned
        else percent(done, planned),
        throttled=bool(metadata.get("throttled")) and not session.is_finished,
        summary=metadata.get("summary"),
    )

    counts = {
        row["content_type"]: row
        for row in RestorationCheckpoint.objects.filter(session=session)
        .values("content_type")
        .annotate(done=Sum("item_count"), failed=Sum("error_count"))
    }
    for content_type in DEPENDENCY_ORDER:
        row = counts.get(int(content_type), {})
        if content_type not in per_type_plan and not row:
            continue
        progress.per_type.append(
            TypeProgress(
                content_type=content_type,
                planned=per_type_plan.get(int(content_type), 0),
                done=row.get("done") or 0,
                failed=row.get("failed") or 0,
            )
        )

    samples = _samples(metadata)
    if not session.is_finished:
        progress.current_rate = _current_rate(samples)
    summary = progress.summary or {}
    # A restore's summary says average_throughput, a backup's items_per_second.
    summary_rate = summary.get("average_throughput", summary.get("items_per_second"))
    if summary_rate is not None:
        progress.average_rate = float(summary_rate)
    elif done:
        # From the first sample, not started_at: time spent pending in the queue is not work.
        begin = samples[0][0] if samples else session.started_at
        end = session.completed_at or (samples[-1][0] if samples else timezone.now())
        elapsed = (end - begin).total_seconds()
        if elapsed > 0:
            progress.average_rate = done / elapsed
    rate = progress.current_rate or progress.average_rate
    if rate and not session.is_finished and planned > done:
        progress.eta_seconds = (planned - done) / rate
    progress.chart = throughput_chart(samples)
    if session.kind == SessionKind.EXTRACT:
        _extract_progress(progress, metadata)
    elif session.error_count:
        progress.latest_errors = list(
            DeadLetterItem.objects.filter(session=session)
            .only("id", "content_type", "content_id", "error_type", "error_message", "failed_at")
            .order_by("-id")[:LATEST_ERRORS]
        )
    return progress
