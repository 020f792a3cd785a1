"""Looker's list semantics shared by the search_* and all_* routes, as the spec's search_*
descriptions state them: every documented search parameter filters; strings match
case-insensitively with `%` and `_` as SQL LIKE wildcards; ids and integers take comma
lists; booleans take true/false; "IS NULL" / "NOT NULL" match or exclude empty columns;
`filter_or`, `sorts`, `limit`/`offset` and `page`/`per_page`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from typing import Any

from . import sdk_types
from .errors import LookerError

_NOT_FILTERS = {"fields", "limit", "offset", "sorts", "page", "per_page", "filter_or", "_token"}


@functools.lru_cache(maxsize=512)
def _like_regex(pattern: str) -> re.Pattern[str]:
    wildcards = {"%": ".*", "_": "."}
    regex = "".join(wildcards.get(c) or re.escape(c) for c in pattern)
    return re.compile(f"^{regex}$", re.IGNORECASE | re.DOTALL)


@functools.cache
def search_parameters(operation: str) -> tuple[str, ...]:
    """The documented search parameters of a search_* operation (its SDK method's query
    parameters, which are the spec's), without paging, sorting and `fields`."""
    names = sdk_types.query_parameters(operation)
    return tuple(n for n in names if n not in _NOT_FILTERS)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _like(pattern: str, value: Any) -> bool:
    if value is None:
        return pattern.lower() == "null"
    return _like_regex(pattern).match(str(value)) is not None


def matches_like(pattern: str, value: Any) -> bool:
    """Looker's name matching: case-insensitive, % as wildcard."""
    return value is not None and _like(pattern, value)


def _matches(name: str, wanted: str, value: Any) -> bool:
    special = wanted.strip().upper()
    if special in ("IS NULL", "NULL"):
        return _empty(value)
    if special == "NOT NULL":
        return not _empty(value)
    if isinstance(value, bool):
        return value == (wanted.lower() in ("true", "1", "yes"))
    if isinstance(value, list):
        return any(_like(w, v) for w in wanted.split(",") for v in value)
    if name == "id" or name.endswith("_id") or isinstance(value, int):
        return value is not None and str(value) in [w.strip() for w in wanted.split(",")]
    return _like(wanted, value)


def search(
    rows: Iterable[dict[str, Any]],
    query: dict[str, str],
    view: Callable[[dict[str, Any]], dict[str, Any]] = lambda r: r,
    ignore: Iterable[str] = (),
    operation: str | None = None,
) -> list[dict[str, Any]]:
    """Looker's search semantics. With `operation`, exactly its documented search
    parameters filter (a value the row lacks counts as null); `ignore` names the ones the
    route applies itself. Without, every query key the rows have filters."""
    skip = set(ignore)
    if operation is not None:
        names = [n for n in search_parameters(operation) if n not in skip]
        filters = {n: query[n] for n in names if query.get(n, "") != ""}
    else:
        filters = {k: v for k, v in query.items() if k not in _NOT_FILTERS | skip and v != ""}
    any_of = str(query.get("filter_or", "")).lower() == "true"
    out = []
    for row in rows:
        values = view(row)
        checks = [
            _matches(k, v, values.get(k))
            for k, v in filters.items()
            if operation is not None or k in values
        ]
        if not checks or (any(checks) if any_of else all(checks)):
            out.append(row)
    return paginate(sort_rows(out, query.get("sorts"), view), query)


def sort_rows(rows: list[dict[str, Any]], sorts: str | None, view=lambda r: r) -> list[dict]:
    def key_for(value: Any) -> tuple:
        if value is None:
            return (2, 0, "")
        if isinstance(value, bool | int | float):
            return (0, float(value), "")
        text = str(value)
        return (0, float(text), "") if text.isdigit() else (1, 0, text.lower())

    rows = sorted(rows, key=lambda r: key_for(r.get("id")))
    for part in reversed([p.strip() for p in (sorts or "").split(",") if p.strip()]):
        name, _, direction = part.partition(" ")
        rows.sort(
            key=lambda r: key_for(view(r).get(name)), reverse=direction.strip().lower() == "desc"
        )
    return rows


def paginate(rows: list[dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]]:
    def number(name: str) -> int | None:
        raw = query.get(name)
        if raw in (None, ""):
            return None
        try:
            return int(raw)
        except ValueError:
            raise LookerError(400, f"{name} must be an integer") from None

    per_page, page = number("per_page"), number("page")
    limit, offset = number("limit"), number("offset")
    if per_page and page:
        return rows[(page - 1) * per_page : page * per_page]
    start = offset or 0
    return rows[start : start + limit] if limit is not None else rows[start:]
