"""The core of restoring one backup item into the destination: find where it goes
(`locate`), translate what it refers to (`ref`), create or update it (`upsert`), and say
what happened (`Outcome`). What differs by content type (payload, sub-resources,
listing, natural key) lives in `restoration.engine.content`, one module per type.

Where an item goes: its ID mapping; else, restoring into the instance it came from,
the same id (undeleting a soft-deleted object); else the destination object with the
same natural key; else a new object, whose mapping is saved right after the create.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from restoration.config import RestorationConfig
from restoration.content_types import ContentType
from restoration.engine.api import DestinationAPI, ItemFailed, MissingReference, as_dict
from restoration.engine.content import kind_of
from restoration.engine.content.base import (
    MODIFIED_IN_DESTINATION,
    RESTORE_FORMAT,
    UNCHANGED,
    UNCHANGED_SINCE_RESTORE,
    Outcome,
    diff_fields,
    text_id,
    when,
    write_model,
)
from restoration.engine.destination import DestinationState, Mappings
from restoration.engine.plan import PlanEntry
from restoration.models import BlobDecodeError, ContentItem, decode_blob
from restoration.versions import ContentVersion, missing_version, version_blobs

logger = logging.getLogger(__name__)

CT = ContentType

__all__ = ["Outcome", "Restorer", "SourceIndex"]


# Keys of a backup item that name another restored object, at any depth.
REFERENCE_KEYS: dict[str, int] = {
    "folder_id": CT.FOLDER,
    "parent_id": CT.FOLDER,
    "space_id": CT.FOLDER,
    "home_folder_id": CT.FOLDER,
    "user_id": CT.USER,
    "owner_id": CT.USER,
    "creator_id": CT.USER,
    "follower_ids": CT.USER,
    "user_ids": CT.USER,
    "group_id": CT.GROUP,
    "group_ids": CT.GROUP,
    "role_ids": CT.ROLE,
    "permission_set_id": CT.PERMISSION_SET,
    "model_set_id": CT.MODEL_SET,
    "look_id": CT.LOOK,
    "dashboard_id": CT.DASHBOARD,
}


def references(data: Any) -> Iterator[tuple[int, str]]:
    """(type, source id) of every object a backup item names (generously: a key that
    only looks like a reference costs a full compare at most)."""
    if isinstance(data, dict):
        for key, value in data.items():
            content_type = REFERENCE_KEYS.get(key)
            if content_type is not None:
                for one in value if isinstance(value, list) else [value]:
                    if isinstance(one, str | int) and one != "":
                        yield content_type, str(one)
            elif isinstance(value, dict | list):
                yield from references(value)
    elif isinstance(data, list):
        for value in data:
            yield from references(value)


class SourceIndex:
    """Facts about the backup that items of other types need (memberships, names).

    In a point-in-time restore (`as_of`) they come from the versions in force then, like
    the items themselves (restoration/versions.py): a folder's name, a group's members, a
    user's home folder as that moment's backup held them, not as the latest one does."""

    def __init__(self, as_of: datetime | None = None) -> None:
        self.as_of = as_of
        self._lock = threading.Lock()
        self._users: dict[str, dict[str, list[str]]] | None = None
        self._names: dict[tuple[int, str], str] = {}

    def _versions(self) -> Any:
        return ContentVersion.objects.as_of(self.as_of)

    def _user_blobs(self) -> Iterator[tuple[str, Any]]:
        """(user id, blob) of every user the backup holds (as of the point in time)."""
        if self.as_of is None:
            rows = ContentItem.objects.of_type(CT.USER).active()
            yield from rows.values_list("content_id", "content_data").iterator(chunk_size=1000)
            return
        found = self._versions().filter(content_type=CT.USER, deleted=False)
        keys = [(int(CT.USER), cid, h) for cid, h in found.values_list("content_id", "blob_hash")]
        for start in range(0, len(keys), 1000):
            batch = keys[start : start + 1000]
            blobs = version_blobs(batch)
            for key in batch:
                if key in blobs:
                    yield key[1], blobs[key]

    def users(self) -> dict[str, dict[str, list[str]]]:
        """group id / role id / home folder id -> source user ids, from the backup's users."""
        if self._users is None:
            with self._lock:
                if self._users is None:
                    index: dict[str, dict[str, list[str]]] = {"group": {}, "role": {}, "home": {}}
                    for cid, blob in self._user_blobs():
                        try:
                            data = decode_blob(blob)
                        except BlobDecodeError:
                            continue
                        for gid in data.get("group_ids") or []:
                            index["group"].setdefault(str(gid), []).append(cid)
                        for rid in data.get("role_ids") or []:
                            index["role"].setdefault(str(rid), []).append(cid)
                        if data.get("home_folder_id"):
                            index["home"].setdefault(str(data["home_folder_id"]), []).append(cid)
                    self._users = index
        return self._users

    def name(self, content_type: int, content_id: str) -> str:
        key = (content_type, str(content_id))
        if key not in self._names:
            rows = (
                ContentItem.objects
                if self.as_of is None
                else self._versions().filter(deleted=False)
            )
            self._names[key] = (
                rows.filter(content_type=content_type, content_id=str(content_id))
                .values_list("name", flat=True)
                .first()
                or ""
            )
        return self._names[key]

    def in_backup(self, content_type: int, content_id: str) -> bool:
        """Is the object in the backup, and not as deleted before it was taken?"""
        if self.as_of is not None:
            return (
                self._versions().of_object(content_type, content_id).filter(deleted=False).exists()
            )
        return (
            ContentItem.objects.filter(content_type=content_type, content_id=str(content_id))
            .active()
            .exists()
        )

    def blob(self, content_type: int, content_id: str) -> dict[str, Any] | None:
        if self.as_of is not None:
            version = self._versions().of_object(content_type, content_id).first()
            raw = version.blob() if version is not None else None
            if raw is None:
                return None
            try:
                return decode_blob(raw)
            except BlobDecodeError:
                return None
        row = ContentItem.objects.filter(
            content_type=content_type, content_id=str(content_id)
        ).first()
        if row is None:
            return None
        try:
            return row.decoded()
        except BlobDecodeError:
            return None


class Restorer:
    """Restores items of any type for one session; safe to call from many threads."""

    def __init__(
        self,
        config: RestorationConfig,
        api: DestinationAPI,
        mappings: Mappings,
        state: DestinationState,
        *,
        same_instance: bool,
        db_lock: threading.RLock,
        source_section: str = "",
    ) -> None:
        self.config = config
        self.api = api
        self.mappings = mappings
        self.state = state
        self.same_instance = same_instance
        self.dry_run = config.dry_run
        self.db_lock = db_lock
        self.source = SourceIndex(config.as_of)
        self._placeholder = 0
        self._placeholder_lock = threading.Lock()
        # The source instance (a looker.ini section), read only for what a backup lacks.
        self.source_section = source_section
        self._source_api: DestinationAPI | None = None
        self._source_queries: dict[str, dict[str, Any]] = {}
        self._source_lock = threading.Lock()
        self._prefetched: dict[tuple[int, str], dict[str, Any]] = {}
        self._prefetched_lock = threading.Lock()
        # Written items whose fingerprint a bulk read takes after their type is done:
        # content type -> [(source id, destination id, source hash)].
        self._unstamped: dict[int, list[tuple[str, str, str]]] = {}
        # Items the re-run check skipped, per type: their after-type work is skipped too.
        self._unchanged: dict[int, set[str]] = {}
        # Facts derived from the listings once per session (users.members).
        self.derived: dict[str, Any] = {}
        self.derived_lock = threading.RLock()

    # -- entry point -------------------------------------------------------------
    def restore(self, entry: PlanEntry, blob: Any) -> Outcome:
        kind = kind_of(entry.content_type)
        label = f"{kind.label} {entry.content_id}"
        if blob is None and entry.blob_hash is not None and self.config.as_of is not None:
            # A point in time whose version went (retention, drift): say which and why.
            raise ItemFailed(
                missing_version(
                    entry.content_type, entry.content_id, entry.blob_hash, self.config.as_of
                ),
                error_type="VersionMissing",
            )
        try:
            data = decode_blob(blob, label=label)
        except BlobDecodeError as exc:
            raise ItemFailed(str(exc), error_type="BlobDecodeError") from exc
        if data.get("id") is None and kind.id_field == "id":
            data["id"] = entry.content_id
        source_hash = self.source_hash(data) if kind.stamp_fields else ""
        if source_hash and not self.config.verify:
            skipped = self.unchanged_since_restore(entry, data, source_hash)
            if skipped is not None:
                return skipped
        self.api.take_writes()
        try:
            outcome = kind.restore(self, entry, data)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise ItemFailed(
                f"{label} has an unexpected shape: {type(exc).__name__}: {exc}",
                error_type="UnexpectedShape",
            ) from exc
        wrote = self.api.take_writes() if not self.dry_run else 0
        if source_hash:
            self._record_restored(entry, outcome, source_hash, wrote)
        return outcome

    # -- re-runs: skip what is unchanged on both sides -----------------------------------
    def source_hash(self, data: dict[str, Any]) -> str:
        """The backup item and the options that shape what a restore makes of it."""
        shaped = {
            "item": data,
            "keep_extra": self.config.keep_extra,
            "disabled": self.config.schedules_disabled,
            "format": RESTORE_FORMAT,
        }
        text = json.dumps(shaped, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def unchanged_since_restore(
        self, entry: PlanEntry, data: dict[str, Any], source_hash: str
    ) -> Outcome | None:
        """Skipped, without a read of its own, when the backup item is the one the last
        restore wrote or verified and the destination's bulk listing fingerprints the
        object as that restore left it (IDMapping.source_hash, destination_stamp)."""
        kind = kind_of(entry.content_type)
        if not self.mappings.has_record(entry.content_type, entry.content_id):
            return None
        dest_id = self.mappings.get(entry.content_type, entry.content_id)
        if dest_id is None:
            return None
        stamp = kind.stamp(kind.listed(self, dest_id))
        if stamp is None or not self.mappings.record_matches(
            entry.content_type, entry.content_id, source_hash, stamp
        ):
            return None
        if any(self.mappings.moved(ct, sid) for ct, sid in references(data)):
            return None  # it refers to an object this session placed anew
        kind.still_restorable(self, data)
        self.take_prefetched(entry.content_type, dest_id)
        with self._prefetched_lock:
            self._unchanged.setdefault(entry.content_type, set()).add(entry.content_id)
        return Outcome("skipped", dest_id, reason=UNCHANGED_SINCE_RESTORE)

    def was_unchanged(self, content_type: int, source_id: str) -> bool:
        """Did the re-run check skip this item in this session?"""
        with self._prefetched_lock:
            return source_id in self._unchanged.get(content_type, ())

    def _record_restored(
        self, entry: PlanEntry, outcome: Outcome, source_hash: str, wrote: int
    ) -> None:
        """After an item ends equal to its backup, remember how its destination looks."""
        dest_id = outcome.destination_id
        if (
            self.dry_run
            or dest_id is None
            or outcome.status == "failed"
            or outcome.warnings  # a re-run must report them again
            or outcome.reason == MODIFIED_IN_DESTINATION
        ):
            return
        kind = kind_of(entry.content_type)
        if wrote and not kind.stamped_after_write:
            with self._prefetched_lock:
                self._unstamped.setdefault(entry.content_type, []).append(
                    (entry.content_id, dest_id, source_hash)
                )
            return
        compared = outcome.compared if not wrote else None
        stamp = kind.stamp(compared if compared is not None else kind.listed(self, dest_id))
        if stamp is not None:
            self.mappings.record_verified(entry.content_type, entry.content_id, source_hash, stamp)

    def prepare(self, content_type: int) -> None:
        """Prefetch what a type's items need, once, before the workers start on it."""
        self.state.index(content_type)
        kind_of(content_type).prepare(self)

    def prefetch(self, content_type: int, entries: list[PlanEntry]) -> None:
        """Read in bulk what the next batch of items would each read on their own. A
        failed prefetch costs nothing but the reads it would have saved."""
        try:
            kind_of(content_type).prefetch(self, entries)
        except ItemFailed as exc:
            logger.info("prefetch of %s items failed, reading each: %s", content_type, exc)

    def keep_prefetched(self, content_type: int, objects: list[dict[str, Any]]) -> None:
        with self._prefetched_lock:
            for obj in objects:
                self._prefetched[(content_type, str(obj.get("id")))] = obj

    def peek_prefetched(self, content_type: int, dest_id: str) -> dict[str, Any] | None:
        """An object the batch's prefetch read, left for the item's restore to take."""
        with self._prefetched_lock:
            return self._prefetched.get((content_type, dest_id))

    def take_prefetched(self, content_type: int, dest_id: str) -> dict[str, Any] | None:
        """An object the batch's prefetch read, once (memory stays one batch deep)."""
        with self._prefetched_lock:
            return self._prefetched.pop((content_type, dest_id), None)

    def after_type(self, content_type: int, entries: Any) -> None:
        """Work that needs every item of a type in place (groups inside groups)."""
        kind = kind_of(content_type)
        kind.after_type(self, entries)
        with self._prefetched_lock:
            unstamped = self._unstamped.pop(content_type, [])
        if unstamped and not self.dry_run:
            stamps = kind.stamps_after_type(self, [dest for _, dest, _ in unstamped])
            for sid, dest, source_hash in unstamped:
                if dest in stamps:
                    self.mappings.record_verified(content_type, sid, source_hash, stamps[dest])
        self.mappings.save_verified()

    def read_source_query(self, query_id: str) -> dict[str, Any]:
        """GET /queries/{id} on the source instance, once per query per session. Paced
        and retried by the session's caller; the client is read-only (writes blocked).
        Its login is not logged out at the end: the token expires on its own."""
        with self._source_lock:
            found = self._source_queries.get(query_id)
            if found is not None:
                return found
            if self._source_api is None:
                self._source_api = DestinationAPI(
                    self.source_section, self.api.caller, dry_run=True
                )
        query = as_dict(self._source_api.read("query", query_id)) or {}
        with self._source_lock:
            self._source_queries[query_id] = query
        return query

    # -- references ----------------------------------------------------------------
    def ref(self, content_type: int, source_id: Any, *, required: bool = True) -> str | None:
        """The destination id for a referenced source object, or MissingReference: its
        mapping; else, in the instance it came from, the same id; else the destination
        object with the natural key of its backup row (`ContentKind.match_unrestored`)."""
        sid = text_id(source_id)
        if sid is None:
            return None
        found = self.mappings.get(content_type, sid)
        if found is not None:
            return found
        index = self.state.index(content_type)
        if self.same_instance and sid in index.by_id:
            return sid
        try:
            matched = kind_of(content_type).match_unrestored(self, sid)
        except MissingReference:
            matched = None
        if matched is not None:
            self.mappings.put(content_type, sid, matched)
            return matched
        if not required:
            return None
        with self.db_lock:
            name = self.source.name(content_type, sid)
        label = kind_of(content_type).label
        if name:
            raise MissingReference(f"{label} {sid} {name!r} was not restored")
        raise MissingReference(f"{label} {sid} was not restored (it is not in the backup)")

    def _placeholder_id(self, content_type: int, sid: str) -> str:
        with self._placeholder_lock:
            self._placeholder += 1
            return f"new-{kind_of(content_type).label.replace(' ', '-')}-{self._placeholder}"

    # -- the generic upsert ----------------------------------------------------------
    def locate(self, content_type: int, sid: str, key: Any) -> tuple[str | None, bool]:
        """(destination id, soft-deleted?) of where the item goes, or (None, False)."""
        index = self.state.index(content_type)
        mapped = self.mappings.get(content_type, sid)
        if mapped is not None and (mapped in index.by_id or mapped in index.deleted):
            return mapped, mapped in index.deleted
        if mapped is not None and self.dry_run and mapped.startswith("new-"):
            return None, False
        if self.same_instance:
            if sid in index.by_id:
                return sid, False
            if sid in index.deleted:
                return sid, True
        if key is not None and key in index.by_key:
            return index.by_key[key], False
        return None, False

    def upsert(
        self,
        content_type: int,
        entry: PlanEntry,
        wanted: dict[str, Any],
        *,
        create: str,
        update: str,
        create_cls: type,
        update_cls: type,
        key: Any,
        current: dict[str, Any] | None = None,
        target: tuple[str | None, bool] | None = None,
        id_field: str = "id",
    ) -> tuple[Outcome, dict[str, Any] | None]:
        """Create or update one object; returns the outcome and the destination object."""
        sid = entry.content_id
        dest_id, deleted = target if target is not None else self.locate(content_type, sid, key)
        what = f"{kind_of(content_type).label} {sid}"
        if dest_id is None:
            if self.dry_run:
                self.mappings.put(content_type, sid, self._placeholder_id(content_type, sid))
                # The fields it would write (references already mapped), so the plan
                # says what would be created: shown as [None, value] like an update's diff.
                written = {k: [None, v] for k, v in wanted.items() if v not in (None, "", [], {})}
                return Outcome("created", reason="would create", diff=written), None
            index = self.state.index(content_type)
            self.api.take_adopted()
            obj = as_dict(
                self.api.write(
                    create,
                    body=write_model(create_cls, wanted, what),
                    key=key,
                    known=index.by_id,
                )
            )
            new_id = text_id(obj.get(id_field))
            # The same step as the create; `created`: redone after a crash, it still counts.
            self.mappings.put(content_type, sid, new_id, created=True)
            self.state.remember(content_type, obj)
            lost = "the create's answer was lost; found what it made instead of creating it again"
            return Outcome("created", new_id, notes=[lost] if self.api.take_adopted() else []), obj
        if current is None:
            current = self.state.index(content_type).by_id.get(dest_id)
        if self.config.skip_if_modified and self._modified_after_backup(current, entry):
            self.mappings.put(content_type, sid, dest_id)
            return Outcome("skipped", dest_id, reason=MODIFIED_IN_DESTINATION), current
        diff = diff_fields(wanted, current)
        if deleted:
            diff["deleted"] = [True, False]
            wanted = {**wanted, "deleted": False}
        self.mappings.put(content_type, sid, dest_id)
        if not diff:
            return Outcome("skipped", dest_id, reason=UNCHANGED), current
        if self.dry_run:
            return Outcome("updated", dest_id, diff=diff), current
        changed = {k: wanted[k] for k in diff if k in wanted}
        obj = as_dict(self.api.write(update, dest_id, body=write_model(update_cls, changed, what)))
        self.state.remember(content_type, obj)
        return Outcome("updated", dest_id, diff=diff), obj

    def _modified_after_backup(self, current: dict[str, Any] | None, entry: PlanEntry) -> bool:
        changed = when((current or {}).get("updated_at"))
        return bool(changed and entry.updated_at and changed > entry.updated_at)

    def map_only(self, content_type: int, entry: PlanEntry, dest_id: str, why: str) -> Outcome:
        self.mappings.put(content_type, entry.content_id, dest_id)
        return Outcome("skipped", dest_id, reason=why)
