"""Queries: immutable, an identical body answers the existing query; `model`/`view` must
name a configured model and one of its deployed explores (404 otherwise, as Looker).
"""

from __future__ import annotations

import json
from typing import Any

from .. import lookml, sdk_types
from ..errors import not_found
from ..routing import Call, route
from ..rules import require, require_fields, slug_for
from ..store import Store

WEB_URL = "https://looker.example.com"


def _query_key(body: dict[str, Any]) -> str:
    fields = sdk_types.model_fields("WriteQuery")
    same = {
        k: v
        for k, v in body.items()
        if k in fields and k != "client_id" and v not in (None, [], {})
    }
    return json.dumps(same, sort_keys=True)


def create_query(s: Store, body: dict[str, Any]) -> dict[str, Any]:
    """Queries are immutable: an identical query answers with the existing one."""
    check_query(s, body)
    if s.query_index is None:
        s.query_index = {_query_key(q): q["id"] for q in s.all("query")}
    key = _query_key(body)
    existing = s.get("query", s.query_index.get(key))
    if existing is not None:
        return existing
    query = dict(body)
    query["id"] = s.next_id("query")
    query["slug"] = slug_for("query", query["id"], key)[:7]
    query["client_id"] = body.get("client_id") or slug_for("client", query["id"], key)
    s.insert("query", query)
    s.query_index[key] = query["id"]
    return query


def check_query(s: Store, body: dict[str, Any]) -> None:
    """What create_query refuses: no `model`/`view` (422), a model or explore the instance
    lacks (404)."""
    require_fields(body, "model", "view")
    check_query_model(s, body)


def nested_query(s: Store, body: dict[str, Any]) -> dict[str, Any] | None:
    """Pop the `query` a Look or tile body carries; if it is to be used (no `query_id`
    given), check it now and return it, to be created with create_query once every other
    check has passed, so a rejected call creates no query."""
    query_body = body.pop("query", None)
    if not query_body or body.get("query_id"):
        return None
    check_query(s, query_body)
    return query_body


def check_query_model(s: Store, body: dict[str, Any]) -> None:
    """404 Not found, as Looker answers, unless `model` is a configured model whose deployed
    LookML has `view` among its explores (a restore into an instance without the project
    fails here)."""
    model = s.get("lookml_model", body.get("model"))
    if model is None or str(body.get("view")) not in lookml.explores_of(s, model):
        raise not_found()


def render_query(query: dict[str, Any]) -> dict[str, Any]:
    values = dict(query)
    qid = query["id"]
    values["url"] = f"/explore/{query.get('model')}/{query.get('view')}?qid={query['client_id']}"
    values["share_url"] = f"{WEB_URL}/x/{query['slug']}"
    values["expanded_share_url"] = f"{WEB_URL}{values['url']}&query={qid}"
    values["has_table_calculations"] = any(
        isinstance(f, dict) and f.get("table_calculation") for f in _dynamic_fields(query)
    )
    return sdk_types.render("Query", values)


def _dynamic_fields(query: dict[str, Any]) -> list[Any]:
    try:
        parsed = json.loads(query.get("dynamic_fields") or "[]")
    except ValueError:
        return []
    return parsed if isinstance(parsed, list) else []


@route("POST", "/queries", "create_query", kind="query")
def serve_create_query(call: Call) -> dict[str, Any]:
    return render_query(create_query(call.store, call.body()))


@route("GET", "/queries/{query_id}", "query")
def serve_get_query(call: Call) -> dict[str, Any]:
    return render_query(require(call.store, "query", call.params["query_id"]))


@route("GET", "/queries/slug/{slug}", "query_for_slug")
def serve_query_for_slug(call: Call) -> dict[str, Any]:
    for query in call.store.all("query"):
        if query.get("slug") == call.params["slug"]:
            return render_query(query)
    raise not_found()
