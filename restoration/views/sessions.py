"""One session: its live progress (polled), Cancel and Resume, and a dry run's plan."""

from django.contrib import messages
from django.core.cache import cache
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django_htmx.http import HTMX_STOP_POLLING

from restoration.content_types import ContentType, dependency_rank
from restoration.models import DryRunItem, RestorationSession, SessionStatus
from restoration.session_progress import session_progress
from restoration.views.access import HtmxHttpRequest, action, page
from restoration.views.paging import in_plan_order
from restoration.workers.clusters import cluster_health

PLAN_PAGE_SIZE = 100
CHANGES = (DryRunItem.Action.CREATE, DryRunItem.Action.UPDATE)


PLAN_COUNTS_CACHE_SECONDS = 24 * 3600


def _plan_counts(session: RestorationSession) -> list[tuple[str, int, int]]:
    """(action, content type, rows) of a plan. A finished plan never changes, so its
    counts are cached: the GROUP BY reads every row (about 50 ms at 100k rows on SQLite)."""

    def count() -> list[tuple[str, int, int]]:
        return list(
            DryRunItem.objects.filter(session=session)
            .values_list("action", "content_type")
            .annotate(n=Count("*"))
            .order_by()
        )

    if not session.is_finished:
        return count()
    # A resumed dry run finishes again with a new completed_at: a new key, fresh counts.
    key = f"plan-counts:{session.pk}:{session.resume_count}:{session.completed_at:%s.%f}"
    return cache.get_or_set(key, count, PLAN_COUNTS_CACHE_SECONDS)


def _dry_run_plan(
    request: HtmxHttpRequest, session: RestorationSession, with_counts: bool = True
) -> dict:
    """The plan's counts per action and per type (one GROUP BY), and one keyset page of
    its rows filtered by action (`plan`) and type (`type`)."""
    counts = _plan_counts(session) if with_counts else []
    per_action: dict[str, int] = {}
    per_type: dict[int, int] = {}
    shown = request.GET.get("plan", "changes")
    for action_name, content_type, n in counts:
        per_action[action_name] = per_action.get(action_name, 0) + n
        if (
            shown == "all"
            or shown == action_name
            or (shown == "changes" and action_name != DryRunItem.Action.SKIP)
        ):
            per_type[content_type] = per_type.get(content_type, 0) + n
    plan = DryRunItem.objects.filter(session=session)
    type_shown = request.GET.get("type", "")
    if type_shown.isdigit():
        plan = plan.filter(content_type=int(type_shown))
    else:
        type_shown = ""
    # Failures first, then what would change; what a dry run would leave alone is one
    # click away ("all"), and so is each action on its own.
    fail = DryRunItem.Action.FAIL
    if shown == "changes":
        parts = [plan.filter(action=fail), plan.filter(action__in=CHANGES)]
    elif shown in DryRunItem.Action.values:
        parts = [plan.filter(action=shown)]
    else:
        shown = "all"
        parts = [plan.filter(action=fail), plan.exclude(action=fail)]
    return {
        "plan_counts": per_action,
        "plan_total": sum(per_action.values()),
        "plan_changes": sum(n for a, n in per_action.items() if a != DryRunItem.Action.SKIP),
        "plan_type_counts": [
            (ContentType(t), per_type[t])
            for t in sorted(per_type, key=lambda t: dependency_rank_or_last(t))
        ],
        "plan_shown": shown,
        "plan_type_shown": type_shown,
        # "Would fail" first: the chip a person looks for after a dry run.
        "plan_actions": sorted(DryRunItem.Action.choices, key=lambda c: c[0] != fail),
        "plan_page": in_plan_order(parts, request.GET.get("after"), PLAN_PAGE_SIZE),
    }


def dependency_rank_or_last(content_type: int) -> int:
    try:
        return dependency_rank(content_type)
    except ValueError:
        return 10_000 + content_type


def _waits_without_cluster(session: RestorationSession) -> bool:
    """A pending session with no task cluster alive would wait silently for ever."""
    return session.status == SessionStatus.PENDING and not cluster_health()["ok"]


@page("restoration.view_restorationsession")
def session_detail(request: HtmxHttpRequest, session_id: str) -> HttpResponse:
    session = get_object_or_404(
        RestorationSession.objects.select_related("launched_by"), pk=session_id
    )
    if session.is_dry_run and request.htmx and request.GET.get("after"):
        # htmx's "Load more" of the plan: the next keyset page of rows, nothing else
        # (a plain link with ?after= gets the whole page starting there).
        context = {"session": session, **_dry_run_plan(request, session, with_counts=False)}
        return render(request, "restoration/session.html#plan_rows", context)
    context = {
        "session": session,
        "progress": session_progress(session),
        "waiting_without_cluster": _waits_without_cluster(session),
    }
    if request.htmx:
        response = render(request, "restoration/session.html#progress", context)
        if session.is_finished:
            # The final state is swapped in, then htmx stops asking.
            response.status_code = HTMX_STOP_POLLING
            if session.is_dry_run:
                # The plan table lives outside the partial: show it by reloading once.
                response["HX-Refresh"] = "true"
        return response
    if session.is_dry_run:
        context.update(_dry_run_plan(request, session))
    return render(request, "restoration/session.html", context)


@action("restoration.cancel_restore")
def cancel(request: HtmxHttpRequest, session_id: str) -> HttpResponse:
    session = get_object_or_404(RestorationSession, pk=session_id)
    if session.request_cancel(request.user):
        messages.success(request, "Cancel requested: the workers stop after their current item.")
    else:
        messages.error(
            request,
            f"The session is {session.get_status_display().lower()}, so it cannot be cancelled.",
        )
    return redirect("restoration-session", session_id=session.pk)


@action("restoration.resume_restore")
def resume(request: HtmxHttpRequest, session_id: str) -> HttpResponse:
    session = get_object_or_404(RestorationSession, pk=session_id)
    if session.resume(request.user):
        messages.success(request, "Resumed: finished items are skipped, the rest is queued.")
    else:
        messages.error(
            request,
            f"The session is {session.get_status_display().lower()}, so it cannot be resumed.",
        )
    return redirect("restoration-session", session_id=session.pk)
