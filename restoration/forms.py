"""The launch form: reads what a person typed, lets RestorationConfig judge it,
and puts each of pydantic's complaints next to the field it is about."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from restoration.config import INVALID_DATE, LaunchRefused, RestorationConfig
from restoration.content_types import DEPENDENCY_ORDER, RESTORABLE_TYPES, ContentType
from restoration.models import IN_BATCH, ContentItem


@dataclass(frozen=True)
class InstanceChoice:
    """A looker.ini section as the page shows it: a name and a URL, never a secret."""

    section: str
    base_url: str


def configured_instances() -> tuple[list[InstanceChoice], str]:
    """The Looker instances of looker.ini, and why there are none when there are none."""
    try:
        from restoration.looker.instances import list_instances
    except ImportError:
        return [], "The Looker client layer (restoration.looker) is not installed."
    try:
        instances = list_instances()
    except Exception as exc:  # noqa: BLE001 - a broken looker.ini must not break the page
        return [], f"looker.ini could not be read: {exc}"
    choices = [InstanceChoice(i.section, i.base_url) for i in instances]
    if not choices:
        return [], f"looker.ini ({settings.LOOKER_INI}) names no Looker instance."
    return choices, ""


# pydantic field -> form field its errors belong next to.
ERROR_FIELDS = {
    "destination_instance": "destination",
    "source_instance": "source",
    "date_range": "date_from",
    # as_of and backup_run are form fields of the same name.
}

DEMO_RATE_LIMIT_PER_SECOND = 50
DEMO_RATE_LIMIT_PER_MINUTE = 3000

IDS_SEPARATOR = re.compile(r"[\s,;]+")


class NumberField(forms.CharField):
    """A number box whose value RestorationConfig parses and bounds (one set of rules)."""

    widget = forms.NumberInput


class LaunchForm(forms.Form):
    destination = forms.ChoiceField(
        label="Destination instance", help_text="The Looker instance to write into."
    )
    source = forms.ChoiceField(
        label="Source instance",
        required=False,
        help_text="Where the backup came from, when it is another instance.",
    )
    content_types = forms.TypedMultipleChoiceField(
        label="Content types",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked restores every type. Explores are not listed: they are "
        "defined in LookML, and Looker has no API that writes them.",
    )
    content_ids = forms.CharField(
        label="Content ids",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Ids separated by commas or spaces; leave empty for all.",
    )
    date_from = forms.DateField(
        label="Changed from",
        required=False,
        error_messages={"invalid": INVALID_DATE},
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Only items last changed on or after this day.",
    )
    date_to = forms.DateField(
        label="Changed until",
        required=False,
        error_messages={"invalid": INVALID_DATE},
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    workers = NumberField(label="Workers", help_text="Parallel workers (1-32).")
    rate_limit_per_second = NumberField(label="API calls per second")
    rate_limit_per_minute = NumberField(label="API calls per minute")
    checkpoint_interval = NumberField(label="Checkpoint every (items)")
    max_retries = NumberField(label="Retries of a transient failure", help_text="0-10.")
    dry_run = forms.BooleanField(
        label="Dry run: plan and compare, write nothing", required=False, initial=True
    )
    skip_if_modified = forms.BooleanField(
        label="Skip objects changed in the destination since the backup", required=False
    )
    include_deleted = forms.BooleanField(
        label="Also restore objects deleted before the backup", required=False
    )
    keep_extra = forms.BooleanField(
        label="Keep extra tiles, filters and board items (add and update only)",
        required=False,
        help_text="By default a restored dashboard or board ends equal to the backup: "
        "what the destination has and the backup lacks is removed.",
    )
    verify = forms.BooleanField(
        label="Compare every item in full",
        required=False,
        help_text="A re-run skips items unchanged in the backup and in the destination's "
        "listings since the last restore. Tick to also catch hand edits no listing shows: "
        "folder access, nested groups, role groups, attribute values, alert followers.",
    )
    # Point in time (restoration/versions.py): the backup as it was then, not the latest.
    as_of = forms.DateTimeField(
        label="As it was at",
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "2026-11-30 18:00"}),
        help_text="Restore the selection as the backup held it at this time (server time "
        "zone unless given). Empty: the latest backup.",
    )
    backup_run = forms.TypedChoiceField(
        label="Or as this backup left it",
        coerce=int,
        required=False,
        empty_value=None,
    )
    disable_schedules = forms.ChoiceField(
        label="Scheduled plans and alerts",
        required=False,
        choices=[
            ("", "Disabled when restoring into another instance (default)"),
            ("yes", "Restore them disabled"),
            ("no", "Restore them as they were"),
        ],
    )

    def __init__(
        self,
        *args: Any,
        instances: list[InstanceChoice],
        type_counts: dict[int, int],
        **kwargs: Any,
    ) -> None:
        defaults = RestorationConfig()
        kwargs.setdefault("initial", {})
        if settings.DEMO_MODE:
            # The demo's Looker instances are local emulators: no need for a real Looker's pace.
            kwargs["initial"].setdefault("rate_limit_per_second", DEMO_RATE_LIMIT_PER_SECOND)
            kwargs["initial"].setdefault("rate_limit_per_minute", DEMO_RATE_LIMIT_PER_MINUTE)
        for name in (
            "workers",
            "rate_limit_per_second",
            "rate_limit_per_minute",
            "checkpoint_interval",
            "max_retries",
        ):
            kwargs["initial"].setdefault(name, getattr(defaults, name))
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.instances = {i.section: i for i in instances}
        labels = [(i.section, f"{i.section} — {i.base_url}") for i in instances]
        # No default destination: writing into the wrong Looker must take a deliberate choice.
        self.fields["destination"].choices = [("", "Choose an instance…")] + labels
        self.fields["source"].choices = [("", "Same as the destination")] + labels
        self.fields["content_types"].choices = [
            (int(t), f"{t.label} ({type_counts.get(int(t), 0):,})") for t in DEPENDENCY_ORDER
        ]
        self.fields["backup_run"].choices = backup_run_choices()
        self.config: RestorationConfig | None = None

    def content_id_list(self) -> list[str]:
        text = self.cleaned_data.get("content_ids") or ""
        return [i for i in IDS_SEPARATOR.split(text) if i]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        destination = self.instances[data["destination"]]
        source = self.instances.get(data.get("source") or "")
        values: dict[str, Any] = {
            name: data.get(name)
            for name in (
                "workers",
                "rate_limit_per_second",
                "rate_limit_per_minute",
                "checkpoint_interval",
                "max_retries",
                "dry_run",
                "skip_if_modified",
                "include_deleted",
                "keep_extra",
                "verify",
            )
        }
        values["destination_instance"] = destination.base_url
        values["source_instance"] = source.base_url if source else None
        values["content_types"] = data.get("content_types") or None
        values["content_ids"] = self.content_id_list() or None
        values["disable_schedules"] = {"yes": True, "no": False}.get(data.get("disable_schedules"))
        values["as_of"] = data.get("as_of")
        values["backup_run"] = data.get("backup_run")
        if data.get("date_from") or data.get("date_to"):
            tz = timezone.get_current_timezone()
            start = data.get("date_from")
            end = data.get("date_to")
            values["date_range"] = (
                datetime.combine(start, time.min, tz) if start else datetime(2000, 1, 1, tzinfo=tz),
                datetime.combine(end, time.max, tz) if end else timezone.now(),
            )
        try:
            self.config = RestorationConfig.for_launch(**values)
        except LaunchRefused as refused:
            for name, message in refused.problems:
                field = ERROR_FIELDS.get(name, name)
                if field in self.fields:
                    self.add_error(field, message)
                else:
                    self.add_error(None, f"{name}: {message}" if name else message)
        return data

    @property
    def destination_instance(self) -> InstanceChoice:
        return self.instances[self.cleaned_data["destination"]]

    @property
    def source_instance(self) -> InstanceChoice | None:
        return self.instances.get(self.cleaned_data.get("source") or "")


def selected_items_per_type(config: RestorationConfig) -> dict[ContentType, int]:
    """How many backup items the config selects, per type in dependency order (what a
    confirmation page announces: the chosen types and what they hold, not the backup's
    totals). One GROUP BY per batch of ids; at a point in time, the versions then."""
    wanted = config.content_types or RESTORABLE_TYPES
    if config.as_of is not None:
        from restoration.engine.plan import Plan

        plan = Plan(config)
        return {t: plan.rows(t).count() for t in DEPENDENCY_ORDER if int(t) in wanted}
    qs = ContentItem.objects.filter(content_type__in=wanted)
    if not config.include_deleted:
        qs = qs.active()
    if config.date_range:
        start, end = config.date_range
        qs = qs.filter(Q(updated_at__gte=start) & Q(updated_at__lte=end))
    batches = [qs]
    if config.content_ids:
        ids = config.content_ids
        batches = [
            qs.filter(content_id__in=ids[start : start + IN_BATCH])
            for start in range(0, len(ids), IN_BATCH)
        ]
    counts: dict[int, int] = {}
    for batch in batches:
        for content_type, n in batch.values_list("content_type").annotate(n=Count("*")).order_by():
            counts[content_type] = counts.get(content_type, 0) + n
    return {t: counts.get(int(t), 0) for t in DEPENDENCY_ORDER if int(t) in wanted}


def backup_run_choices(limit: int = 50) -> list[tuple[Any, str]]:
    """The latest backup runs for the launch form (failed ones too: choosing one says why
    it cannot be restored)."""
    from restoration.versions import BackupRun

    runs = BackupRun.objects.order_by("-taken_at", "-pk")[:limit]
    return [("", "—")] + [
        (run.pk, run.label + ("" if run.status == "completed" else f" ({run.status})"))
        for run in runs
    ]


class BackupForm(forms.Form):
    """Take a backup of one looker.ini instance: the options of ExtractionOptions, with its
    bounds on each field so a wrong number is reported next to its box."""

    instance = forms.ChoiceField(
        label="Looker instance", help_text="The looker.ini section to read content from."
    )
    types = forms.TypedMultipleChoiceField(
        label="Content types",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked backs up every type.",
    )
    workers = forms.IntegerField(
        label="Workers",
        min_value=1,
        max_value=32,
        help_text="Parallel workers (1-32).",
    )
    incremental = forms.BooleanField(
        label="Incremental",
        required=False,
        help_text="Rewrite only objects changed since the last backup; mark objects gone from "
        "Looker as deleted.",
    )
    rate_limit_per_second = forms.IntegerField(label="API calls per second", min_value=1)
    rate_limit_per_minute = forms.IntegerField(label="API calls per minute", min_value=1)

    def __init__(self, *args: Any, instances: list[InstanceChoice], **kwargs: Any) -> None:
        from restoration.backup import ExtractionOptions
        from restoration.backup.readers import EXTRACTABLE_TYPES

        defaults = ExtractionOptions()
        initial = kwargs.setdefault("initial", {})
        if settings.DEMO_MODE:
            # The demo's instances are local emulators: no need for a real Looker's pace.
            initial.setdefault("rate_limit_per_second", DEMO_RATE_LIMIT_PER_SECOND)
            initial.setdefault("rate_limit_per_minute", DEMO_RATE_LIMIT_PER_MINUTE)
        for name in ("workers", "rate_limit_per_second", "rate_limit_per_minute"):
            initial.setdefault(name, getattr(defaults, name))
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.instances = {i.section: i for i in instances}
        self.fields["instance"].choices = [
            (i.section, f"{i.section} — {i.base_url}") for i in instances
        ]
        self.fields["types"].choices = [(int(t), t.label) for t in EXTRACTABLE_TYPES]
        self.options = None

    def clean(self) -> dict[str, Any]:
        from restoration.backup import ExtractionOptions

        data = super().clean()
        if self.errors:
            return data
        try:
            self.options = ExtractionOptions(
                types=data["types"] or [choice for choice, _ in self.fields["types"].choices],
                workers=data["workers"],
                incremental=data["incremental"],
                rate_limit_per_second=data["rate_limit_per_second"],
                rate_limit_per_minute=data["rate_limit_per_minute"],
            )
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return data
