"""Merge queries (merged results): source queries with their merge fields, pivots, sorts,
column limit and vis config; immutable with structural identity, as the spec says of
`create_merge_query` ("an identical merge query ... the existing merge query will be
returned"). A merged-results tile names one by `merge_result_id`.
"""

from __future__ import annotations

import json
from typing import Any

from .. import sdk_types
from ..routing import Call, route
from ..rules import require
from ..store import Store


def _merge_key(body: dict[str, Any]) -> str:
    fields = sdk_types.model_fields("WriteMergeQuery")
    same = {k: v for k, v in body.items() if k in fields and v not in (None, [], {})}
    return json.dumps(same, sort_keys=True)


def create_merge_query(s: Store, body: dict[str, Any]) -> dict[str, Any]:
    """An identical body answers the existing merge query. Source query ids are not
    checked (no public evidence of what Looker answers for an unknown one: lenient)."""
    key = _merge_key(body)
    for existing in s.all("merge_query"):
        if existing["_key"] == key:
            return existing
    merge = {
        "total": False,
        **body,
        "id": s.next_id("merge_query"),
        # Looker gives every merge query the result maker that runs it.
        "result_maker_id": s.next_id("result_maker"),
        "_key": key,
    }
    s.insert("merge_query", merge)
    return merge


def render_merge_query(s: Store, merge: dict[str, Any]) -> dict[str, Any]:
    values = dict(merge)
    sources = []
    for source in merge.get("source_queries") or []:
        query = s.get("query", source.get("query_id")) or {}
        sources.append({**source, "query_slug": source.get("query_slug") or query.get("slug")})
    values["source_queries"] = sources
    return sdk_types.render("MergeQuery", values)


@route("POST", "/merge_queries", "create_merge_query", kind="merge_query")
def serve_create_merge_query(call: Call) -> dict[str, Any]:
    body = call.body("WriteMergeQuery", required=False)
    return render_merge_query(call.store, create_merge_query(call.store, body))


@route("GET", "/merge_queries/{merge_query_id}", "merge_query")
def serve_get_merge_query(call: Call) -> dict[str, Any]:
    merge = require(call.store, "merge_query", call.params["merge_query_id"])
    return render_merge_query(call.store, merge)
