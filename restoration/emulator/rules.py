"""The rules every emulated resource shares: an unknown id is a Looker 404, references must
name existing objects (422 `missing`), required fields, names unique per kind, built-ins
immutable; and the record helpers they use (timestamps, slugs, merging changes).
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from typing import Any

from .errors import LookerError, already_exists, not_found, problem, validation_failed
from .store import Store


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+00:00"


def slug_for(*parts: Any) -> str:
    digest = hashlib.sha256("/".join(str(p) for p in parts).encode()).hexdigest()
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
    n = int(digest, 16)
    out = []
    for _ in range(22):
        n, r = divmod(n, len(alphabet))
        out.append(alphabet[r])
    return "".join(out)


def require(s: Store, kind: str, object_id: Any) -> dict[str, Any]:
    """The object, or a 404 like Looker's for an unknown id."""
    obj = s.get(kind, object_id)
    if obj is None:
        raise not_found()
    return obj


def check_references(s: Store, body: dict[str, Any], refs: dict[str, str]) -> None:
    """422 `missing` for every id field that names an object the instance doesn't have."""
    problems = []
    for field, kind in refs.items():
        value = body.get(field)
        if value not in (None, "") and not s.exists(kind, value):
            label = kind.replace("_", " ").capitalize()
            problems.append(problem(field, "missing", f"{label} {value} does not exist."))
    if problems:
        raise validation_failed(*problems)


def require_fields(body: dict[str, Any], *names: str) -> None:
    missing = [n for n in names if body.get(n) in (None, "")]
    if missing:
        raise validation_failed(
            *(problem(n, "missing", "This field is required.") for n in missing)
        )


def same_name(a: Any, b: Any) -> bool:
    """Case-insensitive: for lookups (a role's nested set by name) and emails, never for
    clashes of names or titles (no public evidence that Looker folds case there)."""
    return isinstance(a, str) and isinstance(b, str) and a.strip().lower() == b.strip().lower()


def check_unique_name(
    s: Store, kind: str, name: Any, exclude_id: str | None = None, field: str = "name"
) -> None:
    for obj in s.all(kind):
        if obj["id"] != exclude_id and obj.get(field) == name:
            label = kind.replace("_", " ").capitalize()
            raise already_exists(
                problem(field, "already_exists", f"{label} with this {field} already exists.")
            )


def forbid_built_in(obj: dict[str, Any]) -> None:
    if obj.get("built_in") or obj.get("_built_in"):
        raise LookerError(405, "Built-in objects can't be modified or deleted.")


def merge_changes(obj: dict[str, Any], changes: dict[str, Any]) -> None:
    """A PATCH of the object's own fields. Its `updated_at` moves only on types whose
    spec documents one ("Time that the Look was updated", Dashboard, Board, board
    section, ScheduledPlan): users, groups, roles and the rest have none. Writes to a
    dashboard's tiles, filters or layouts go to their own resources and leave the
    dashboard's `updated_at` alone: no public source says Looker moves it then."""
    obj.update(changes)
    if "updated_at" in obj:
        obj["updated_at"] = now()


def children_of(s: Store, kind: str, ids: Iterable[str] | None) -> list[dict[str, Any]]:
    return [obj for obj in (s.get(kind, i) for i in ids or []) if obj is not None]
