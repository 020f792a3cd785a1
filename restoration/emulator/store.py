"""The emulated instance's objects, in memory, optionally kept in a SQLite file.

Objects are plain dicts keyed by kind and string id.  Keys starting with "_" are the
emulator's own bookkeeping (memberships, explore lists) and never appear in responses.
With a state file every mutation is written through, so a restart finds the same instance.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter, defaultdict
from typing import Any

# Fields looked up by value on hot paths (content of a folder, a folder's children):
# kept in an index so seeding and restoring thousands of objects stays linear.
INDEXED_FIELDS: dict[str, tuple[str, ...]] = {
    "dashboard": ("folder_id", "slug"),
    "look": ("folder_id",),
    "folder": ("parent_id",),
    "scheduled_plan": ("dashboard_id", "look_id"),
}
_UNSET = object()


class Store:
    def __init__(self, state_file: str | None = None) -> None:
        # One re-entrant lock serialises every request's work on the store: handlers are
        # short, and it keeps multi-object changes (a dashboard and its layout) atomic.
        self.lock = threading.RLock()
        self.tables: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        self.sequences: dict[str, int] = defaultdict(int)
        self.meta: dict[str, Any] = {}
        self.create_counts: Counter[str] = Counter()
        self._dirty: set[tuple[str, str]] = set()
        self._deleted: set[tuple[str, str]] = set()
        self._index: dict[tuple[str, str], dict[Any, set[str]]] = defaultdict(dict)
        self._indexed: dict[tuple[str, str, str], Any] = {}
        # Identical queries answer the existing one; resources.queries.create_query fills it lazily.
        self.query_index: dict[str, str] | None = None
        self.state_file = state_file
        self._db: sqlite3.Connection | None = None
        if state_file:
            self._db = sqlite3.connect(state_file, check_same_thread=False)
            # Written through after every change: WAL keeps that cheap and crash-safe.
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS objects (kind TEXT, id TEXT, body TEXT,"
                " PRIMARY KEY (kind, id))"
            )
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            self._db.commit()

    # --- reading -------------------------------------------------------------------
    def get(self, kind: str, object_id: Any) -> dict[str, Any] | None:
        if object_id is None:
            return None
        return self.tables[kind].get(str(object_id))

    def all(self, kind: str) -> list[dict[str, Any]]:
        return list(self.tables[kind].values())

    def exists(self, kind: str, object_id: Any) -> bool:
        return object_id is not None and str(object_id) in self.tables[kind]

    def where(self, kind: str, field: str, value: Any) -> list[dict[str, Any]]:
        """Objects of `kind` whose `field` equals `value` (indexed fields only)."""
        assert field in INDEXED_FIELDS.get(kind, ()), f"{kind}.{field} is not indexed"
        ids = self._index[(kind, field)].get(value, ())
        table = self.tables[kind]
        return [table[i] for i in sorted(ids, key=_id_order)]

    def _reindex(self, kind: str, object_id: str) -> None:
        fields = INDEXED_FIELDS.get(kind)
        if not fields:
            return
        obj = self.tables[kind].get(object_id)
        for field in fields:
            key = (kind, field, object_id)
            index = self._index[(kind, field)]
            old = self._indexed.pop(key, _UNSET)
            if old is not _UNSET:
                index.get(old, set()).discard(object_id)
            if obj is not None:
                value = obj.get(field)
                index.setdefault(value, set()).add(object_id)
                self._indexed[key] = value

    def _rebuild_indexes(self) -> None:
        self._index.clear()
        self._indexed.clear()
        self.query_index = None
        for kind in INDEXED_FIELDS:
            for object_id in list(self.tables[kind]):
                self._reindex(kind, object_id)

    # --- writing -------------------------------------------------------------------
    def next_id(self, kind: str) -> str:
        self.sequences[kind] += 1
        while str(self.sequences[kind]) in self.tables[kind]:
            self.sequences[kind] += 1
        self._dirty.add(("_meta", "sequences"))
        return str(self.sequences[kind])

    def insert(self, kind: str, obj: dict[str, Any], object_id: str | None = None) -> dict:
        """Add a new object; assigns the next sequential id unless one is given."""
        if object_id is None and "id" not in obj:
            obj["id"] = self.next_id(kind)
        key = str(object_id if object_id is not None else obj["id"])
        self.tables[kind][key] = obj
        self.create_counts[kind] += 1
        self.touch(kind, key)
        return obj

    def touch(self, kind: str, object_id: str) -> None:
        """Mark an object changed: the state file and the indexes get it."""
        self._dirty.add((kind, str(object_id)))
        self._deleted.discard((kind, str(object_id)))
        self._reindex(kind, str(object_id))

    def remove(self, kind: str, object_id: str) -> dict[str, Any] | None:
        obj = self.tables[kind].pop(str(object_id), None)
        if obj is not None:
            self._deleted.add((kind, str(object_id)))
            self._dirty.discard((kind, str(object_id)))
            self._reindex(kind, str(object_id))
        return obj

    def set_meta(self, key: str, value: Any) -> None:
        self.meta[key] = value
        self._dirty.add(("_meta", key))

    def clear(self) -> None:
        for kind, table in self.tables.items():
            for object_id in table:
                self._deleted.add((kind, object_id))
        self.tables.clear()
        self.sequences.clear()
        self.meta.clear()
        self._rebuild_indexes()
        self._dirty = {("_meta", "sequences")}
        if self._db is not None:
            self._db.execute("DELETE FROM objects")
            self._db.execute("DELETE FROM meta")
            self._deleted.clear()

    # --- the state file -----------------------------------------------------------------
    def flush(self) -> None:
        """Write changed objects to the state file (no-op in memory)."""
        if self._db is None or not (self._dirty or self._deleted):
            self._dirty.clear()
            self._deleted.clear()
            return
        db = self._db
        for kind, object_id in self._deleted:
            db.execute("DELETE FROM objects WHERE kind = ? AND id = ?", (kind, object_id))
        for kind, object_id in self._dirty:
            if kind == "_meta":
                value = (
                    dict(self.sequences) if object_id == "sequences" else self.meta.get(object_id)
                )
                db.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                    (object_id, json.dumps(value)),
                )
                continue
            obj = self.tables[kind].get(object_id)
            if obj is not None:
                db.execute(
                    "INSERT OR REPLACE INTO objects (kind, id, body) VALUES (?, ?, ?)",
                    (kind, object_id, json.dumps(obj)),
                )
        db.commit()
        self._dirty.clear()
        self._deleted.clear()

    def load(self) -> bool:
        """Read the state file; False when it holds no instance yet."""
        if self._db is None:
            return False
        rows = self._db.execute("SELECT kind, id, body FROM objects").fetchall()
        if not rows:
            return False
        self.tables.clear()
        for kind, object_id, body in rows:
            self.tables[kind][object_id] = json.loads(body)
        for key, value in self._db.execute("SELECT key, value FROM meta"):
            if key == "sequences":
                self.sequences = defaultdict(int, json.loads(value))
            else:
                self.meta[key] = json.loads(value)
        self._rebuild_indexes()
        self._dirty.clear()
        self._deleted.clear()
        return True

    def close(self) -> None:
        if self._db is not None:
            with self.lock:
                self.flush()
                self._db.close()
                self._db = None


def _id_order(object_id: str) -> tuple[int, int, str]:
    return (0, int(object_id), "") if object_id.isdigit() else (1, 0, object_id)
