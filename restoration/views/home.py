"""Home: what runs now, what ran lately, the dead letters waiting, the backup's
inventory and whether the task cluster is alive.

"Running now" is a small partial (`running`) the page polls every few seconds whether or
not something ran at load time, so a session launched elsewhere (another tab, another
operator, the command line) appears without a reload."""

from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import render

from restoration.content_types import ContentType
from restoration.models import (
    ContentItem,
    DeadLetterItem,
    RestorationSession,
    SessionStatus,
)
from restoration.views.access import HtmxHttpRequest, page
from restoration.views.extract import backup_summary
from restoration.workers.clusters import cluster_health

RECENT_SESSIONS = 10
# The partial lists this many; more is a sign to open the history page.
ACTIVE_SHOWN = 20


def _running_context(cluster: dict | None = None) -> dict:
    """One query on the status index; the cluster is asked only when a session waits."""
    active = list(
        RestorationSession.objects.filter(status__in=(SessionStatus.PENDING, SessionStatus.RUNNING))
        .select_related("launched_by")
        .defer("config", "metadata")
        .order_by("-started_at")[:ACTIVE_SHOWN]
    )
    waiting = any(s.status == SessionStatus.PENDING for s in active)
    if waiting and cluster is None:
        cluster = cluster_health()
    return {
        "active": active,
        "active_shown": ACTIVE_SHOWN,
        "waiting_without_cluster": waiting and not cluster["ok"],
    }


@page("restoration.view_restorationsession")
def running(request: HtmxHttpRequest) -> HttpResponse:
    """The "Running now" partial the home page polls (every 5 s; paused in a hidden tab)."""
    return render(request, "restoration/home.html#active", _running_context())


@page("restoration.view_restorationsession")
def home(request: HtmxHttpRequest) -> HttpResponse:
    if request.htmx:
        return running(request)
    cluster = cluster_health()
    context = _running_context(cluster)
    inventory = ContentItem.objects.inventory()
    context.update(
        {
            "recent": RestorationSession.objects.select_related("launched_by")
            .defer("config", "metadata")
            .order_by("-started_at")[:RECENT_SESSIONS],
            "dead_letters": list(
                DeadLetterItem.objects.values("content_type")
                .annotate(count=Count("*"))
                .order_by("-count")
            ),
            "inventory": inventory,
            "explores_in_backup": any(
                row["content_type"] == ContentType.EXPLORE for row in inventory
            ),
            "backup_summary": backup_summary(inventory),
            "cluster": cluster,
        }
    )
    return render(request, "restoration/home.html", context)
