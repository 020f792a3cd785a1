"""Backup schedules and runs: each looker.ini instance's schedule (cron, incremental,
retention) with its next and last run, the form that sets it, and the backup runs
a point-in-time restore can name."""

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from restoration.forms import InstanceChoice, configured_instances
from restoration.versions import BackupRun, BackupSchedule
from restoration.views.access import HtmxHttpRequest, action, page

RECENT_RUNS = 30


class ScheduleForm(forms.Form):
    instance = forms.ChoiceField(label="Looker instance")
    cron = forms.CharField(
        label="When (cron)",
        max_length=100,
        initial="0 2 * * *",
        help_text="Five fields, server time zone: '0 2 * * *' is every day at 02:00.",
    )
    incremental = forms.BooleanField(
        label="Incremental", required=False, initial=True, help_text="Read only what changed."
    )
    keep_days = forms.IntegerField(
        label="Keep versions for (days)",
        required=False,
        min_value=1,
        help_text="Older versions are deleted after each scheduled backup; the latest "
        "version of every object is always kept. Empty: keep every version.",
    )
    rate_limit_per_second = forms.IntegerField(
        label="API calls per second", min_value=1, initial=10
    )
    rate_limit_per_minute = forms.IntegerField(
        label="API calls per minute", min_value=1, initial=600
    )
    enabled = forms.BooleanField(label="Enabled", required=False, initial=True)

    def __init__(self, *args, instances: list[InstanceChoice], **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["instance"].choices = [
            (i.section, f"{i.section} — {i.base_url}") for i in instances
        ]


def _render(request: HtmxHttpRequest, form: ScheduleForm, problem: str) -> HttpResponse:
    schedules = list(BackupSchedule.objects.select_related("updated_by").order_by("section"))
    context = {
        "form": form,
        "instances_problem": problem,
        "schedules": [
            {"schedule": s, "next_run": s.next_run(), "last_run": s.last_run()} for s in schedules
        ],
        "runs": BackupRun.objects.select_related("session").order_by("-taken_at", "-pk")[
            :RECENT_RUNS
        ],
    }
    return render(request, "restoration/backup_schedules.html", context)


@page("restoration.view_contentitem")
def schedules(request: HtmxHttpRequest) -> HttpResponse:
    instances, problem = configured_instances()
    initial = {}
    if section := request.GET.get("instance"):
        initial["instance"] = section
        if found := BackupSchedule.objects.filter(section=section).first():
            initial.update(
                cron=found.cron,
                incremental=found.incremental,
                keep_days=found.keep_days,
                enabled=found.enabled,
                rate_limit_per_second=found.rate_limit_per_second,
                rate_limit_per_minute=found.rate_limit_per_minute,
            )
    return _render(request, ScheduleForm(initial=initial, instances=instances), problem)


@action("restoration.schedule_backups")
def set_schedule(request: HtmxHttpRequest) -> HttpResponse:
    instances, problem = configured_instances()
    form = ScheduleForm(request.POST, instances=instances)
    if not form.is_valid():
        return _render(request, form, problem)
    data = form.cleaned_data
    try:
        schedule = BackupSchedule.objects.set_for(
            data["instance"],
            cron=data["cron"],
            incremental=data["incremental"],
            keep_days=data["keep_days"],
            enabled=data["enabled"],
            rate_limit_per_second=data["rate_limit_per_second"],
            rate_limit_per_minute=data["rate_limit_per_minute"],
            user=request.user,
        )
    except ValueError as exc:
        form.add_error("keep_days" if "day" in str(exc) else "cron", str(exc))
        return _render(request, form, problem)
    messages.success(
        request,
        f"Backup schedule of {schedule.section}: "
        + (schedule.describe() if schedule.enabled else "paused")
        + ".",
    )
    return redirect("restoration-backup-schedules")
