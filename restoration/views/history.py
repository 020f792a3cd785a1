"""History: every session with filters, keyset paging and a CSV export; and the audit log."""

import csv
from collections.abc import Iterator
from datetime import datetime, time

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date

from restoration.models import (
    AuditAction,
    AuditEvent,
    RestorationSession,
    SessionKind,
    SessionStatus,
)
from restoration.views.access import HtmxHttpRequest, page
from restoration.views.paging import newest_first_by_id, newest_first_by_time

CSV_CHUNK = 2000


# A spreadsheet reads a cell starting with one of these as a formula ("=HYPERLINK(...)").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Echo:
    """A file-like object whose write() hands the line back, for streaming CSV."""

    def write(self, value: str) -> str:
        return value


def csv_cell(value: object) -> object:
    """One CSV cell a spreadsheet shows as text: times in ISO 8601, and text that would
    start a formula prefixed with a single quote (OWASP's advice on CSV injection).
    Ids and names come from Looker, where anyone who can save content chooses them."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _day_bound(text: str | None, end: bool) -> datetime | None:
    day = parse_date(text or "") if text else None
    if day is None:
        return None
    return datetime.combine(day, time.max if end else time.min, timezone.get_current_timezone())


def filtered_sessions(params: QueryDict) -> QuerySet[RestorationSession]:
    qs = RestorationSession.objects.all()
    if params.get("status") in SessionStatus.values:
        qs = qs.filter(status=params["status"])
    if params.get("kind") in SessionKind.values:
        qs = qs.filter(kind=params["kind"])
    if params.get("destination"):
        qs = qs.filter(destination_instance=params["destination"])
    if params.get("launcher"):
        qs = qs.filter(launched_by__username=params["launcher"])
    if since := _day_bound(params.get("since"), end=False):
        qs = qs.filter(started_at__gte=since)
    if until := _day_bound(params.get("until"), end=True):
        qs = qs.filter(started_at__lte=until)
    return qs


@page("restoration.view_restorationsession")
def history(request: HtmxHttpRequest) -> HttpResponse:
    sessions = filtered_sessions(request.GET).select_related("launched_by")
    page_ = newest_first_by_time(sessions, "started_at", request.GET.get("after"))
    context = {"page": page_, "statuses": SessionStatus.choices, "kinds": SessionKind.choices}
    if request.htmx and request.GET.get("after"):
        return render(request, "restoration/history.html#rows", context)
    context["destinations"] = (
        RestorationSession.objects.order_by("destination_instance")
        .values_list("destination_instance", flat=True)
        .distinct()
    )
    context["launchers"] = (
        get_user_model()
        .objects.filter(pk__in=RestorationSession.objects.values("launched_by"))
        .order_by("username")
        .values_list("username", flat=True)
    )
    return render(request, "restoration/history.html", context)


@page("restoration.view_restorationsession")
def history_csv(request: HtmxHttpRequest) -> StreamingHttpResponse:
    sessions = (
        filtered_sessions(request.GET)
        .order_by("-started_at", "-pk")
        .values_list(
            "id",
            "kind",
            "status",
            "started_at",
            "completed_at",
            "destination_instance",
            "source_instance",
            "launched_by__username",
            "planned_items",
            "total_items",
            "created_count",
            "updated_count",
            "skipped_count",
            "error_count",
        )
    )
    header = [
        "session",
        "kind",
        "status",
        "started_at",
        "completed_at",
        "destination",
        "source",
        "launched_by",
        "planned",
        "processed",
        "created",
        "updated",
        "skipped",
        "failed",
    ]

    def rows() -> Iterator[str]:
        writer = csv.writer(Echo())
        yield writer.writerow(header)
        for row in sessions.iterator(chunk_size=CSV_CHUNK):
            yield writer.writerow([csv_cell(v) for v in row])

    return StreamingHttpResponse(
        rows(),
        content_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="restoration-sessions.csv"'},
    )


@page("restoration.view_auditevent")
def audit_log(request: HtmxHttpRequest) -> HttpResponse:
    events = AuditEvent.objects.select_related("user", "session")
    if request.GET.get("action") in AuditAction.values:
        events = events.filter(action=request.GET["action"])
    if request.GET.get("user"):
        events = events.filter(user__username=request.GET["user"])
    context = {
        "page": newest_first_by_id(events, request.GET.get("after")),
        "actions": AuditAction.choices,
    }
    if request.htmx and request.GET.get("after"):
        return render(request, "restoration/audit.html#rows", context)
    return render(request, "restoration/audit.html", context)
