"""Looks: by title in the mapped folder, owner mapped by email, with their query."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from looker_sdk.sdk.api40 import models as m

from restoration.engine.api import ItemFailed, as_dict, finds_lost_answer, retried_as_is
from restoration.engine.content.base import (
    CT,
    ContentKind,
    Outcome,
    body_dict,
    created_by_key,
    text_id,
)
from restoration.engine.content.queries import check_model, new_query, query_body, source_query

if TYPE_CHECKING:
    from restoration.engine.destination import DestinationState
    from restoration.engine.plan import PlanEntry
    from restoration.engine.restorer import Restorer

# Fields of a Look or dashboard that are not its own settings: written separately or
# read-only.
NOT_SETTINGS = (
    "folder",
    "query",
    "dashboard_elements",
    "dashboard_filters",
    "dashboard_layouts",
    "id",
    "query_id",
    "deleted",
    "slug",
)


def content_settings(r: Restorer, write_model: type, data: dict[str, Any], what: str) -> dict:
    """A Look's or dashboard's own settings (the Write model's fields, read-only and
    per-instance ones dropped) with its folder and owner translated. The folder: its
    mapping, else the same id in the same instance, else the folder with the same name
    under the mapped parent (Restorer.ref; folders.FolderKind). An owner not restored is
    left out: the API user becomes the owner."""
    wanted = body_dict(write_model, {k: v for k, v in data.items() if k not in NOT_SETTINGS}, what)
    wanted["folder_id"] = r.ref(CT.FOLDER, data.get("folder_id"))
    owner = r.ref(CT.USER, data.get("user_id"), required=False)
    if owner:
        wanted["user_id"] = owner
    else:
        wanted.pop("user_id", None)
    return wanted


def in_folder_key(obj: dict[str, Any]) -> Any:
    """Looks and dashboards are recognised by title in their folder."""
    return (text_id(obj.get("folder_id")), obj.get("title")) if obj.get("title") else None


class LookKind(ContentKind):
    content_type = CT.LOOK
    label = "look"
    # All in the listing: a Look's query is immutable, so the same query_id is the same
    # query, and a re-run needs no read of the Look to compare it across instances.
    stamp_fields = frozenset(
        {
            "title",
            "description",
            "folder_id",
            "user_id",
            "query_id",
            "is_run_on_load",
            "public",
            "deleted",
            "updated_at",
        }
    )

    def listing(self, state: DestinationState) -> list[dict[str, Any]]:
        # Every field a Look is compared on, so that an unchanged Look in the instance
        # it came from needs no read of its own.
        return state.content_listing(
            "search_looks",
            deleted_value=True,
            extra_fields=",description,query_id,is_run_on_load,public",
        )

    def natural_key(self, obj: dict[str, Any]) -> Any:
        return in_folder_key(obj)

    def search_by_key(self, key: Any) -> tuple[str, dict[str, Any]]:
        return ("search_looks", {"folder_id": key[0], "title": key[1]})

    def still_restorable(self, r: Restorer, data: dict[str, Any]) -> None:
        check_model(r, data.get("query"))

    def translated_for_key(self, r: Restorer, data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "folder_id": r.ref(CT.FOLDER, data.get("folder_id"))}

    def restore(self, r: Restorer, entry: PlanEntry, data: dict[str, Any]) -> Outcome:
        what = f"look {entry.content_id}"
        query = data.get("query")
        source_query_id = text_id(data.get("query_id"))
        if not query and not source_query_id:
            raise ItemFailed(f"{what} has no query in the backup", error_type="UnexpectedShape")
        reuse = r.same_instance and source_query_id is not None
        if not query and not reuse:
            # A lookervault backup (Looks from search_looks): read the query at the source.
            query = source_query(r, source_query_id or "", what)
        check_model(r, query)
        wanted = content_settings(r, m.WriteLookWithQuery, data, what)
        key = (wanted.get("folder_id"), wanted.get("title"))
        dest_id, deleted = r.locate(CT.LOOK, entry.content_id, key)
        current = None
        if reuse:
            # Queries are immutable: in the instance the backup came from, the backed-up
            # query_id still names the same query. No POST /queries, and the listing
            # (which carries query_id) answers the comparison without a read per Look.
            wanted["query_id"] = source_query_id
            if dest_id is not None:
                current = r.state.index(CT.LOOK).by_id.get(dest_id)
        elif dest_id is not None:
            current = as_dict(r.api.read("look", dest_id))
            if query_body(current.get("query")) != query_body(query):
                wanted["query_id"] = new_query(r, query) if not r.dry_run else "new-query"
            else:
                wanted["query_id"] = text_id(current.get("query_id"))
        else:
            wanted["query_id"] = new_query(r, query)
        outcome, _ = r.upsert(
            CT.LOOK,
            entry,
            wanted,
            create="create_look",
            update="update_look",
            create_cls=m.WriteLookWithQuery,
            update_cls=m.WriteLookWithQuery,
            key=key,
            current=current,
            target=(dest_id, deleted),
        )
        return outcome


# -- writes whose answer was lost (restoration.engine.api) -----------------------------
finds_lost_answer("create_look")(created_by_key(CT.LOOK))
retried_as_is("PATCH sets the fields it names", "update_look")
