"""What the destination already holds (prefetched in bulk, one type at a time, by each
type's `ContentKind.listing`) and where each source object went (the ID mappings),
shared by a session's worker threads.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from restoration.content_types import ContentType
from restoration.engine.api import DestinationAPI, as_dict
from restoration.engine.content import kind_of
from restoration.engine.content.base import text_id
from restoration.models import IDMapping, RestorationSession

PAGE = 1000
RECORDS_BATCH = 200  # re-run records written per transaction (Mappings.save_verified)

# What later items read from an object written earlier in the session: ids and natural
# keys, memberships, personal folders, content metadata, built-in flags, timestamps.
REMEMBERED_FIELDS = frozenset(
    {
        "id",
        "name",
        "title",
        "email",
        "credentials_email",
        "parent_id",
        "folder_id",
        "user_id",
        "dashboard_id",
        "look_id",
        "lookml_dashboard_id",
        "query_id",
        "deleted",
        "updated_at",
        "personal_folder_id",
        "home_folder_id",
        "group_ids",
        "role_ids",
        "content_metadata_id",
        "built_in",
        "all_access",
        "include_by_default",
        "externally_managed",
        "permission_set",
        "permission_set_id",
        "model_set_id",
        "is_personal",
        "is_shared_root",
        "is_users_root",
        "is_embed_shared_root",
        "is_embed_users_root",
        "section_order",
        "board_sections",
    }
)


def record_digest(source_hash: str, stamp: str) -> bytes:
    return hashlib.blake2b(f"{source_hash}|{stamp}".encode(), digest_size=16).digest()


@dataclass
class TypeIndex:
    """The destination's objects of one type, by id and by natural key."""

    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    by_key: dict[Any, str] = field(default_factory=dict)

    def add(self, content_type: int, obj: dict[str, Any]) -> None:
        kind = kind_of(content_type)
        oid = text_id(obj.get(kind.id_field))
        if oid is None:
            return
        if obj.get("deleted"):
            self.deleted.add(oid)
            self.by_id.pop(oid, None)
            return
        self.deleted.discard(oid)
        self.by_id[oid] = obj
        key = kind.natural_key(obj)
        if key is not None:
            self.by_key.setdefault(key, oid)


class DestinationState:
    """Lazily prefetched destination indexes; every load is a few list/search calls."""

    def __init__(self, api: DestinationAPI) -> None:
        self.api = api
        self._indexes: dict[int, TypeIndex] = {}
        self._locks: dict[int, threading.Lock] = {t: threading.Lock() for t in ContentType}
        self._lock = threading.Lock()
        self.me: dict[str, Any] | None = None
        self.connections: set[str] | None = None

    def index(self, content_type: int) -> TypeIndex:
        found = self._indexes.get(content_type)
        if found is not None:
            return found
        with self._locks[content_type]:
            if content_type not in self._indexes:
                index = TypeIndex()
                for obj in self._load(content_type):
                    index.add(content_type, obj)
                self._indexes[content_type] = index
            return self._indexes[content_type]

    def remember(self, content_type: int, obj: Any) -> None:
        """Index an object this session just wrote. Only the fields other items look up
        are kept: a 100k-item session must not hold 100k full API objects."""
        data = obj if isinstance(obj, dict) else as_dict(obj)
        stamped = kind_of(content_type).stamp_fields
        slim = {k: v for k, v in data.items() if k in REMEMBERED_FIELDS or k in stamped}
        with self._lock:
            self.index(content_type).add(content_type, slim)

    def connection_names(self) -> set[str]:
        if self.connections is None:
            self.connections = {
                c.get("name")
                for c in self.listed("all_connections", fields="name")
                if c.get("name")
            }
        return self.connections

    # -- loading ---------------------------------------------------------------
    def listed(self, method: str, **kwargs: Any) -> list[dict[str, Any]]:
        return [as_dict(o) for o in self.api.read(method, **kwargs) or []]

    def paged(self, method: str, **kwargs: Any) -> list[dict[str, Any]]:
        """limit/offset paging; stops on a short page or a page that repeats itself
        (an endpoint that ignores the paging parameters)."""
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        offset = 0
        while True:
            page = self.listed(method, limit=PAGE, offset=offset, **kwargs)
            fresh = [o for o in page if str(o.get("id")) not in seen]
            out.extend(fresh)
            seen.update(str(o.get("id")) for o in fresh)
            if len(page) < PAGE or not fresh:
                return out
            offset += PAGE

    def _load(self, content_type: int) -> list[dict[str, Any]]:
        return kind_of(content_type).listing(self)

    def content_listing(
        self, method: str, deleted_value: Any, extra_fields: str = ""
    ) -> list[dict[str, Any]]:
        """Looks or dashboards, live and soft-deleted, by a search that returns only the
        fields an index needs (and `extra_fields`)."""
        fields = "id,title,folder_id,deleted,updated_at,user_id" + extra_fields
        live = self.paged(method, fields=fields)
        gone = self.paged(method, fields=fields, deleted=deleted_value)
        for obj in gone:
            obj["deleted"] = True
        # A live object wins over a stale "deleted" row with the same id.
        return gone + live


class Mappings:
    """source id -> destination id per type for one (source, destination) pair.

    Loaded per type on first use; a new mapping is written to the database at once
    (the same step as the create that produced it), except in a dry run, where
    planned creates get placeholder ids that never leave memory.
    """

    def __init__(
        self,
        source_instance: str,
        destination_instance: str,
        session: RestorationSession | None,
        *,
        persist: bool,
        db_lock: threading.RLock,
    ) -> None:
        self.source_instance = source_instance
        self.destination_instance = destination_instance
        self.session = session
        self.persist = persist
        self.db_lock = db_lock
        self._by_type: dict[int, dict[str, str]] = {}
        # Source ids whose destination object this session created in an earlier run
        # (before a crash or a hand-back), per type: counted as created when redone.
        self._created_earlier: dict[int, set[str]] = {}
        # source id -> (backup item hash, destination fingerprint), per type.
        # source id -> digest of (backup item hash, destination fingerprint), per type:
        # 16 bytes a mapping in memory, however long the recorded texts.
        self._verified: dict[int, dict[str, bytes]] = {}
        self._records: list[tuple[int, str, str, str, str]] = []
        # Source ids this session mapped to a new destination object (created, or found
        # elsewhere), per type: what refers to them is compared in full (Restorer).
        self._moved: dict[int, set[str]] = {}
        self._lock = threading.Lock()
        self._insert_sql: str | None = None

    def _type(self, content_type: int) -> dict[str, str]:
        found = self._by_type.get(content_type)
        if found is None:
            with self.db_lock:
                key = IDMapping.objects.filter(
                    source_instance=self.source_instance,
                    destination_instance=self.destination_instance,
                    content_type=content_type,
                )
                rows = key.values_list(
                    "source_id", "destination_id", "source_hash", "destination_stamp"
                )
                found = {}
                stamps: dict[str, bytes] = {}
                for sid, did, source_hash, stamp in rows.iterator(chunk_size=5000):
                    found[sid] = did
                    if source_hash and stamp:
                        stamps[sid] = record_digest(source_hash, stamp)
                earlier: set[str] = set()
                if self.persist and self.session is not None:
                    earlier = set(
                        key.filter(created_by_session=self.session).values_list(
                            "source_id", flat=True
                        )
                    )
            with self._lock:
                self._created_earlier.setdefault(content_type, earlier)
                self._verified.setdefault(content_type, stamps)
                found = self._by_type.setdefault(content_type, found)
        return found

    def moved(self, content_type: int, source_id: str) -> bool:
        """Did this session map the item to another destination object than before?"""
        with self._lock:
            return source_id in self._moved.get(content_type, ())

    def has_record(self, content_type: int, source_id: str) -> bool:
        """Did the last restore of the item record it (and its destination stays)?"""
        self._type(content_type)
        return str(source_id) in self._verified.get(content_type, {})

    def record_matches(
        self, content_type: int, source_id: str, source_hash: str, stamp: str
    ) -> bool:
        """Is (backup item hash, destination fingerprint) what the last restore left?"""
        self._type(content_type)
        found = self._verified.get(content_type, {}).get(str(source_id))
        return found is not None and found == record_digest(source_hash, stamp)

    def record_verified(
        self, content_type: int, source_id: str, source_hash: str, stamp: str
    ) -> None:
        """Record that the item's destination object matched its backup item right after
        this restore (written or compared), as `stamp` fingerprints it. Nothing when the
        record is already there (an unchanged re-run writes nothing); else queued and
        written RECORDS_BATCH at a time in one transaction (`save_verified`): a record
        lost in a crash only costs the next run a full compare of the item."""
        source_id = str(source_id)
        destination_id = self._type(content_type).get(source_id)
        table = self._verified.setdefault(content_type, {})
        digest = record_digest(source_hash, stamp)
        if table.get(source_id) == digest:
            return
        with self._lock:
            table[source_id] = digest
            if not self.persist or destination_id is None:
                return
            self._records.append((content_type, source_id, destination_id, source_hash, stamp))
            full = len(self._records) >= RECORDS_BATCH
        if full:
            self.save_verified()

    def save_verified(self) -> None:
        """Write the queued records (IDMapping.source_hash, destination_stamp)."""
        with self._lock:
            records, self._records = self._records, []
        if not records:
            return
        with self.db_lock, transaction.atomic():
            for content_type, source_id, destination_id, source_hash, stamp in records:
                IDMapping.objects.filter(
                    source_instance=self.source_instance,
                    destination_instance=self.destination_instance,
                    content_type=content_type,
                    source_id=source_id,
                    destination_id=destination_id,
                ).update(source_hash=source_hash, destination_stamp=stamp)

    def created_earlier(self, content_type: int, source_id: Any) -> bool:
        """Did this session create the item's destination object in an earlier run?"""
        self._type(content_type)
        return str(source_id) in self._created_earlier.get(content_type, ())

    def get(self, content_type: int, source_id: Any) -> str | None:
        if source_id in (None, ""):
            return None
        return self._type(content_type).get(str(source_id))

    def put(
        self, content_type: int, source_id: Any, destination_id: Any, *, created: bool = False
    ) -> None:
        """Record where an item went; `created`: this session just created that object."""
        source_id, destination_id = str(source_id), str(destination_id)
        table = self._type(content_type)
        if table.get(source_id) == destination_id:
            return
        if self.persist:
            with self.db_lock:
                self._save(
                    content_type,
                    source_id,
                    destination_id,
                    known=source_id in table,
                    created=created,
                )
        with self._lock:
            if created or source_id in table:
                self._moved.setdefault(content_type, set()).add(source_id)
            table[source_id] = destination_id
            self._verified.get(content_type, {}).pop(source_id, None)

    def _save(
        self,
        content_type: int,
        source_id: str,
        destination_id: str,
        *,
        known: bool,
        created: bool = False,
    ) -> None:
        """One INSERT for a new mapping (the common case, right after a create); an UPDATE
        when the mapping exists (known here, or written meanwhile by another session)."""
        key = {
            "source_instance": self.source_instance,
            "destination_instance": self.destination_instance,
            "content_type": content_type,
            "source_id": source_id,
        }
        if not known:
            try:  # autocommit: one INSERT, committed before the next item starts
                self._insert(content_type, source_id, destination_id, created=created)
                return
            except IntegrityError:
                pass
        IDMapping.objects.filter(**key).update(
            destination_id=destination_id,
            session=self.session,
            created_by_session=self.session if created else None,
            # What the last restore recorded was about another destination object.
            source_hash="",
            destination_stamp="",
        )

    def _insert(
        self, content_type: int, source_id: str, destination_id: str, *, created: bool = False
    ) -> None:
        """The INSERT of IDMapping.objects.create without building a model instance: it
        runs once per created object, and the ORM's per-row work was a third of the
        engine's own CPU per simple item."""
        if self._insert_sql is None:
            table = connection.ops.quote_name(IDMapping._meta.db_table)
            self._insert_sql = (
                f"INSERT INTO {table} (source_instance, destination_instance, content_type, "
                "source_id, destination_id, created_at, session_id, created_by_session_id, "
                "source_hash, destination_stamp) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, '', '')"
            )
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        params = (
            self.source_instance,
            self.destination_instance,
            content_type,
            source_id,
            destination_id,
            now,
            self.session.pk if self.session is not None else None,
            self.session.pk if self.session is not None and created else None,
        )
        with connection.cursor() as cursor:
            cursor.execute(self._insert_sql, params)
