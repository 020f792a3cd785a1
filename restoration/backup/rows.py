"""From a Looker object to its content_items row: the searchable columns and the blob,
and the writes that keep the backup in step with Looker (created, rewritten only when
changed, soft-deleted when gone)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_datetime

from restoration.backup.history import Observation, VersionRecorder, last_updater
from restoration.content_types import ContentType
from restoration.models import IN_BATCH, ContentItem, decode_blob, encode_blob

TITLED = {ContentType.DASHBOARD, ContentType.LOOK, ContentType.BOARD}
OWNED_BY_USER_ID = {
    ContentType.DASHBOARD,
    ContentType.LOOK,
    ContentType.BOARD,
    ContentType.SCHEDULED_PLAN,
}


def to_datetime(value: Any) -> datetime | None:
    """A Looker timestamp (datetime or ISO text) as an aware UTC datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        text = str(value)
        parsed = parse_datetime(text)
        if parsed is None:
            try:
                parsed = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")
            except ValueError:
                return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def display_name(content_type: int, data: dict[str, Any]) -> str:
    if content_type in TITLED:
        return str(data.get("title") or "")
    if content_type == ContentType.USER:
        full = " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)
        return str(data.get("display_name") or full or user_email(data) or "")
    if content_type == ContentType.ALERT:
        field = (data.get("field") or {}).get("title") or (data.get("field") or {}).get("name")
        return str(data.get("custom_title") or field or "")
    if content_type == ContentType.EXPLORE:
        model, name = data.get("model_name"), data.get("name")
        return f"{model}::{name}" if model and name else str(name or "")
    return str(data.get("name") or "")


def user_email(data: dict[str, Any]) -> str | None:
    creds = data.get("credentials_email") or {}
    return data.get("email") or creds.get("email") or None


def owner_id(content_type: int, data: dict[str, Any]) -> str | None:
    if content_type in OWNED_BY_USER_ID:
        value = data.get("user_id")
    elif content_type == ContentType.FOLDER:
        value = data.get("creator_id")
    elif content_type == ContentType.ALERT:
        value = data.get("owner_id")
    else:
        value = None
    return None if value in (None, "") else str(value)


def folder_id(content_type: int, data: dict[str, Any]) -> str | None:
    """The folder an object lives in; a folder lives in its parent."""
    if content_type in (ContentType.DASHBOARD, ContentType.LOOK):
        value = data.get("folder_id")
    elif content_type == ContentType.FOLDER:
        value = data.get("parent_id")
    else:
        value = None
    return None if value in (None, "") else str(value)


@dataclass
class ExtractedItem:
    """One object read from Looker, ready to store."""

    content_type: int
    content_id: str
    data: dict[str, Any]
    blob: bytes = b""

    def __post_init__(self) -> None:
        if not self.blob:
            self.blob = encode_blob(self.data)

    def observation(self) -> Observation:
        return Observation(
            content_id=self.content_id,
            blob=self.blob,
            name=display_name(self.content_type, self.data),
            updated_at=to_datetime(self.data.get("updated_at")),
            changed_by_id=last_updater(self.data),
            folder_id=folder_id(self.content_type, self.data),
        )

    def columns(self, owner_emails: OwnerEmails, synced_at: datetime) -> dict[str, Any]:
        owner = owner_id(self.content_type, self.data)
        return {
            "name": display_name(self.content_type, self.data),
            "owner_id": owner,
            "owner_email": owner_emails.get(owner),
            "created_at": to_datetime(self.data.get("created_at")),
            "updated_at": to_datetime(self.data.get("updated_at")),
            "folder_id": folder_id(self.content_type, self.data),
            "content_size": len(self.blob),
            "content_data": self.blob,
            "synced_at": synced_at,
            "deleted_at": None,
        }


class OwnerEmails:
    """User id -> email, from this run's users or, failing that, from the backup."""

    def __init__(self) -> None:
        self._emails: dict[str, str | None] = {}
        self._loaded = False

    def learn(self, user: dict[str, Any]) -> None:
        if user.get("id") is not None:
            self._emails[str(user["id"])] = user_email(user)

    def get(self, user_id: str | None) -> str | None:
        if not user_id:
            return None
        if user_id not in self._emails and not self._loaded:
            self._load()
        return self._emails.get(user_id)

    def _load(self) -> None:
        self._loaded = True
        rows = ContentItem.objects.filter(content_type=ContentType.USER).values_list(
            "content_id", "content_data"
        )
        for content_id, blob in rows.iterator(chunk_size=500):
            if content_id in self._emails:
                continue
            try:
                self._emails[content_id] = user_email(decode_blob(blob))
            except ValueError:
                self._emails[content_id] = None


@dataclass
class KnownRow:
    row_id: int
    updated_at: datetime | None
    deleted: bool


@dataclass
class WriteCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    undeleted: int = 0
    touched_ids: list[int] = field(default_factory=list)


class BackupWriter:
    """Writes one content type's objects into content_items (on one thread only), and
    through its recorder the versions of those that changed."""

    def __init__(
        self,
        content_type: int,
        owner_emails: OwnerEmails,
        synced_at: datetime,
        recorder: VersionRecorder | None = None,
    ) -> None:
        self.content_type = content_type
        self.recorder = recorder
        self.owner_emails = owner_emails
        self.synced_at = synced_at
        self.known: dict[str, KnownRow] = {
            cid: KnownRow(row_id, updated, deleted is not None)
            for cid, row_id, updated, deleted in ContentItem.objects.filter(
                content_type=content_type
            ).values_list("content_id", "row_id", "updated_at", "deleted_at")
        }

    def is_unchanged(self, content_id: str, updated_at: Any) -> bool:
        """Incremental check: the backup already holds this version of the object."""
        row = self.known.get(content_id)
        when = to_datetime(updated_at)
        return row is not None and not row.deleted and when is not None and row.updated_at == when

    def touch(self, content_ids: list[str]) -> None:
        """Objects seen unchanged: only synced_at moves."""
        row_ids = [self.known[c].row_id for c in content_ids if c in self.known]
        for start in range(0, len(row_ids), IN_BATCH):
            ContentItem.objects.filter(row_id__in=row_ids[start : start + IN_BATCH]).update(
                synced_at=self.synced_at
            )

    def write(self, items: list[ExtractedItem]) -> WriteCounts:
        """Store a batch: new rows created, changed rows rewritten, identical rows touched."""
        counts = WriteCounts()
        if not items:
            return counts
        existing_ids = [
            self.known[i.content_id].row_id for i in items if i.content_id in self.known
        ]
        stored: dict[int, bytes] = {}
        for start in range(0, len(existing_ids), IN_BATCH):
            stored.update(
                (row_id, bytes(blob))
                for row_id, blob in ContentItem.objects.filter(
                    row_id__in=existing_ids[start : start + IN_BATCH]
                ).values_list("row_id", "content_data")
            )
        new_rows: list[ContentItem] = []
        unchanged: list[int] = []
        with transaction.atomic():
            if self.recorder is not None:
                self.recorder.observe(
                    self.content_type,
                    [
                        item.observation()
                        for item in items
                        if (row := self.known.get(item.content_id)) is None
                        or row.deleted
                        or stored.get(row.row_id) != item.blob
                    ],
                )
            for item in items:
                row = self.known.get(item.content_id)
                if item.content_type == ContentType.USER:
                    self.owner_emails.learn(item.data)
                if row is None:
                    new_rows.append(
                        ContentItem(
                            content_id=item.content_id,
                            content_type=item.content_type,
                            **item.columns(self.owner_emails, self.synced_at),
                        )
                    )
                    continue
                if stored.get(row.row_id) == item.blob and not row.deleted:
                    unchanged.append(row.row_id)
                    continue
                ContentItem.objects.filter(row_id=row.row_id).update(
                    **item.columns(self.owner_emails, self.synced_at)
                )
                counts.updated += 1
                if row.deleted:
                    counts.undeleted += 1
                row.deleted = False
                row.updated_at = to_datetime(item.data.get("updated_at"))
            if new_rows:
                # update_conflicts: a concurrent extraction of the same instance may have
                # created the row since we looked; the newer read wins.
                ContentItem.objects.bulk_create(
                    new_rows,
                    update_conflicts=True,
                    unique_fields=["content_id", "content_type"],
                    update_fields=[
                        "name",
                        "owner_id",
                        "owner_email",
                        "created_at",
                        "updated_at",
                        "folder_id",
                        "content_size",
                        "content_data",
                        "synced_at",
                        "deleted_at",
                    ],
                )
                counts.created += len(new_rows)
                for row in ContentItem.objects.filter(
                    content_type=self.content_type,
                    content_id__in=[r.content_id for r in new_rows],
                ).values_list("content_id", "row_id", "updated_at"):
                    self.known[row[0]] = KnownRow(row[1], row[2], False)
            if unchanged:
                ContentItem.objects.filter(row_id__in=unchanged).update(synced_at=self.synced_at)
                counts.unchanged += len(unchanged)
        return counts

    def mark_gone(self, content_ids: set[str] | list[str], when: datetime) -> int:
        """Soft-delete objects Looker no longer has; returns how many rows changed."""
        row_ids = [
            self.known[c].row_id
            for c in content_ids
            if c in self.known and not self.known[c].deleted
        ]
        changed = 0
        if self.recorder is not None:
            self.recorder.observe_gone(
                self.content_type,
                [c for c in content_ids if c in self.known and not self.known[c].deleted],
            )
        for start in range(0, len(row_ids), IN_BATCH):
            changed += ContentItem.objects.filter(
                row_id__in=row_ids[start : start + IN_BATCH], deleted_at__isnull=True
            ).update(deleted_at=when, synced_at=when)
        for c in content_ids:
            if c in self.known:
                self.known[c].deleted = True
        return changed

    def missing_from(self, seen: set[str]) -> set[str]:
        """Objects in the backup (not yet deleted) that the complete listing no longer shows."""
        return {c for c, row in self.known.items() if not row.deleted and c not in seen}
