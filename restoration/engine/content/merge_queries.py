"""Merge queries behind merged-results tiles: comparing the backed-up merge query (kept
inside the dashboard's backup under each tile's `merge_query`, with its source queries)
with one on the destination, and creating it there with its source queries.

Merge queries are immutable with structural identity (spec of `create_merge_query`), so
a tile keeps the merge query it has when that one asks the same question, and gets a
new one otherwise; in the instance the backup came from, the backed-up id is reused
when it still asks the same question. A create whose answer was lost is sent again:
the same body answers the same merge query.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from looker_sdk.sdk.api40 import models as m

from restoration.engine.api import ItemFailed, retried_as_is
from restoration.engine.content.base import normalized, text_id, write_model
from restoration.engine.content.queries import check_model, new_query, query_body
from restoration.looker.serialization import api_dict

if TYPE_CHECKING:
    from restoration.engine.restorer import Restorer

# The backup key (restoration.backup.readers.MERGE_QUERY_KEY).
MERGE_QUERY_KEY = "merge_query"
SETTINGS = ("column_limit", "dynamic_fields", "pivots", "sorts", "total", "limit", "vis_config")
DRY_RUN_ID = "new-merge-query"


def question(merge: dict[str, Any]) -> Any:
    """What a merge query asks, ids aside: its settings and, in order, each source's name,
    merge fields and query (source order matters: the first is the primary key)."""
    settings = {k: merge.get(k) for k in SETTINGS}
    settings["total"] = bool(merge.get("total"))
    sources = [
        {
            "name": source.get("name"),
            "merge_fields": source.get("merge_fields") or [],
            "query": query_body(source.get("query")),
        }
        for source in merge.get("source_queries") or []
    ]
    return normalized({**settings, "source_queries": sources})


def destination_merge(r: Restorer, merge_id: str | None) -> dict[str, Any] | None:
    """The destination's merge query with each source's query, or None if it has none."""
    if not merge_id or merge_id == DRY_RUN_ID:
        return None
    try:
        merge = api_dict(r.api.read("merge_query", merge_id))
    except ItemFailed as exc:
        if exc.status == 404:
            return None
        raise
    for source in merge.get("source_queries") or []:
        if source.get("query_id"):
            source["query"] = api_dict(r.api.read("query", str(source["query_id"])))
    return merge


def check_sources(r: Restorer, backup: dict[str, Any]) -> None:
    """Fail early when a source query's model or explore is absent on the destination."""
    for source in backup.get("source_queries") or []:
        check_model(r, source.get("query"))


def left_out_warning(r: Restorer, element: dict[str, Any]) -> str | None:
    """Why a merged tile cannot be restored, or None: its merge query is not in the
    backup and the destination is another instance (in the same one the backed-up id
    still names it)."""
    if element.get(MERGE_QUERY_KEY) is not None or r.same_instance:
        return None
    return (
        f"tile {element.get('title') or element.get('id')!r}: its merge query "
        f"{text_id(element.get('merge_result_id'))} is not in the backup (Looker did not "
        "serve it when the backup was taken), so the dashboard was restored without this "
        "tile"
    )


def merge_for_tile(
    r: Restorer, element: dict[str, Any], current_id: str | None
) -> tuple[str | None, str | None]:
    """(merge_result_id the restored tile should have, warning or None).

    Reuses `current_id` (the destination tile's) or, in the same instance, the backed-up
    id when that merge query asks the backup's question; else creates the source queries
    and the merge query."""
    source_id = text_id(element.get("merge_result_id"))
    backup = element.get(MERGE_QUERY_KEY)
    if backup is None:
        warning = left_out_warning(r, element)
        return (None if warning else source_id), warning
    wanted = question(backup)
    candidates = [current_id] + ([source_id] if r.same_instance else [])
    for candidate in dict.fromkeys(c for c in candidates if c):
        have = destination_merge(r, candidate)
        if have is not None and question(have) == wanted:
            return candidate, None
    if r.dry_run:
        return DRY_RUN_ID, None
    sources = []
    for source in backup.get("source_queries") or []:
        query = source.get("query")
        query_id = new_query(r, query) if query else text_id(source.get("query_id"))
        sources.append(
            {
                "name": source.get("name"),
                "merge_fields": source.get("merge_fields") or [],
                "query_id": query_id,
            }
        )
    body = {k: backup.get(k) for k in SETTINGS if backup.get(k) is not None}
    body["source_queries"] = sources
    what = f"merge query of tile {element.get('id')}"
    obj = r.api.write("create_merge_query", body=write_model(m.WriteMergeQuery, body, what))
    return str(obj.id), None


retried_as_is(
    "a merge query is an immutable value: the same body answers the merge query it made",
    "create_merge_query",
)
