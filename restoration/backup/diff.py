"""What changed between two versions of one Looker object: its fields, and for
dashboards the tiles and filters added, removed and changed (matched by id).

Looker's bookkeeping (updated_at, who updated it, view counts, the `can` map) changes
with every edit; it is shown beside the diff, never counted as a change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from restoration.content_types import ContentType

BOOKKEEPING = frozenset(
    {
        "updated_at",
        "last_updater_id",
        "last_updater_name",
        "last_viewed_at",
        "last_accessed_at",
        "view_count",
        "favorite_count",
        "can",
    }
)
# A dashboard's layouts repeat facts of its tiles and of itself (Looker fills them in):
# a renamed tile shows once, as a tile change, not again as a layout change.
LAYOUT_ECHOES = frozenset({"element_title", "element_title_hidden", "vis_type", "dashboard_title"})
# Dashboard parts shown one by one instead of as one long list.
PARTS = {
    "dashboard_elements": ("tile", ("title", "title_text", "type")),
    "dashboard_filters": ("filter", ("title", "name")),
}


@dataclass
class FieldChange:
    path: str
    before: Any
    after: Any

    @property
    def before_text(self) -> str:
        return shown(self.before)

    @property
    def after_text(self) -> str:
        return shown(self.after)


@dataclass
class PartChange:
    """A tile or filter added, removed or changed."""

    kind: str  # "tile" or "filter"
    part_id: str
    label: str
    change: str  # "added", "removed" or "changed"
    fields: list[FieldChange] = field(default_factory=list)


@dataclass
class VersionDiff:
    fields: list[FieldChange]
    parts: list[PartChange]

    @property
    def count(self) -> int:
        return len(self.fields) + len(self.parts)

    def parts_of(self, kind: str) -> list[PartChange]:
        return [p for p in self.parts if p.kind == kind]


def shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def field_changes(
    before: dict[str, Any], after: dict[str, Any], prefix: str = ""
) -> list[FieldChange]:
    """Differing keys; nested maps are followed (`query.fields`), lists compared whole."""
    changes = []
    for key in sorted(set(before) | set(after)):
        if key in BOOKKEEPING:
            continue
        a, b = before.get(key), after.get(key)
        if a == b:
            continue
        path = f"{prefix}{key}"
        if isinstance(a, dict) and isinstance(b, dict):
            changes.extend(field_changes(a, b, f"{path}."))
        else:
            changes.append(FieldChange(path, a, b))
    return changes


def _label(part: dict[str, Any], names: tuple[str, ...]) -> str:
    for name in names:
        if part.get(name):
            return str(part[name])
    return ""


def part_changes(kind: str, names: tuple[str, ...], before: Any, after: Any) -> list[PartChange]:
    def by_id(parts: Any) -> dict[str, dict[str, Any]]:
        return {str(p.get("id")): p for p in parts or [] if isinstance(p, dict)}

    old, new = by_id(before), by_id(after)
    changes = []
    for part_id in sorted(set(old) | set(new), key=lambda i: (len(i), i)):
        a, b = old.get(part_id), new.get(part_id)
        if a is None:
            changes.append(PartChange(kind, part_id, _label(b, names), "added"))
        elif b is None:
            changes.append(PartChange(kind, part_id, _label(a, names), "removed"))
        elif fields := field_changes(a, b):
            changes.append(PartChange(kind, part_id, _label(b, names), "changed", fields))
    return changes


def diff_versions(content_type: int, before: dict[str, Any], after: dict[str, Any]) -> VersionDiff:
    """The changes from `before` to `after` (two decoded versions of one object)."""
    if content_type != ContentType.DASHBOARD:
        return VersionDiff(field_changes(before, after), [])
    parts: list[PartChange] = []
    for key, (kind, names) in PARTS.items():
        parts.extend(part_changes(kind, names, before.get(key), after.get(key)))
    plain = {
        k: without_echoes(v) if k == "dashboard_layouts" else v
        for k, v in before.items()
        if k not in PARTS
    }
    plain_after = {
        k: without_echoes(v) if k == "dashboard_layouts" else v
        for k, v in after.items()
        if k not in PARTS
    }
    return VersionDiff(field_changes(plain, plain_after), parts)


def without_echoes(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_echoes(v) for k, v in value.items() if k not in LAYOUT_ECHOES}
    if isinstance(value, list):
        return [without_echoes(v) for v in value]
    return value
