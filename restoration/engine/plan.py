"""Which backup rows a session restores, in what order, streamed without their blobs.

Types go in DEPENDENCY_ORDER; inside a type the order is stable (content_id, and for
folders parent before child), because checkpoints record plan positions. Blobs are
loaded in small batches only when their items are about to be processed.

A point-in-time restore (config.as_of) selects from the history instead: each
object's version in force at that moment (restoration/versions.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from restoration.config import RestorationConfig
from restoration.content_types import DEPENDENCY_ORDER, ContentType
from restoration.models import (
    BlobDecodeError,
    ContentItem,
    ContentItemQuerySet,
    DeadLetterItem,
    decode_blob,
)
from restoration.versions import ContentVersion, version_blobs

PAGE = 2000

SKIPPED_TYPES = {
    ContentType.EXPLORE: "Explores are defined in LookML and cannot be written through the API",
}


@dataclass(frozen=True)
class PlanEntry:
    """One item to restore: its position in the plan, and where its blob lives."""

    offset: int
    content_type: int
    content_id: str
    name: str
    updated_at: datetime | None
    row_id: int | None = None  # content_items row
    blob_hash: str | None = None  # point in time: the version's content address
    dead_letter_id: int | None = None  # dead-letter retry: blob from the dead letter
    level: int = 0  # folders: depth under the restored parents (a barrier between levels)


class Plan:
    """The rows a RestorationConfig selects, type by type."""

    def __init__(self, config: RestorationConfig, dead_letter_ids: list[int] | None = None):
        self.config = config
        self.dead_letter_ids = dead_letter_ids
        self._folder_order: list[tuple[str, int]] | None = None

    # -- selection -----------------------------------------------------------
    @property
    def blob_key(self) -> str:
        """How an entry finds its blob: its content_items row, or its version's hash."""
        return "row_id" if self.config.as_of is None else "blob_hash"

    def rows(self, content_type: int) -> ContentItemQuerySet | Any:
        qs: Any
        if self.config.as_of is not None:
            qs = ContentVersion.objects.as_of(self.config.as_of).filter(content_type=content_type)
            if not self.config.include_deleted:
                qs = qs.filter(deleted=False)
        else:
            qs = ContentItem.objects.of_type(content_type)
            if not self.config.include_deleted:
                qs = qs.active()
        if self.config.content_ids:
            qs = qs.filter(content_id__in=self.config.content_ids)
        if self.config.date_range:
            start, end = self.config.date_range
            qs = qs.filter(updated_at__gte=start, updated_at__lte=end)
        return qs

    def requested_types(self) -> list[int]:
        wanted = self.config.content_types or [int(t) for t in ContentType]
        return [int(t) for t in DEPENDENCY_ORDER if int(t) in wanted]

    def skipped_types(self) -> dict[int, str]:
        wanted = self.config.content_types or [int(t) for t in ContentType]
        return {int(t): reason for t, reason in SKIPPED_TYPES.items() if int(t) in wanted}

    def types(self) -> list[int]:
        if self.dead_letter_ids is not None:
            present = set(
                DeadLetterItem.objects.filter(pk__in=self.dead_letter_ids).values_list(
                    "content_type", flat=True
                )
            )
            return [int(t) for t in DEPENDENCY_ORDER if int(t) in present]
        return self.requested_types()

    def count(self, content_type: int) -> int:
        if self.dead_letter_ids is not None:
            return DeadLetterItem.objects.filter(
                pk__in=self.dead_letter_ids, content_type=content_type
            ).count()
        return self.rows(content_type).count()

    def per_type(self) -> dict[int, int]:
        return {t: self.count(t) for t in self.types()}

    def unknown_ids(self) -> list[str]:
        """Ids asked for by the filter that the backup does not hold (in the chosen types)."""
        if not self.config.content_ids:
            return []
        found: set[str] = set()
        for t in self.types():
            found.update(self.rows(t).values_list("content_id", flat=True))
        return [i for i in self.config.content_ids if i not in found]

    # -- streaming -------------------------------------------------------------
    def entries(self, content_type: int) -> Iterator[PlanEntry]:
        if self.dead_letter_ids is not None:
            yield from self._dead_letter_entries(content_type)
        elif content_type == ContentType.FOLDER:
            yield from self._folder_entries()
        else:
            yield from self._paged_entries(content_type)

    def _paged_entries(self, content_type: int) -> Iterator[PlanEntry]:
        """Keyset pages, each read to its end: no cursor stays open between pages. (On
        SQLite an open read pins an old snapshot, and the same connection then cannot
        start the checkpoint's write transaction: "database is locked".)"""
        qs = self.rows(content_type).order_by("content_id")
        key = self.blob_key
        fields = (key, "content_id", "name", "updated_at")
        offset, last = 0, None
        while True:
            page = qs if last is None else qs.filter(content_id__gt=last)
            rows = list(page.values_list(*fields)[:PAGE])
            for blob_at, cid, name, updated in rows:
                yield PlanEntry(offset, content_type, cid, name or "", updated, **{key: blob_at})
                offset += 1
            if len(rows) < PAGE:
                return
            last = rows[-1][1]

    def _dead_letter_entries(self, content_type: int) -> Iterator[PlanEntry]:
        qs = DeadLetterItem.objects.filter(
            pk__in=self.dead_letter_ids, content_type=content_type
        ).order_by("content_id", "id")
        for offset, (pk, cid) in enumerate(qs.values_list("id", "content_id")):
            yield PlanEntry(offset, content_type, cid, "", None, dead_letter_id=pk)

    def _folder_entries(self) -> Iterator[PlanEntry]:
        """Folders by depth, then id: a child is never started before its parent is done."""
        key = self.blob_key
        if key == "row_id":
            rows = list(
                self.rows(ContentType.FOLDER).values_list(
                    "row_id", "content_id", "name", "updated_at", "content_data"
                )
            )
        else:
            found = list(
                self.rows(ContentType.FOLDER).values_list(
                    "blob_hash", "content_id", "name", "updated_at"
                )
            )
            blobs = version_blobs((ContentType.FOLDER, cid, h) for h, cid, _, _ in found)
            rows = [(h, c, n, u, blobs.get((ContentType.FOLDER, c, h))) for h, c, n, u in found]
        parent: dict[str, str | None] = {}
        for _row_id, cid, _name, _updated, blob in rows:
            try:
                parent[cid] = _str_or_none(decode_blob(blob).get("parent_id"))
            except BlobDecodeError:
                parent[cid] = None  # fails on its own turn, with the decode message

        def depth(cid: str) -> int:
            seen: set[str] = set()
            level = 0
            while (p := parent.get(cid)) is not None and p in parent and p not in seen:
                seen.add(cid)
                cid = p
                level += 1
            return level

        ordered = sorted(
            ((depth(cid), cid, row_id, name, updated) for row_id, cid, name, updated, _ in rows),
            key=lambda r: (r[0], r[1]),
        )
        for offset, (level, cid, blob_at, name, updated) in enumerate(ordered):
            yield PlanEntry(
                offset, ContentType.FOLDER, cid, name or "", updated, level=level, **{key: blob_at}
            )


def load_blobs(entries: list[PlanEntry]) -> dict[int, Any]:
    """Blob bytes for a batch of entries, keyed by offset, in one query per source table."""
    rows = [e.row_id for e in entries if e.row_id is not None]
    letters = [e.dead_letter_id for e in entries if e.dead_letter_id is not None]
    by_row = dict(ContentItem.objects.filter(row_id__in=rows).values_list("row_id", "content_data"))
    by_letter = dict(
        DeadLetterItem.objects.filter(pk__in=letters).values_list("id", "content_data")
    )
    by_version = version_blobs(
        (e.content_type, e.content_id, e.blob_hash) for e in entries if e.blob_hash is not None
    )
    out: dict[int, Any] = {}
    for e in entries:
        if e.row_id is not None:
            out[e.offset] = by_row.get(e.row_id)
        elif e.blob_hash is not None:
            out[e.offset] = by_version.get((e.content_type, e.content_id, e.blob_hash))
        else:
            out[e.offset] = by_letter.get(e.dead_letter_id)
    return out


def _str_or_none(value: Any) -> str | None:
    return None if value in (None, "") else str(value)
