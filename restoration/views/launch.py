"""Launch a restore or a dry run: the form, its confirmation, and the launch itself.

The confirmation says what the latest dry run of the same selection found (or offers
one), and both pages warn while no task cluster is alive to run what they launch."""

import uuid

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from restoration.config import RestorationConfig
from restoration.forms import LaunchForm, configured_instances, selected_items_per_type
from restoration.models import (
    RAN_THROUGH_STATUSES,
    ContentItem,
    DestinationLock,
    RestorationSession,
    SessionKind,
)
from restoration.versions import PointInTimeError
from restoration.views.access import HtmxHttpRequest, action, page
from restoration.workers.clusters import cluster_health

PREFILL_FIELDS = (
    "content_types",
    "content_ids",
    "destination",
    "source",
    "include_deleted",
    "as_of",
    "backup_run",
)
# What a dry run must share with a restore to have planned the same thing; workers, rate
# limits and checkpoints change how fast, not what.
SELECTION_FIELDS = (
    "destination_instance",
    "source_instance",
    "content_types",
    "content_ids",
    "date_range",
    "include_deleted",
    "skip_if_modified",
    "disable_schedules",
    "as_of",
    "backup_run",
)
# How many recent dry runs into the destination are compared with the selection.
DRY_RUNS_COMPARED = 50


def _selection(config: dict) -> tuple:
    values = []
    for name in SELECTION_FIELDS:
        value = config.get(name)
        if name in ("content_types", "content_ids") and value:
            value = sorted(str(v) for v in value)
        values.append(value or None)
    return tuple(values)


def latest_matching_dry_run(config: RestorationConfig) -> RestorationSession | None:
    """The newest dry run that planned exactly this selection, if any."""
    wanted = _selection(config.model_dump(mode="json"))
    recent = RestorationSession.objects.filter(
        kind=SessionKind.DRY_RUN, destination_instance=config.destination_instance
    ).order_by("-started_at")[:DRY_RUNS_COMPARED]
    return next((s for s in recent if _selection(s.config or {}) == wanted), None)


def _form_context(form: LaunchForm, problem: str) -> dict:
    return {
        "form": form,
        "instances_problem": problem,
        "cluster_down": not cluster_health()["ok"],
    }


def _type_counts() -> dict[int, int]:
    return {row["content_type"]: row["count"] for row in ContentItem.objects.inventory()}


@page("restoration.view_restorationsession")
def launch_form(request: HtmxHttpRequest) -> HttpResponse:
    """The empty form, or one pre-filled from a link ("restore this" in the backup browser)."""
    instances, problem = configured_instances()
    initial = {}
    for name in PREFILL_FIELDS:
        values = request.GET.getlist(name)
        if values:
            initial[name] = values if name == "content_types" else values[0]
    if "source" not in initial:
        # The backup most likely came from where the latest backup was taken: restoring it
        # as "same as the destination" would key its ID mappings to the wrong instance.
        latest = (
            RestorationSession.objects.filter(
                kind=SessionKind.EXTRACT, status__in=RAN_THROUGH_STATUSES
            )
            .order_by("-started_at")
            .values_list("source_section", flat=True)
            .first()
        )
        if latest and any(i.section == latest for i in instances):
            initial["source"] = latest
    form = LaunchForm(initial=initial, instances=instances, type_counts=_type_counts())
    return render(request, "restoration/launch.html", _form_context(form, problem))


@action("restoration.launch_restore")
def launch(request: HtmxHttpRequest) -> HttpResponse:
    """Validate; a real restore is confirmed first ("412 items into https://..."), then launched."""
    instances, problem = configured_instances()
    data = request.POST
    if data.get("dry_run_first") == "yes":
        # "Dry run this selection first" on the confirmation: the same form, as a dry run.
        data = data.copy()
        data["dry_run"] = "on"
    form = LaunchForm(data, instances=instances, type_counts=_type_counts())
    if "edit" in data or not form.is_valid() or form.config is None:
        return render(request, "restoration/launch.html", _form_context(form, problem))
    config = form.config
    token = _launch_token(data.get("launch_token", ""))
    if not config.dry_run and (data.get("confirmed") != "yes" or token is None):
        # One confirmation page, one token: posting it twice starts one session.
        per_type = selected_items_per_type(config)
        return render(
            request,
            "restoration/launch_confirm.html",
            {
                **_form_context(form, problem),
                "config": config,
                "item_count": sum(per_type.values()),
                "per_type": [(t, n) for t, n in per_type.items() if n or config.content_types],
                "destination": form.destination_instance,
                "source": form.source_instance,
                "dry_run": latest_matching_dry_run(config),
                "launch_token": uuid.uuid4(),
                "busy_with": DestinationLock.objects.holder(config.destination_instance),
            },
        )
    if token is not None and not config.dry_run:
        started = RestorationSession.objects.filter(launch_token=token).first()
        if started is not None:
            messages.info(request, "This confirmation already launched this session.")
            return redirect("restoration-session", session_id=started.pk)
    source = form.source_instance
    try:
        session = RestorationSession.objects.launch(
            config,
            destination_section=form.destination_instance.section,
            source_section=source.section if source else "",
            user=request.user,
            launch_token=None if config.dry_run else token,
        )
    except PointInTimeError as exc:  # retention trimmed it since the form was checked
        form.add_error("backup_run" if config.backup_run else "as_of", str(exc))
        return render(request, "restoration/launch.html", _form_context(form, problem))
    messages.success(
        request,
        f"{session.get_kind_display()} launched into {session.destination_section} "
        f"({session.destination_instance}).",
    )
    return redirect("restoration-session", session_id=session.pk)


def _launch_token(text: str) -> str | None:
    """The confirmation page's token, or None when it is missing or not one of ours."""
    try:
        return str(uuid.UUID(text.strip()))
    except ValueError:
        return None
