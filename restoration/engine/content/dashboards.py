"""Dashboards: by title in the mapped folder, owner mapped by email, then reconciled
tile for tile: filters by name, tiles (elements) with their queries or Looks, layouts
and their components."""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Any

from looker_sdk.sdk.api40 import models as m

from restoration.engine.api import as_dict
from restoration.engine.content.base import (
    CT,
    UNCHANGED,
    ContentKind,
    Outcome,
    body_dict,
    diff_fields,
    id_order,
    text_id,
    write_model,
)
from restoration.engine.content.looks import NOT_SETTINGS, in_folder_key
from restoration.engine.content.queries import check_model, new_query, query_body

if TYPE_CHECKING:
    from restoration.engine.destination import DestinationState
    from restoration.engine.plan import PlanEntry
    from restoration.engine.restorer import Restorer


class DashboardKind(ContentKind):
    content_type = CT.DASHBOARD
    label = "dashboard"

    def listing(self, state: DestinationState) -> list[dict[str, Any]]:
        return state.content_listing("search_dashboards", deleted_value="true")

    def natural_key(self, obj: dict[str, Any]) -> Any:
        return in_folder_key(obj)

    def search_by_key(self, key: Any) -> tuple[str, dict[str, Any]]:
        return ("search_dashboards", {"folder_id": key[0], "title": key[1]})

    def translated_for_key(self, r: Restorer, data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "folder_id": r.ref(CT.FOLDER, data.get("folder_id"))}

    def restore(self, r: Restorer, entry: PlanEntry, data: dict[str, Any]) -> Outcome:
        what = f"dashboard {entry.content_id}"
        elements = sorted(data.get("dashboard_elements") or [], key=id_order)
        for element in elements:
            check_model(r, element.get("query"))
            if element.get("look_id"):
                r.ref(CT.LOOK, element["look_id"])
        wanted = body_dict(
            m.WriteDashboard, {k: v for k, v in data.items() if k not in NOT_SETTINGS}, what
        )
        # The folder: its mapping, else the same id in the same instance, else the folder
        # with the same name under the mapped parent (Restorer.ref; folders.FolderKind).
        wanted["folder_id"] = r.ref(CT.FOLDER, data.get("folder_id"))
        owner = r.ref(CT.USER, data.get("user_id"), required=False)
        if owner:
            wanted["user_id"] = owner
        else:
            wanted.pop("user_id", None)
        key = (wanted.get("folder_id"), wanted.get("title"))
        dest_id, deleted = r.locate(CT.DASHBOARD, entry.content_id, key)
        current = as_dict(r.api.read("dashboard", dest_id)) if dest_id else None
        outcome, obj = r.upsert(
            CT.DASHBOARD,
            entry,
            wanted,
            create="create_dashboard",
            update="update_dashboard",
            create_cls=m.WriteDashboard,
            update_cls=m.WriteDashboard,
            key=key,
            current=current,
            target=(dest_id, deleted),
        )
        if outcome.status == "skipped" and outcome.reason != UNCHANGED:
            return outcome
        dest = outcome.destination_id
        base = current if current is not None else (obj or {})
        if r.dry_run:
            self._check_tiles(r, data, elements)
            if current is not None:
                self._dry_run_tiles(r, outcome, data, current, elements)
            return outcome
        wrote = self._reconcile_filters(r, dest, data, base)
        element_map, created_elements, changed = self._reconcile_elements(r, dest, elements, base)
        TILES_PLACED.remember(r, entry.content_id, element_map)
        wrote += changed
        layouts = base.get("dashboard_layouts") or []
        if created_elements or not layouts:
            layouts = as_dict(r.api.read("dashboard_dashboard_layouts", dest)) or []
        wrote += self._reconcile_layouts(r, dest, data, layouts, element_map)
        if wrote and outcome.status == "skipped":
            outcome.status, outcome.reason = "updated", ""
            outcome.diff["tiles"] = ["changed", f"{wrote} tile/filter/layout writes"]
        return outcome

    def _check_tiles(
        self, r: Restorer, data: dict[str, Any], elements: list[dict[str, Any]]
    ) -> None:
        """Dry run: would Looker accept every filter and tile? (required fields present)"""
        for source in data.get("dashboard_filters") or []:
            body_dict(
                m.WriteCreateDashboardFilter,
                {**source, "dashboard_id": "0"},
                f"dashboard filter {source.get('name')!r}",
            )
        for source in elements:
            if source.get("query") and not source.get("look_id"):
                body_dict(
                    m.WriteQuery,
                    {k: v for k, v in source["query"].items() if k != "client_id"},
                    f"query of dashboard element {source.get('id')}",
                )

    def _dry_run_tiles(
        self,
        r: Restorer,
        outcome: Outcome,
        data: dict[str, Any],
        current: dict[str, Any],
        elements: list[dict[str, Any]],
    ) -> None:
        """Dry run on an existing dashboard: which filters and tiles would change."""
        have = {f.get("name"): f for f in current.get("dashboard_filters") or []}
        for source in data.get("dashboard_filters") or []:
            name = source.get("name")
            wanted = body_dict(m.WriteDashboardFilter, source, f"dashboard filter {name!r}")
            if name not in have:
                outcome.diff[f"filter {name}"] = [None, "added"]
            elif diff := diff_fields(wanted, have[name]):
                outcome.diff[f"filter {name}"] = [
                    {k: v[0] for k, v in diff.items()},
                    {k: v[1] for k, v in diff.items()},
                ]
        existing = [_element_key(e) for e in current.get("dashboard_elements") or []]
        missing = 0
        for source in elements:
            key = _element_key(source)
            if key in existing:
                existing.remove(key)
            else:
                missing += 1
        if missing:
            outcome.diff["tiles"] = [
                len(current.get("dashboard_elements") or []),
                f"{missing} tile(s) to add or change",
            ]
        if outcome.diff and outcome.status == "skipped":
            outcome.status, outcome.reason = "updated", ""

    def _reconcile_filters(
        self, r: Restorer, dest: str, data: dict[str, Any], base: dict[str, Any]
    ) -> int:
        have = {f.get("name"): f for f in base.get("dashboard_filters") or []}
        writes = 0
        for source in sorted(data.get("dashboard_filters") or [], key=id_order):
            what = f"dashboard filter {source.get('name')!r}"
            existing = have.get(source.get("name"))
            if existing is None:
                body = write_model(
                    m.WriteCreateDashboardFilter, {**source, "dashboard_id": dest}, what
                )
                r.api.write("create_dashboard_filter", body=body)
                writes += 1
                continue
            wanted = body_dict(m.WriteDashboardFilter, source, what)
            diff = diff_fields(wanted, existing)
            if diff:
                changed = {k: wanted[k] for k in diff}
                r.api.write(
                    "update_dashboard_filter",
                    text_id(existing.get("id")),
                    body=write_model(m.WriteDashboardFilter, changed, what),
                )
                writes += 1
        return writes

    def _element_wanted(self, r: Restorer, dest: str, source: dict[str, Any]) -> dict[str, Any]:
        cleaned = {
            k: v
            for k, v in source.items()
            if k
            not in (
                "id",
                "query",
                "query_id",
                "look",
                "result_maker",
                "result_maker_id",
                "dashboard_layout_id",
                "dashboard_id",
                "look_id",
                "alerts",
            )
        }
        wanted = body_dict(
            m.WriteDashboardElement, cleaned, f"dashboard element {source.get('id')}"
        )
        wanted["dashboard_id"] = dest
        if source.get("look_id"):
            wanted["look_id"] = r.ref(CT.LOOK, source["look_id"])
        if source.get("merge_result_id") and not r.same_instance:
            # Merge queries live outside the backup; across instances the tile keeps its
            # place but cannot keep its merged query.
            wanted.pop("merge_result_id", None)
        return wanted

    def _reconcile_elements(
        self, r: Restorer, dest: str, elements: list[dict[str, Any]], base: dict[str, Any]
    ) -> tuple[dict[str, str], int, int]:
        element_map: dict[str, str] = {}
        created = changed = 0
        pairs = pair_tiles(r.same_instance, elements, base.get("dashboard_elements") or [])
        for source, match in pairs:
            wanted = self._element_wanted(r, dest, source)
            query = source.get("query") if not source.get("look_id") else None
            what = f"dashboard element {source.get('id')}"
            if match is None:
                if query:
                    wanted["query_id"] = new_query(r, query)
                obj = r.api.write(
                    "create_dashboard_element",
                    body=write_model(m.WriteDashboardElement, wanted, what),
                )
                element_map[str(source.get("id"))] = str(obj.id)
                created += 1
                continue
            element_map[str(source.get("id"))] = str(match.get("id"))
            if query and query_body(match.get("query")) != query_body(query):
                wanted["query_id"] = new_query(r, query)
            diff = diff_fields(wanted, match)
            if diff:
                changed_fields = {k: wanted[k] for k in diff}
                r.api.write(
                    "update_dashboard_element",
                    str(match.get("id")),
                    body=write_model(m.WriteDashboardElement, changed_fields, what),
                )
                changed += 1
        return element_map, created, created + changed

    def _reconcile_layouts(
        self,
        r: Restorer,
        dest: str,
        data: dict[str, Any],
        layouts: list[dict[str, Any]],
        element_map: dict[str, str],
    ) -> int:
        writes = 0
        unmatched = sorted(layouts, key=id_order)
        for source in sorted(data.get("dashboard_layouts") or [], key=id_order):
            what = f"dashboard layout {source.get('id')}"
            match = None
            if r.same_instance:
                match = next(
                    (lay for lay in unmatched if str(lay.get("id")) == str(source.get("id"))), None
                )
            if match is None:
                match = next(
                    (
                        lay
                        for lay in unmatched
                        if bool(lay.get("active")) == bool(source.get("active"))
                    ),
                    None,
                )
            wanted = body_dict(
                m.WriteDashboardLayout,
                {
                    k: v
                    for k, v in source.items()
                    if k not in ("id", "dashboard_id", "lookml_link_id")
                },
                what,
            )
            if match is None:
                obj = as_dict(
                    r.api.write(
                        "create_dashboard_layout",
                        body=write_model(
                            m.WriteDashboardLayout, {**wanted, "dashboard_id": dest}, what
                        ),
                    )
                )
                writes += 1
                match = as_dict(r.api.read("dashboard_layout", str(obj.get("id"))))
            else:
                unmatched.remove(match)
                diff = diff_fields(wanted, match)
                if diff:
                    r.api.write(
                        "update_dashboard_layout",
                        str(match.get("id")),
                        body=write_model(
                            m.WriteDashboardLayout, {k: wanted[k] for k in diff}, what
                        ),
                    )
                    writes += 1
            writes += self._reconcile_components(r, source, match, element_map)
        return writes

    def _reconcile_components(
        self,
        r: Restorer,
        source: dict[str, Any],
        layout: dict[str, Any],
        element_map: dict[str, str],
    ) -> int:
        by_element = {
            str(c.get("dashboard_element_id")): c
            for c in layout.get("dashboard_layout_components") or []
        }
        writes = 0
        for component in source.get("dashboard_layout_components") or []:
            dest_element = element_map.get(str(component.get("dashboard_element_id")))
            target = by_element.get(dest_element or "")
            if target is None:
                continue
            wanted = body_dict(
                m.WriteDashboardLayoutComponent,
                {
                    k: v
                    for k, v in component.items()
                    if k not in ("id", "dashboard_layout_id", "dashboard_element_id")
                },
                "dashboard layout component",
            )
            diff = diff_fields(wanted, target)
            if diff:
                r.api.write(
                    "update_dashboard_layout_component",
                    str(target.get("id")),
                    body=write_model(
                        m.WriteDashboardLayoutComponent, {k: wanted[k] for k in diff}, "component"
                    ),
                )
                writes += 1
        return writes


def pair_tiles(
    same_instance: bool, elements: list[dict[str, Any]], existing: list[dict[str, Any]]
) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """Each backup tile with the destination tile it becomes (None: to be created): the
    same id in the instance it came from, else the first unclaimed tile, in id order, that
    shows the same thing. Deterministic, so once a dashboard is restored the pairing names
    where each backup tile went (`tile_ids`: alerts find their tile this way)."""
    unmatched = {str(e.get("id")): e for e in sorted(existing, key=id_order)}
    pairs: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    for source in sorted(elements, key=id_order):
        match = unmatched.pop(str(source.get("id")), None) if same_instance else None
        if match is None:
            key = _element_key(source)
            for eid, candidate in list(unmatched.items()):
                if _element_key(candidate) == key:
                    match = unmatched.pop(eid)
                    break
        pairs.append((source, match))
    return pairs


TILE_FIELDS = "id,type,title,title_text,body_text,look_id,query(model,view,fields)"


class TilesPlaced:
    """Where each backup tile went, per session (Restorer) and backup dashboard, as the
    dashboard restore reconciled them: alerts restored later in the session find their
    tile without reading the dashboard again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_session: weakref.WeakKeyDictionary[Any, dict[str, dict[str, str]]] = (
            weakref.WeakKeyDictionary()
        )

    def remember(self, r: Restorer, source_dashboard_id: str, tiles: dict[str, str]) -> None:
        with self._lock:
            self._by_session.setdefault(r, {})[str(source_dashboard_id)] = dict(tiles)

    def get(self, r: Restorer, source_dashboard_id: str) -> dict[str, str] | None:
        with self._lock:
            return self._by_session.get(r, {}).get(str(source_dashboard_id))


TILES_PLACED = TilesPlaced()


def tile_ids(r: Restorer, source_dashboard_id: str, dest_dashboard_id: str) -> dict[str, str]:
    """Backup tile id -> destination tile id for a restored dashboard: what this session's
    restore of it recorded, else its backup row's tiles paired with the destination's
    (one read of the destination's tiles; a dashboard restored in an earlier session)."""
    placed = TILES_PLACED.get(r, source_dashboard_id)
    if placed is not None:
        return placed
    with r.db_lock:
        data = r.source.blob(CT.DASHBOARD, source_dashboard_id) or {}
    existing = as_dict(
        r.api.read("dashboard_dashboard_elements", dest_dashboard_id, fields=TILE_FIELDS)
    )
    pairs = pair_tiles(r.same_instance, data.get("dashboard_elements") or [], existing or [])
    return {str(s.get("id")): str(d.get("id")) for s, d in pairs if d is not None}


def _element_key(element: dict[str, Any]) -> tuple:
    """Recognise a tile on the destination: its type, titles, text and what it shows."""
    query = element.get("query") or {}
    return (
        element.get("type"),
        element.get("title"),
        element.get("title_text"),
        element.get("body_text"),
        query.get("model"),
        query.get("view"),
        tuple(query.get("fields") or ()),
        bool(element.get("look_id")),
    )
