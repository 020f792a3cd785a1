"""What the destination already holds (prefetched in bulk, one type at a time, by each
type's `ContentKind.listing`) and where each source object went (the ID mappings),
shared by a session's worker threads.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection
from django.utils import timezone

from restoration.content_types import ContentType
from restoration.engine.api import DestinationAPI, as_dict
from restoration.engine.content import kind_of
from restoration.engine.content.base import text_id
from restoration.models import IDMapping, RestorationSession

PAGE = 1000

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
        slim = {k: v for k, v in data.items() if k in REMEMBERED_FIELDS}
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

    def content_listing(self, method: str, deleted_value: Any) -> list[dict[str, Any]]:
        """Looks or dashboards, live and soft-deleted, by a search that returns only the
        fields an index needs."""
        fields = "id,title,folder_id,deleted,updated_at,user_id"
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
        self._lock = threading.Lock()
        self._insert_sql: str | None = None

    def _type(self, content_type: int) -> dict[str, str]:
        found = self._by_type.get(content_type)
        if found is None:
            with self.db_lock:
                rows = IDMapping.objects.filter(
                    source_instance=self.source_instance,
                    destination_instance=self.destination_instance,
                    content_type=content_type,
                ).values_list("source_id", "destination_id")
                found = dict(rows.iterator(chunk_size=5000))
            with self._lock:
                found = self._by_type.setdefault(content_type, found)
        return found

    def get(self, content_type: int, source_id: Any) -> str | None:
        if source_id in (None, ""):
            return None
        return self._type(content_type).get(str(source_id))

    def put(self, content_type: int, source_id: Any, destination_id: Any) -> None:
        source_id, destination_id = str(source_id), str(destination_id)
        table = self._type(content_type)
        if table.get(source_id) == destination_id:
            return
        if self.persist:
            with self.db_lock:
                self._save(content_type, source_id, destination_id, known=source_id in table)
        with self._lock:
            table[source_id] = destination_id

    def _save(self, content_type: int, source_id: str, destination_id: str, *, known: bool) -> None:
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
                self._insert(content_type, source_id, destination_id)
                return
            except IntegrityError:
                pass
        IDMapping.objects.filter(**key).update(destination_id=destination_id, session=self.session)

    def _insert(self, content_type: int, source_id: str, destination_id: str) -> None:
        """The INSERT of IDMapping.objects.create without building a model instance: it
        runs once per created object, and the ORM's per-row work was a third of the
        engine's own CPU per simple item."""
        if self._insert_sql is None:
            table = connection.ops.quote_name(IDMapping._meta.db_table)
            self._insert_sql = (
                f"INSERT INTO {table} (source_instance, destination_instance, content_type, "
                "source_id, destination_id, created_at, session_id) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)"
            )
        created = connection.ops.adapt_datetimefield_value(timezone.now())
        params = (
            self.source_instance,
            self.destination_instance,
            content_type,
            source_id,
            destination_id,
            created,
            self.session.pk if self.session is not None else None,
        )
        with connection.cursor() as cursor:
            cursor.execute(self._insert_sql, params)
