"""Home: what runs now, what ran lately, the dead letters waiting, the backup's
inventory and whether the task cluster is alive."""

from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import render
from django_htmx.http import HTMX_STOP_POLLING

from restoration.health import cluster_health
from restoration.models import (
    ContentItem,
    DeadLetterItem,
    RestorationSession,
    SessionStatus,
)
from restoration.views.access import HtmxHttpRequest, page
from restoration.views.extract import backup_summary

RECENT_SESSIONS = 10


@page("restoration.view_restorationsession")
def home(request: HtmxHttpRequest) -> HttpResponse:
    active = list(
        RestorationSession.objects.filter(status__in=(SessionStatus.PENDING, SessionStatus.RUNNING))
        .select_related("launched_by")
        .order_by("-started_at")
    )
    if request.htmx:
        response = render(request, "restoration/home.html#active", {"active": active})
        if not active:
            response.status_code = HTMX_STOP_POLLING
        return response
    cluster = cluster_health()
    inventory = ContentItem.objects.inventory()
    context = {
        "active": active,
        "recent": RestorationSession.objects.select_related("launched_by").order_by("-started_at")[
            :RECENT_SESSIONS
        ],
        "dead_letters": list(
            DeadLetterItem.objects.values("content_type")
            .annotate(count=Count("*"))
            .order_by("-count")
        ),
        "inventory": inventory,
        "backup_summary": backup_summary(inventory),
        "cluster": cluster,
        "waiting_without_cluster": not cluster["ok"]
        and any(s.status == SessionStatus.PENDING for s in active),
    }
    return render(request, "restoration/home.html", context)
