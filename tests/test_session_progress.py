"""restoration.session_progress: bars, rates, ETA and the chart a session page shows."""

from datetime import timedelta

from django.utils import timezone

from restoration.content_types import ContentType
from restoration.models import RestorationCheckpoint, SessionStatus
from restoration.session_progress import session_progress, throughput_chart
from tests.views.conftest import make_session


def samples(rates: list[int], start=None) -> list:
    start = start or timezone.now() - timedelta(seconds=2 * len(rates))
    done, out = 0, [[start.isoformat(), 0]]
    for i, rate in enumerate(rates, 1):
        done += rate * 2
        out.append([(start + timedelta(seconds=2 * i)).isoformat(), done])
    return out


def test_per_type_bars_follow_dependency_order_and_sum_checkpoints(db):
    session = make_session(
        planned_items=30,
        total_items=15,
        metadata={"plan": {"per_type": {"1": 10, "5": 10, "7": 10}}},
    )
    for content_type, count in (
        (ContentType.DASHBOARD, 2),
        (ContentType.USER, 10),
        (ContentType.DASHBOARD, 3),
    ):
        RestorationCheckpoint.objects.create(
            session=session, content_type=content_type, item_count=count
        )
    progress = session_progress(session)
    assert [t.content_type for t in progress.per_type] == [
        ContentType.USER,
        ContentType.FOLDER,
        ContentType.DASHBOARD,
    ]
    assert [(t.done, t.planned, t.percent) for t in progress.per_type] == [
        (10, 10, 100.0),
        (0, 10, 0.0),
        (5, 10, 50.0),
    ]
    assert progress.percent == 50.0


def test_eta_comes_from_the_current_rate(db):
    # 5 items/s lately; 100 of 200 done -> 20 s left.
    session = make_session(
        planned_items=200, total_items=100, metadata={"throughput": samples([1, 1, 5, 5, 5, 5, 5])}
    )
    progress = session_progress(session)
    assert round(progress.current_rate, 1) == 5.0
    assert round(progress.eta_seconds) == 20


def test_a_finished_session_has_no_eta_and_uses_the_summary_average(db):
    session = make_session(
        status=SessionStatus.COMPLETED,
        completed_at=timezone.now(),
        planned_items=10,
        total_items=10,
        metadata={
            "throughput": samples([5, 5, 5]),
            "throttled": True,
            "summary": {"average_throughput": 4.5},
        },
    )
    progress = session_progress(session)
    assert progress.eta_seconds is None and progress.current_rate is None
    assert progress.average_rate == 4.5 and progress.percent == 100.0
    assert progress.throttled is False  # a finished session throttles nothing


def test_the_chart_needs_a_trend_and_scales_to_its_peak():
    assert throughput_chart([]) is None
    assert (
        throughput_chart([(timezone.now(), 0), (timezone.now() + timedelta(seconds=1), 5)]) is None
    )
    from restoration.session_progress import _samples

    chart = throughput_chart(_samples({"throughput": samples([2, 4, 8])}))
    assert chart.peak == 8.0
    first, *_, last = chart.points.split()
    assert first.startswith("0.0,") and last == f"{chart.width}.0,4.0"  # the peak touches the top


def test_malformed_samples_are_ignored(db):
    session = make_session(metadata={"throughput": [["not a time", 3], [None], "junk"]})
    assert session_progress(session).chart is None
