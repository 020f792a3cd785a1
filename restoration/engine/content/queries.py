"""Queries, which Looks, tiles and scheduled plans run: whether the destination can
run one (its LookML model and explore), and writing one there."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from looker_sdk.sdk.api40 import models as m

from restoration.engine.api import ItemFailed, retried_as_is
from restoration.engine.content.base import CT, body_dict, text_id, write_model

if TYPE_CHECKING:
    from restoration.engine.restorer import Restorer


def query_body(query: dict[str, Any] | None) -> dict[str, Any] | None:
    """A query's writable fields: what two queries are compared on."""
    if not query:
        return None
    data = {k: v for k, v in query.items() if k not in ("client_id", "id", "slug")}
    return body_dict(m.WriteQuery, data, "query")


def check_model(r: Restorer, query: dict[str, Any] | None) -> None:
    """Fail an item whose query Looker would refuse (create_query answers 404): its
    LookML model is not configured on the destination, or the model has no explore
    named by the query's `view`. A dry run also fails it when the model allows a
    database connection the destination lacks (the query could never run)."""
    if not query or not query.get("model"):
        return
    model, view = query["model"], query.get("view")
    found = r.state.index(CT.LOOKML_MODEL).by_id.get(model)
    if found is None:
        if r.mappings.get(CT.LOOKML_MODEL, model):
            return  # configured by this session: its explores are the deployment's
        raise ItemFailed(
            f"LookML model {model!r} is absent on the destination", error_type="MissingModel"
        )
    # `explores` is known for models as prefetched; one this session rewrote is
    # indexed without it, and create_query's answer decides (see new_query).
    explores = found.get("explores")
    if explores is not None and view and view not in {e.get("name") for e in explores}:
        raise ItemFailed(
            f"LookML model {model!r} has no explore {view!r} on the destination",
            error_type="MissingExplore",
        )
    if r.dry_run and not found.get("unlimited_db_connections"):
        missing = [
            c
            for c in found.get("allowed_db_connection_names") or []
            if c not in r.state.connection_names()
        ]
        if missing:
            raise ItemFailed(
                f"LookML model {model!r} allows connection(s) {', '.join(missing)} "
                "absent on the destination",
                error_type="MissingConnection",
            )


def new_query(r: Restorer, query: dict[str, Any]) -> str:
    """A fresh query on the destination."""
    wanted = query_body(query)
    if r.dry_run:
        return "new-query"
    try:
        obj = r.api.write("create_query", body=write_model(m.WriteQuery, wanted or {}, "query"))
    except ItemFailed as exc:
        if exc.status == 404 and query.get("model"):
            # Looker's 404 says only "Not found": name what it did not find.
            model, view = query["model"], query.get("view")
            if model in r.state.index(CT.LOOKML_MODEL).by_id or r.mappings.get(
                CT.LOOKML_MODEL, model
            ):
                what = f"LookML model {model!r} has no explore {view!r} on the destination"
                exc.error_type = "MissingExplore"
            else:
                what = f"LookML model {model!r} is absent on the destination"
                exc.error_type = "MissingModel"
            exc.message = f"{what} (create_query: {exc.message})"
            exc.args = (exc.message,)
        raise
    return str(obj.id)


def tile_query_id(r: Restorer, source: dict[str, Any], query: dict[str, Any]) -> str:
    """The query a tile (or a plan) should run on the destination. Within the instance the
    backup came from, the backed-up query_id: queries are immutable, so the id still
    means the same query and no POST /queries is needed. Elsewhere, a fresh query."""
    if r.same_instance and text_id(source.get("query_id")):
        return str(source["query_id"])
    return new_query(r, query)


def source_query(r: Restorer, query_id: str, what: str) -> dict[str, Any]:
    """The query `query_id` as the source instance has it, for an item backed up without
    its query (lookervault stores Looks from search_looks: `query_id`, no `query`)."""
    section = r.source_section
    if not section:
        raise ItemFailed(
            f"{what} has no query in the backup, only query_id {query_id} (a backup taken "
            "from search_looks, as lookervault takes it); restoring it into another "
            "instance needs that query read from the source instance: launch the restore "
            "with the source instance set (its looker.ini section)",
            error_type="MissingQuery",
        )
    try:
        return r.read_source_query(query_id)
    except ItemFailed as exc:
        exc.message = (
            f"{what} has no query in the backup, and reading query {query_id} from the "
            f"source instance {section!r} failed: {exc.message}"
        )
        exc.args = (exc.message,)
        exc.error_type = "MissingQuery"
        raise


# -- writes whose answer was lost (restoration.engine.api) -----------------------------
retried_as_is(
    "a query is an immutable value nothing lists: a second copy changes nothing anyone "
    "sees, and the tile or Look points at the one whose answer arrived",
    "create_query",
)
