"""Take a backup: the form that starts an extraction of one looker.ini instance.

The extraction itself runs as a background session of kind "extract"
(restoration.backup.launch_extraction); its progress is the session page.
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from restoration.forms import BackupForm, configured_instances
from restoration.models import RestorationSession, SessionKind
from restoration.views.access import HtmxHttpRequest, action, page

RECENT_BACKUPS = 5


def _render_form(request: HtmxHttpRequest, form: BackupForm, problem: str) -> HttpResponse:
    recent = (
        RestorationSession.objects.filter(kind=SessionKind.EXTRACT)
        .select_related("launched_by")
        .order_by("-started_at")[:RECENT_BACKUPS]
    )
    context = {"form": form, "instances_problem": problem, "recent": recent}
    return render(request, "restoration/backup_take.html", context)


@page("restoration.view_contentitem")
def backup_form(request: HtmxHttpRequest) -> HttpResponse:
    instances, problem = configured_instances()
    initial = {}
    if section := request.GET.get("instance"):
        initial["instance"] = section
    return _render_form(request, BackupForm(initial=initial, instances=instances), problem)


@action("restoration.run_extract")
def take_backup(request: HtmxHttpRequest) -> HttpResponse:
    from restoration.backup import launch_extraction
    from restoration.looker.instances import InstanceNotConfigured

    instances, problem = configured_instances()
    form = BackupForm(request.POST, instances=instances)
    if not form.is_valid() or form.options is None:
        return _render_form(request, form, problem)
    section = form.cleaned_data["instance"]
    try:
        session = launch_extraction(section, form.options, user=request.user)
    except InstanceNotConfigured as exc:
        form.add_error("instance", str(exc))
        return _render_form(request, form, problem)
    messages.success(
        request,
        f"Backup of {section} ({session.source_instance}) queued: "
        f"{len(form.options.types)} content type{'s' if len(form.options.types) != 1 else ''}"
        f"{', incremental' if form.options.incremental else ''}.",
    )
    return redirect("restoration-session", session_id=session.pk)


def backup_summary(inventory: list[dict]) -> dict:
    """ "Backup: last synced ...; Take a backup" for the home page and the backup browser:
    the newest synced_at over the inventory, and the latest backup session (one query)."""
    synced = [row["last_synced"] for row in inventory if row.get("last_synced")]
    return {
        "last_synced": max(synced, default=None),
        "latest": RestorationSession.objects.filter(kind=SessionKind.EXTRACT)
        .only("id", "status", "started_at", "source_section", "resume_count", "last_error")
        .order_by("-started_at")
        .first(),
    }
