"""Recording the history while a backup runs: which objects changed (by content hash),
the new versions, the deletions, and the bytes of versions they supersede.

Both ways into the backup use it: an extraction (`BackupWriter`) and `import_backup`.
The recorder is called before `content_items` is written, in the same transaction, so
the bytes of a version about to be superseded are still in its row when they are kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from django.db import models, transaction
from django.utils import timezone

from restoration.models import IN_BATCH, ContentItem, RestorationSession
from restoration.versions import (
    BackupRun,
    BackupRunKind,
    BackupRunStatus,
    ContentBlob,
    ContentVersion,
    blob_hash,
)

logger = logging.getLogger(__name__)


@dataclass
class Observation:
    """One object as a backup run found it."""

    content_id: str
    blob: bytes
    deleted: bool = False
    name: str = ""
    updated_at: datetime | None = None
    changed_by_id: str | None = None
    folder_id: str | None = None


@dataclass
class Current:
    pk: int
    hash: str
    deleted: bool
    valid_from: datetime


def last_updater(data: dict[str, Any]) -> str | None:
    value = data.get("last_updater_id")
    return None if value in (None, "") else str(value)


class VersionRecorder:
    """Writes the versions one backup run observes (one thread at a time)."""

    def __init__(self, run: BackupRun) -> None:
        self.run = run
        self.taken_at = run.taken_at

    def _current(self, content_type: int, ids: list[str]) -> dict[str, Current]:
        found: dict[str, Current] = {}
        for start in range(0, len(ids), IN_BATCH):
            rows = (
                ContentVersion.objects.current()
                .filter(content_type=content_type, content_id__in=ids[start : start + IN_BATCH])
                .values_list("content_id", "pk", "blob_hash", "deleted", "valid_from")
            )
            for content_id, pk, h, deleted, valid_from in rows:
                found[content_id] = Current(pk, h, deleted, valid_from)
        return found

    def observe(self, content_type: int, observations: list[Observation]) -> int:
        """Record a new version for each observation whose content or deletion differs from
        the object's latest version; returns how many versions were added."""
        if not observations:
            return 0
        current = self._current(content_type, [o.content_id for o in observations])
        added: list[ContentVersion] = []
        superseded: list[int] = []
        replaced: list[int] = []
        keep_bytes: dict[str, str] = {}  # hash of a superseded version -> its object's id
        for o in observations:
            h = blob_hash(o.blob)
            cur = current.get(o.content_id)
            if cur is not None:
                if cur.hash == h and cur.deleted == o.deleted:
                    continue
                if cur.valid_from > self.taken_at:
                    continue  # a later run has already recorded a newer reading
                if cur.valid_from == self.taken_at:
                    replaced.append(cur.pk)  # read twice at the same moment: the last read wins
                else:
                    superseded.append(cur.pk)
                    if cur.hash != h:
                        keep_bytes[cur.hash] = o.content_id
            added.append(
                ContentVersion(
                    content_type=content_type,
                    content_id=o.content_id,
                    run=self.run,
                    valid_from=self.taken_at,
                    deleted=o.deleted,
                    blob_hash=h,
                    content_size=len(o.blob),
                    name=o.name or "",
                    updated_at=o.updated_at,
                    changed_by_id=o.changed_by_id,
                    folder_id=o.folder_id,
                )
            )
        with transaction.atomic():
            self._keep(content_type, keep_bytes)
            if replaced:
                ContentVersion.objects.filter(pk__in=replaced).delete()
            for start in range(0, len(superseded), IN_BATCH):
                ContentVersion.objects.filter(pk__in=superseded[start : start + IN_BATCH]).update(
                    valid_to=self.taken_at
                )
            ContentVersion.objects.bulk_create(added)
        return len(added)

    def observe_gone(self, content_type: int, content_ids: list[str]) -> int:
        """Objects found gone from Looker: their latest version ends, and a deletion
        version (keeping the last content) begins."""
        ids = list(content_ids)
        if not ids:
            return 0
        current = self._current(content_type, ids)
        live = [c.pk for c in current.values() if not c.deleted and c.valid_from < self.taken_at]
        if not live:
            return 0
        added = []
        with transaction.atomic():
            for start in range(0, len(live), IN_BATCH):
                chunk = live[start : start + IN_BATCH]
                for v in ContentVersion.objects.filter(pk__in=chunk):
                    v.pk = None
                    v.run = self.run
                    v.valid_from = self.taken_at
                    v.valid_to = None
                    v.deleted = True
                    added.append(v)
                ContentVersion.objects.filter(pk__in=chunk).update(valid_to=self.taken_at)
            ContentVersion.objects.bulk_create(added)
        return len(added)

    def _keep(self, content_type: int, wanted: dict[str, str]) -> None:
        """Copy the bytes of superseded versions from content_items into content_blobs."""
        if not wanted:
            return
        have = set(ContentBlob.objects.filter(hash__in=list(wanted)).values_list("hash", flat=True))
        by_id = {cid: h for h, cid in wanted.items() if h not in have}
        if not by_id:
            return
        blobs = []
        rows = ContentItem.objects.filter(
            content_type=content_type, content_id__in=list(by_id)
        ).values_list("content_id", "content_data")
        for content_id, data in rows:
            data = bytes(data)
            if blob_hash(data) != by_id[content_id]:
                # content_items was written without the history (an old import, by hand):
                # that version's bytes are gone; the history still lists it.
                logger.warning(
                    "Lost the bytes of an earlier version of %s %s", content_type, content_id
                )
                continue
            blobs.append(ContentBlob.of(data))
        ContentBlob.objects.bulk_create(blobs, ignore_conflicts=True)
        added = sum(b.stored_size for b in blobs)
        if added:
            BackupRun.objects.filter(pk=self.run.pk).update(
                bytes_added=models.F("bytes_added") + added
            )


def observation_from_item(item: ContentItem) -> Observation:
    """An imported row as an observation (its deleted_at says whether Looker still had it)."""
    blob = bytes(item.content_data)
    return Observation(
        content_id=item.content_id,
        blob=blob,
        deleted=item.deleted_at is not None,
        name=item.name,
        updated_at=item.updated_at,
        changed_by_id=changed_by_in(blob),
        folder_id=item.folder_id,
    )


class LastUpdater(msgspec.Struct):
    last_updater_id: Any = None


# Reads one key of a blob and skips the rest without building it.
LAST_UPDATER = msgspec.msgpack.Decoder(LastUpdater)


def changed_by_in(blob: bytes) -> str | None:
    try:
        value = LAST_UPDATER.decode(blob).last_updater_id
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return None if value in (None, "") else str(value)


def start_extraction_run(session: RestorationSession, *, incremental: bool) -> BackupRun:
    """The run an extraction session records into; an earlier attempt of the same session
    that never finished (reaped, handed back) is closed as failed first."""
    now = timezone.now()
    BackupRun.objects.filter(session=session, status=BackupRunStatus.RUNNING).update(
        status=BackupRunStatus.FAILED,
        finished_at=now,
        last_error="Interrupted; the resumed backup is a new run",
    )
    return BackupRun.objects.create(
        kind=BackupRunKind.EXTRACT,
        taken_at=now,
        started_at=now,
        instance=session.source_instance or "",
        section=session.source_section or session.destination_section,
        session=session,
        incremental=incremental,
        scheduled=bool((session.metadata or {}).get("scheduled")),
    )


class OutOfOrderImport(ValueError):
    """An imported file older than the newest backup in the history."""


def start_import_run(path: str, taken_at: datetime) -> BackupRun:
    """The run an import records into; a file older than the newest backup would rewrite
    history backwards, so it is refused with what to do instead."""
    newest = BackupRun.objects.completed().order_by("-taken_at").first()
    if newest is not None and taken_at < newest.taken_at:
        raise OutOfOrderImport(
            f"{path} was taken at {taken_at:%Y-%m-%d %H:%M:%S} UTC, before the newest backup "
            f"in the history ({newest.label}). Import lookervault files oldest first, "
            "or give --taken-at."
        )
    return BackupRun.objects.create(
        kind=BackupRunKind.IMPORT, taken_at=taken_at, source_file=str(path)
    )
