"""Launch a restore or a dry run: the form, its confirmation, and the launch itself."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from restoration.forms import LaunchForm, configured_instances, selected_items
from restoration.models import ContentItem, RestorationSession, SessionKind, SessionStatus
from restoration.views.access import HtmxHttpRequest, action, page

PREFILL_FIELDS = ("content_types", "content_ids", "destination", "source", "as_of", "backup_run")


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
                kind=SessionKind.EXTRACT, status=SessionStatus.COMPLETED
            )
            .order_by("-started_at")
            .values_list("source_section", flat=True)
            .first()
        )
        if latest and any(i.section == latest for i in instances):
            initial["source"] = latest
    form = LaunchForm(initial=initial, instances=instances, type_counts=_type_counts())
    return render(request, "restoration/launch.html", {"form": form, "instances_problem": problem})


@action("restoration.launch_restore")
def launch(request: HtmxHttpRequest) -> HttpResponse:
    """Validate; a real restore is confirmed first ("412 items into https://..."), then launched."""
    instances, problem = configured_instances()
    form = LaunchForm(request.POST, instances=instances, type_counts=_type_counts())
    if "edit" in request.POST or not form.is_valid() or form.config is None:
        return render(
            request, "restoration/launch.html", {"form": form, "instances_problem": problem}
        )
    config = form.config
    if not config.dry_run and request.POST.get("confirmed") != "yes":
        return render(
            request,
            "restoration/launch_confirm.html",
            {
                "form": form,
                "config": config,
                "item_count": selected_items(config),
                "destination": form.destination_instance,
                "source": form.source_instance,
            },
        )
    source = form.source_instance
    session = RestorationSession.objects.launch(
        config,
        destination_section=form.destination_instance.section,
        source_section=source.section if source else "",
        user=request.user,
    )
    messages.success(
        request, f"{session.get_kind_display()} launched into {session.destination_instance}."
    )
    return redirect("restoration-session", session_id=session.pk)
