"""Template filters for restoreadmin's pages: links into Looker, durations, rates, JSON."""

import json
from typing import Any
from urllib.parse import quote

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from restoration.content_types import ContentType
from restoration.looker.instances import instances_by_url, web_url_for

register = template.Library()

# Where an object of each type opens in Looker's own UI.
LOOKER_PATHS = {
    ContentType.DASHBOARD: "/dashboards/{id}",
    ContentType.LOOK: "/looks/{id}",
    ContentType.FOLDER: "/folders/{id}",
    ContentType.BOARD: "/boards/{id}",
    ContentType.USER: "/admin/users/{id}/edit",
    ContentType.GROUP: "/admin/groups/{id}/edit",
    ContentType.ROLE: "/admin/roles/{id}/edit",
    ContentType.PERMISSION_SET: "/admin/permission_sets/{id}/edit",
    ContentType.MODEL_SET: "/admin/model_sets/{id}/edit",
    ContentType.SCHEDULED_PLAN: "/admin/scheduled_jobs/{id}",
    ContentType.LOOKML_MODEL: "/projects/models/{id}",
    ContentType.USER_ATTRIBUTE: "/admin/user_attributes/{id}/edit",
}


@register.simple_tag
def looker_url(base_url: str, content_type: int, object_id: str) -> str:
    """The object's page in a Looker instance's web UI, or "" when Looker has none. The
    instance is named by its API base_url; looker.ini's `web_url` or the rule of
    `web_url_for` (drop the API port 19999) gives the address people open."""
    path = LOOKER_PATHS.get(ContentType(content_type)) if content_type in ContentType else None
    if not base_url or not path or not object_id:
        return ""
    instance = instances_by_url().get(base_url)
    web = web_url_for(base_url, instance.web_url if instance else "")
    return web.rstrip("/") + path.format(id=quote(str(object_id), safe=""))


@register.filter
def instance_name(base_url: str | None, section: str = "") -> str:
    """A Looker instance as ops staff named it in looker.ini, with its URL as secondary
    text; a URL no section names any more is shown as it is."""
    if not base_url:
        return "—"
    if not section:
        instance = instances_by_url().get(base_url)
        section = instance.section if instance else ""
    if not section:
        return base_url
    return format_html(
        '{} <span class="instance-url muted">{}</span>',
        section,
        base_url,
    )


@register.filter
def instance_option(base_url: str) -> str:
    """A stored instance URL as a filter's option reads: "demo-staging — http://…"."""
    instance = instances_by_url().get(base_url)
    return f"{instance.section} — {base_url}" if instance else base_url


@register.filter
def with_instance_names(text: str) -> str:
    """An audit description with each looker.ini instance's URL named by its section."""
    shown = conditional_escape(text or "")
    for base_url, instance in instances_by_url().items():
        escaped = conditional_escape(base_url)
        if escaped in shown:
            shown = shown.replace(escaped, instance_name(base_url, instance.section))
    return mark_safe(shown)  # noqa: S308 - escaped above; the names come from format_html


@register.filter
def content_type_label(value: Any) -> str:
    try:
        return ContentType(int(value)).label
    except (TypeError, ValueError):
        return str(value)


@register.filter
def content_type_slug(value: Any) -> str:
    try:
        return ContentType(int(value)).slug
    except (TypeError, ValueError):
        return str(value)


@register.filter
def duration(seconds: float | None) -> str:
    """1h 02m, 3m 20s, 45s."""
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


@register.filter
def rate(items_per_second: float | None) -> str:
    if items_per_second is None:
        return "—"
    if items_per_second >= 10:
        return f"{items_per_second:,.0f} items/s"
    return f"{items_per_second:.1f} items/s"


@register.filter
def pretty_json(value: Any) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    return json.dumps(value, indent=2, sort_keys=True, default=repr, ensure_ascii=False)


@register.filter
def get_item(mapping: dict, key: Any) -> Any:
    if not mapping:
        return None
    return mapping.get(key, mapping.get(str(key)))


@register.filter
def percent_of(done: int | None, planned: int | None) -> float:
    """done as a percentage of planned, for a <progress> bar (0 when nothing is planned)."""
    if not planned:
        return 0.0
    return round(min(100.0, 100.0 * (done or 0) / planned), 1)


@register.filter
def as_values(value: Any) -> list[str]:
    """A bound field's value as the strings hidden inputs carry (none for an unticked box)."""
    if value is None or value is False or value == "":
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


@register.filter
def handed_back_reason(last_error: str) -> str:
    """The engine's hand-back note ("Worker h:1 shut down at ...; queued to resume from its
    checkpoints") read as the rest of "Waiting for a worker: ..."."""
    text = (last_error or "").strip().rstrip(".")
    if text.startswith("Worker "):
        text = "worker " + text[len("Worker ") :]
    return text.replace("; queued to resume", ", will resume")


# The launch form's words for RestorationConfig's fields, so "Configuration used" reads
# like the form that set it.
CONFIG_LABELS = {
    "workers": "Workers",
    "rate_limit_per_second": "API calls per second",
    "rate_limit_per_minute": "API calls per minute",
    "checkpoint_interval": "Checkpoint every (items)",
    "max_retries": "Retries of a transient failure",
    "dry_run": "Dry run",
    "skip_if_modified": "Skip objects changed in the destination",
    "disable_schedules": "Scheduled plans and alerts disabled",
    "include_deleted": "Also objects deleted before the backup",
    "keep_extra": "Keep extra tiles, filters and board items",
    "content_types": "Content types",
    "content_ids": "Content ids",
    "date_range": "Changed between",
}


@register.filter
def config_items(config: dict | None, kind: str = "") -> list[tuple[str, str]]:
    """(label, value) of a session's RestorationConfig in words: yes/no, "all" for an empty
    selection, type names for type numbers; the instances are shown elsewhere, and so is
    what a dead-letter retry (`kind` "dlq_retry") retried instead of its empty selection."""
    rows = []
    for name, value in (config or {}).items():
        if name in ("destination_instance", "source_instance"):
            continue
        if kind == "dlq_retry" and name in ("content_types", "content_ids", "date_range"):
            continue
        if isinstance(value, bool):
            shown = "yes" if value else "no"
        elif value is None:
            shown = {
                "content_types": "all",
                "content_ids": "all",
                "date_range": "any time",
                "disable_schedules": "when restoring into another instance",
            }.get(name, "—")
        elif name == "content_types" and isinstance(value, list):
            shown = ", ".join(content_type_label(v) for v in value)
        elif name == "date_range" and isinstance(value, list | tuple) and len(value) == 2:
            shown = f"{value[0]} – {value[1]}"
        elif isinstance(value, list | tuple):
            shown = ", ".join(str(v) for v in value)
        else:
            shown = str(value)
        rows.append((CONFIG_LABELS.get(name, name.replace("_", " ").capitalize()), shown))
    return rows
