"""Boards: by title, owner mapped by email, then reconciled section by section, each
section's items pointing at the mapped dashboards and Looks, in the backup's order."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from looker_sdk.sdk.api40 import models as m

from restoration.engine.api import (
    DestinationAPI,
    LostWrite,
    as_dict,
    finds_lost_answer,
    retried_as_is,
)
from restoration.engine.content.base import (
    CT,
    UNCHANGED,
    ContentKind,
    Outcome,
    body_dict,
    created_by_key,
    diff_fields,
    id_order,
    text_id,
    write_fields,
    write_model,
)

if TYPE_CHECKING:
    from restoration.engine.destination import DestinationState
    from restoration.engine.plan import PlanEntry
    from restoration.engine.restorer import Restorer


class BoardKind(ContentKind):
    content_type = CT.BOARD
    label = "board"
    # Sections and items come nested in the listing; their writes are not all kept in
    # DestinationState, so a written board is fingerprinted from the listing once more.
    stamp_fields = write_fields(m.WriteBoard) | {"board_sections", "updated_at"}
    stamped_after_write = False

    def listing(self, state: DestinationState) -> list[dict[str, Any]]:
        return state.listed("all_boards")

    def natural_key(self, obj: dict[str, Any]) -> Any:
        return obj.get("title") or None

    def search_by_key(self, key: Any) -> tuple[str, dict[str, Any]]:
        return ("search_boards", {"title": key})

    def restore(self, r: Restorer, entry: PlanEntry, data: dict[str, Any]) -> Outcome:
        what = f"board {entry.content_id}"
        wanted = body_dict(
            m.WriteBoard,
            {k: v for k, v in data.items() if k not in ("section_order", "user_id", "deleted_at")},
            what,
        )
        owner = r.ref(CT.USER, data.get("user_id"), required=False)
        if owner:
            wanted["user_id"] = owner
        sections = sorted(data.get("board_sections") or [], key=id_order)
        for section in sections:
            for item in section.get("board_items") or []:
                self._board_item_refs(r, item)
        outcome, obj = r.upsert(
            CT.BOARD,
            entry,
            wanted,
            create="create_board",
            update="update_board",
            create_cls=m.WriteBoard,
            update_cls=m.WriteBoard,
            key=data.get("title"),
        )
        if not outcome.destination_id or (
            outcome.status == "skipped" and outcome.reason != UNCHANGED
        ):
            return outcome
        if r.dry_run:
            if obj and not r.config.keep_extra:
                removed = self._extras(r, sections, obj)
                if removed:
                    outcome.diff["would remove"] = [removed, None]
                    if outcome.status == "skipped":
                        outcome.status, outcome.reason = "updated", ""
            return outcome
        dest = outcome.destination_id
        base = obj or {}
        writes, section_map = self._reconcile_sections(r, dest, sections, base)
        order = [
            section_map[str(s)] for s in data.get("section_order") or [] if str(s) in section_map
        ]
        if order and [str(s) for s in base.get("section_order") or []] != order:
            obj = r.api.write("update_board", dest, body=m.WriteBoard(section_order=order))
            r.state.remember(CT.BOARD, obj)
            writes += 1
        if writes and outcome.status == "skipped":
            outcome.status, outcome.reason = "updated", ""
            outcome.diff["sections"] = ["changed", f"{writes} section/item writes"]
        return outcome

    def _board_item_refs(self, r: Restorer, item: dict[str, Any]) -> dict[str, Any]:
        refs: dict[str, Any] = {}
        if item.get("dashboard_id"):
            refs["dashboard_id"] = r.ref(CT.DASHBOARD, item["dashboard_id"])
        if item.get("look_id"):
            refs["look_id"] = r.ref(CT.LOOK, item["look_id"])
        if item.get("lookml_dashboard_id"):
            refs["lookml_dashboard_id"] = str(item["lookml_dashboard_id"])
        return refs

    def _reconcile_sections(
        self, r: Restorer, dest: str, sections: list[dict[str, Any]], base: dict[str, Any]
    ) -> tuple[int, dict[str, str]]:
        existing = list(base.get("board_sections") or [])
        known = {text_id(s.get("id")) for s in existing}  # for a lost create's finder
        writes = 0
        section_map: dict[str, str] = {}
        for source in sections:
            what = f"board section {source.get('id')}"
            match = None
            if r.same_instance:
                match = next(
                    (s for s in existing if str(s.get("id")) == str(source.get("id"))), None
                )
            if match is None:
                match = next((s for s in existing if s.get("title") == source.get("title")), None)
            wanted = body_dict(
                m.WriteBoardSection,
                {"title": source.get("title"), "description": source.get("description")},
                what,
            )
            if match is None:
                match = as_dict(
                    r.api.write(
                        "create_board_section",
                        body=write_model(m.WriteBoardSection, {**wanted, "board_id": dest}, what),
                        known=known,
                    )
                )
                known.add(text_id(match.get("id")))
                writes += 1
            else:
                existing.remove(match)
                diff = diff_fields(wanted, match)
                if diff:
                    r.api.write(
                        "update_board_section",
                        str(match.get("id")),
                        body=write_model(m.WriteBoardSection, {k: wanted[k] for k in diff}, what),
                    )
                    writes += 1
            section_id = str(match.get("id"))
            section_map[str(source.get("id"))] = section_id
            item_writes, item_map = self._reconcile_items(r, section_id, source, match)
            writes += item_writes
            order = [item_map[str(i)] for i in source.get("item_order") or [] if str(i) in item_map]
            if order and [str(i) for i in match.get("item_order") or []] != order:
                r.api.write(
                    "update_board_section", section_id, body=m.WriteBoardSection(item_order=order)
                )
                writes += 1
        if not r.config.keep_extra:
            # Sections the backup lacks go (their items with them): the board ends equal
            # to the backup.
            for extra in existing:
                r.api.write("delete_board_section", text_id(extra.get("id")))
                writes += 1
        return writes, section_map

    def _extras(
        self, r: Restorer, sections: list[dict[str, Any]], base: dict[str, Any]
    ) -> list[str]:
        """Dry run: the sections and items of the destination board that the backup
        lacks, matched by the same rules as the restore (same id within the instance,
        else the section title; items by what they show)."""
        existing = list(base.get("board_sections") or [])
        removed: list[str] = []
        for source in sections:
            match = None
            if r.same_instance:
                match = next(
                    (x for x in existing if str(x.get("id")) == str(source.get("id"))), None
                )
            if match is None:
                match = next((x for x in existing if x.get("title") == source.get("title")), None)
            if match is None:
                continue
            existing.remove(match)
            items = list(match.get("board_items") or [])
            for item in source.get("board_items") or []:
                ident = _item_ident(self._board_item_refs(r, item), item)
                found = next((e for e in items if _dest_item_ident(e) == ident), None)
                if found is not None:
                    items.remove(found)
            removed += [f"board item {i.get('id')}" for i in items]
        removed += [f"board section {x.get('id')} {x.get('title')!r}" for x in existing]
        return removed

    def _reconcile_items(
        self, r: Restorer, section_id: str, source: dict[str, Any], section: dict[str, Any]
    ) -> tuple[int, dict[str, str]]:
        existing = list(section.get("board_items") or [])
        known = {text_id(i.get("id")) for i in existing}  # for a lost create's finder
        writes = 0
        item_map: dict[str, str] = {}
        for item in sorted(source.get("board_items") or [], key=id_order):
            refs = self._board_item_refs(r, item)
            what = f"board item {item.get('id')}"
            wanted = body_dict(
                m.WriteBoardItem,
                {
                    **{k: v for k, v in item.items() if k not in ("id", "board_section_id")},
                    **refs,
                },
                what,
            )
            ident = _item_ident(refs, item)
            match = next((e for e in existing if _dest_item_ident(e) == ident), None)
            if match is None:
                obj = r.api.write(
                    "create_board_item",
                    body=write_model(
                        m.WriteBoardItem, {**wanted, "board_section_id": section_id}, what
                    ),
                    known=known,
                )
                known.add(str(obj.id))
                item_map[str(item.get("id"))] = str(obj.id)
                writes += 1
                continue
            existing.remove(match)
            item_map[str(item.get("id"))] = str(match.get("id"))
            diff = diff_fields(wanted, match)
            if diff:
                r.api.write(
                    "update_board_item",
                    str(match.get("id")),
                    body=write_model(m.WriteBoardItem, {k: wanted[k] for k in diff}, what),
                )
                writes += 1
        if not r.config.keep_extra:
            for extra in existing:  # items the backup lacks: removed
                r.api.write("delete_board_item", text_id(extra.get("id")))
                writes += 1
        return writes, item_map


def _item_ident(refs: dict[str, Any], item: dict[str, Any]) -> tuple:
    """What a backup board item shows, in destination ids."""
    return (
        refs.get("dashboard_id"),
        refs.get("look_id"),
        refs.get("lookml_dashboard_id"),
        item.get("custom_url"),
    )


def _dest_item_ident(item: dict[str, Any]) -> tuple:
    """What a destination board item shows."""
    return (
        text_id(item.get("dashboard_id")),
        text_id(item.get("look_id")),
        text_id(item.get("lookml_dashboard_id")),
        item.get("custom_url"),
    )


# -- writes whose answer was lost (restoration.engine.api) -----------------------------
finds_lost_answer("create_board")(created_by_key(CT.BOARD))
retried_as_is(
    "PATCH sets the fields it names (an order as a whole list)",
    "update_board",
    "update_board_section",
    "update_board_item",
)


@finds_lost_answer("create_board_section")
def find_section(api: DestinationAPI, lost: LostWrite) -> Any:
    """A section of the board that the restore did not know, with the title sent."""
    body = lost.body or {}
    board = as_dict(api.read("board", text_id(body.get("board_id")))) or {}
    found = [
        s
        for s in board.get("board_sections") or []
        if text_id(s.get("id")) not in lost.known and s.get("title") == body.get("title")
    ]
    if not found:
        return None
    return api.read("board_section", text_id(min(found, key=id_order).get("id")))


@finds_lost_answer("create_board_item")
def find_board_item(api: DestinationAPI, lost: LostWrite) -> Any:
    """An item of the section that the restore did not know, showing what was sent."""
    body = lost.body or {}
    section = as_dict(api.read("board_section", text_id(body.get("board_section_id")))) or {}
    found = [
        i
        for i in section.get("board_items") or []
        if text_id(i.get("id")) not in lost.known and _dest_item_ident(i) == _dest_item_ident(body)
    ]
    if not found:
        return None
    return api.read("board_item", text_id(min(found, key=id_order).get("id")))
