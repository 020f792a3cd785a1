"""One session: its live progress (polled), Cancel and Resume, and a dry run's plan."""

from django.contrib import messages
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django_htmx.http import HTMX_STOP_POLLING

from restoration.models import AuditEvent, DryRunItem, RestorationSession
from restoration.progress import session_progress
from restoration.views.access import HtmxHttpRequest, action, page

DRY_RUN_ROWS_SHOWN = 500


@page("restoration.view_restorationsession")
def session_detail(request: HtmxHttpRequest, session_id: str) -> HttpResponse:
    session = get_object_or_404(
        RestorationSession.objects.select_related("launched_by"), pk=session_id
    )
    context = {"session": session, "progress": session_progress(session)}
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
        plan = DryRunItem.objects.filter(session=session)
        context["plan_counts"] = dict(
            plan.values_list("action").annotate(n=Count("*")).order_by("action")
        )
        # What would change comes first; the items a dry run would leave alone are one click away.
        shown = request.GET.get("plan", "changes")
        if shown == "changes":
            plan = plan.exclude(action=DryRunItem.Action.SKIP)
        elif shown in DryRunItem.Action.values:
            plan = plan.filter(action=shown)
        context["plan_shown"] = shown
        context["plan_actions"] = DryRunItem.Action.choices
        context["dry_run_rows"] = plan.order_by("content_type_rank", "position", "id")[
            :DRY_RUN_ROWS_SHOWN
        ]
        context["dry_run_shown"] = DRY_RUN_ROWS_SHOWN
    return render(request, "restoration/session.html", context)


@action("restoration.cancel_restore")
def cancel(request: HtmxHttpRequest, session_id: str) -> HttpResponse:
    session = get_object_or_404(RestorationSession, pk=session_id)
    if session.request_cancel():
        AuditEvent.objects.create(
            user=request.user,
            action=AuditEvent.Action.CANCEL,
            session=session,
            description=f"Cancelled {session.get_kind_display().lower()} into {session.destination_instance}",
        )
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
    if session.resume():
        AuditEvent.objects.create(
            user=request.user,
            action=AuditEvent.Action.RESUME,
            session=session,
            description=f"Resumed {session.get_kind_display().lower()} into {session.destination_instance}",
        )
        messages.success(request, "Resumed: finished items are skipped, the rest is queued.")
    else:
        messages.error(
            request,
            f"The session is {session.get_status_display().lower()}, so it cannot be resumed.",
        )
    return redirect("restoration-session", session_id=session.pk)
