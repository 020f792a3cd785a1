"""Dashboards: by title in the mapped folder, owner mapped by email, then reconciled
tile for tile: filters by name, tiles (elements) with their queries, Looks or merge
queries and their result makers (the `listen` wiring of tiles to filters, vis config,
sorts, totals, dynamic fields), layouts and their components."""

from __future__ import annotations

import logging
import threading
import weakref
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
    normalized,
    text_id,
    write_fields,
    write_model,
)
from restoration.engine.content.looks import content_settings, in_folder_key
from restoration.engine.content.merge_queries import (
    MERGE_QUERY_KEY,
    check_sources,
    destination_merge,
    left_out_warning,
    merge_for_tile,
    question,
)
from restoration.engine.content.queries import check_model, query_body, tile_query_id
from restoration.looker.serialization import api_dict

logger = logging.getLogger(__name__)

# Ids per bulk search: the batch the runner hands over (64 items) fits in one.
PREFETCH_IDS = 100

if TYPE_CHECKING:
    from restoration.engine.destination import DestinationState
    from restoration.engine.plan import PlanEntry
    from restoration.engine.restorer import Restorer


class DashboardKind(ContentKind):
    content_type = CT.DASHBOARD
    label = "dashboard"
    # The whole dashboard as the batch prefetch reads it (search_dashboards by ids):
    # its tiles with their query, Look or merge query ids (all immutable in Looker) and
    # result makers, its filters and layouts. No public source says Looker moves a
    # dashboard's updated_at when a tile changes, so the tiles themselves are stamped.
    stamp_fields = frozenset(
        {
            *write_fields(m.WriteDashboard),
            "folder_id",
            "user_id",
            "deleted",
            "updated_at",
            "dashboard_elements",
            "dashboard_filters",
            "dashboard_layouts",
        }
    )
    # Tiles, filters and layouts are written one by one: a written dashboard is read
    # once more in bulk after the type (`stamps_after_type`).
    stamped_after_write = False

    def listed(self, r: Restorer, dest_id: str) -> dict[str, Any] | None:
        return r.peek_prefetched(CT.DASHBOARD, dest_id)

    def still_restorable(self, r: Restorer, data: dict[str, Any]) -> None:
        for element in data.get("dashboard_elements") or []:
            if not text_id(element.get("look_id")):
                check_model(r, element.get("query"))
                if element.get(MERGE_QUERY_KEY):
                    check_sources(r, element[MERGE_QUERY_KEY])

    def stamps_after_type(self, r: Restorer, dest_ids: list[str]) -> dict[str, str]:
        stamps: dict[str, str] = {}
        for start in range(0, len(dest_ids), PREFETCH_IDS):
            ids = ",".join(dest_ids[start : start + PREFETCH_IDS])
            for found in r.api.read("search_dashboards", id=ids, limit=PREFETCH_IDS) or []:
                obj = as_dict(found)
                stamp = self.stamp(obj)
                if stamp is not None:
                    stamps[str(obj.get("id"))] = stamp
        return stamps

    def listing(self, state: DestinationState) -> list[dict[str, Any]]:
        return state.content_listing("search_dashboards", deleted_value="true")

    def natural_key(self, obj: dict[str, Any]) -> Any:
        return in_folder_key(obj)

    def search_by_key(self, key: Any) -> tuple[str, dict[str, Any]]:
        return ("search_dashboards", {"folder_id": key[0], "title": key[1]})

    def translated_for_key(self, r: Restorer, data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "folder_id": r.ref(CT.FOLDER, data.get("folder_id"))}

    def prefetch(self, r: Restorer, entries: list[PlanEntry]) -> None:
        """The batch's dashboards that already have a place in the destination, whole
        (tiles, filters, layouts), in one search by ids: search_dashboards answers the
        same Dashboard objects as dashboard(id). A re-run then needs no read per item."""
        index = r.state.index(CT.DASHBOARD)
        wanted: list[str] = []
        for entry in entries:
            mapped = r.mappings.get(CT.DASHBOARD, entry.content_id)
            if mapped in index.by_id:
                wanted.append(mapped)
            elif r.same_instance and entry.content_id in index.by_id:
                wanted.append(entry.content_id)
        for start in range(0, len(wanted), PREFETCH_IDS):
            ids = ",".join(wanted[start : start + PREFETCH_IDS])
            found = r.api.read("search_dashboards", id=ids, limit=PREFETCH_IDS)
            r.keep_prefetched(CT.DASHBOARD, [as_dict(d) for d in found or []])

    def restore(self, r: Restorer, entry: PlanEntry, data: dict[str, Any]) -> Outcome:
        what = f"dashboard {entry.content_id}"
        elements, left_out = self._restorable_tiles(r, data)
        # The folder: its mapping, else the same id in the same instance, else the folder
        # with the same name under the mapped parent (Restorer.ref, folders.FolderKind);
        # the owner likewise, left out when not restored. Shared with Looks:
        # looks.content_settings.
        wanted = content_settings(r, m.WriteDashboard, data, what)
        key = (wanted.get("folder_id"), wanted.get("title"))
        dest_id, deleted = r.locate(CT.DASHBOARD, entry.content_id, key)
        current = None
        if dest_id:
            current = r.take_prefetched(CT.DASHBOARD, dest_id) or as_dict(
                r.api.read("dashboard", dest_id)
            )
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
        outcome.warnings.extend(reason for _, reason in left_out)
        dest = outcome.destination_id
        base = current if current is not None else (obj or {})
        pairs, extra = pair_tiles(
            r.same_instance,
            elements,
            base.get("dashboard_elements") or [],
            [element for element, _ in left_out],
            reuse_edited=not r.config.keep_extra,
        )
        if r.dry_run:
            self._check_tiles(r, data, elements)
            if current is not None:
                self._dry_run_tiles(r, outcome, data, current, pairs, extra)
            for element, _ in left_out:
                if element.get("merge_result_id"):
                    outcome.diff[f"tile {element.get('title') or element.get('id')}"] = [
                        None,
                        "left out: its merge query is not in the backup",
                    ]
            return outcome
        wrote = self._reconcile_filters(r, dest, data, base)
        known = {text_id(e.get("id")) for e in base.get("dashboard_elements") or []}
        element_map, created_elements, changed = self._reconcile_elements(r, dest, pairs, known)
        TILES_PLACED.remember(r, entry.content_id, element_map)
        for warning in outcome.warnings:
            logger.warning("dashboard %s restored as %s: %s", entry.content_id, dest, warning)
        wrote += changed
        if not r.config.keep_extra:
            wrote += self._remove_extra_tiles(r, extra)
        layouts = base.get("dashboard_layouts") or []
        if created_elements or not layouts:
            layouts = as_dict(r.api.read("dashboard_dashboard_layouts", dest)) or []
        wrote += self._reconcile_layouts(r, dest, data, layouts, element_map)
        if wrote and outcome.status == "skipped":
            outcome.status, outcome.reason = "updated", ""
            outcome.diff["tiles"] = ["changed", f"{wrote} tile/filter/layout writes"]
        outcome.compared = current  # what a run that wrote nothing found equal
        return outcome

    def _restorable_tiles(
        self, r: Restorer, data: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], list[tuple[dict[str, Any], str]]]:
        """The tiles to restore, and those left out with the reason (a Look tile whose
        Look is neither in the backup nor in the destination; a merged tile whose merge
        query is not in the backup, restored into another instance): the rest of the
        dashboard is still worth restoring, and the left-out tile becomes a warning on
        the item."""
        elements: list[dict[str, Any]] = []
        left_out: list[tuple[dict[str, Any], str]] = []
        for element in sorted(data.get("dashboard_elements") or [], key=id_order):
            look_id = text_id(element.get("look_id"))
            if element.get("merge_result_id") and not look_id:
                if warning := left_out_warning(r, element):
                    # Looker refuses a vis tile with nothing to show (looker-cli #12).
                    left_out.append((element, warning))
                    continue
                if element.get(MERGE_QUERY_KEY):
                    check_sources(r, element[MERGE_QUERY_KEY])
                check_model(r, element.get("query"))
                elements.append(element)
            elif look_id is None:
                check_model(r, element.get("query"))
                elements.append(element)
            elif r.ref(CT.LOOK, look_id, required=False) is not None:
                elements.append(element)
            elif self._look_in_backup(r, look_id):
                r.ref(CT.LOOK, look_id)  # in the backup but not restored: fail, naming it
            else:
                title = element.get("title") or element.get("title_text") or ""
                left_out.append(
                    (
                        element,
                        f"tile {element.get('id')} {title!r} left out: it shows look {look_id}, "
                        "which is neither in the backup nor in the destination",
                    )
                )
        return elements, left_out

    def _look_in_backup(self, r: Restorer, look_id: str) -> bool:
        with r.db_lock:
            return r.source.in_backup(CT.LOOK, look_id)

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
        pairs: list[tuple[dict[str, Any], dict[str, Any] | None]],
        extra: list[dict[str, Any]],
    ) -> None:
        """Dry run on an existing dashboard: which filters and tiles would change, and
        which the backup lacks and would be removed (unless extras are kept)."""
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
        missing = 0
        for source, match in pairs:
            if match is None or _element_key(source) != _element_key(match):
                missing += 1
                continue
            label = f"tile {source.get('title') or source.get('title_text') or source.get('id')}"
            wanted_rm = result_maker_settings(source)
            have_rm = result_maker_settings(match) or {}
            if wanted_rm and _result_maker_differs(wanted_rm, have_rm):
                outcome.diff[f"{label} result_maker"] = [
                    {k: have_rm.get(k) for k in wanted_rm},
                    wanted_rm,
                ]
            if source.get(MERGE_QUERY_KEY):
                have_merge = destination_merge(r, text_id(match.get("merge_result_id")))
                if have_merge is None or question(have_merge) != question(source[MERGE_QUERY_KEY]):
                    outcome.diff[f"{label} merge query"] = [
                        text_id(match.get("merge_result_id")),
                        "a merge query asking the backup's question",
                    ]
        if missing:
            outcome.diff["tiles"] = [
                len(current.get("dashboard_elements") or []),
                f"{missing} tile(s) to add or change",
            ]
        if not r.config.keep_extra:
            removed = [f"tile {e.get('id')} {_tile_title(e)!r}" for e in extra]
            wanted_names = {f.get("name") for f in data.get("dashboard_filters") or []}
            removed += [f"filter {name!r}" for name in have if name not in wanted_names]
            if removed:
                outcome.diff["would remove"] = [removed, None]
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
        if not r.config.keep_extra:
            wanted_names = {f.get("name") for f in data.get("dashboard_filters") or []}
            for name, existing in have.items():
                if name not in wanted_names:
                    r.api.write("delete_dashboard_filter", text_id(existing.get("id")))
                    writes += 1
        return writes

    def _remove_extra_tiles(self, r: Restorer, extra: list[dict[str, Any]]) -> int:
        """Tiles the destination has and the backup lacks: removed (their layout
        components go with them), so the dashboard ends equal to the backup."""
        for element in extra:
            r.api.write("delete_dashboard_element", text_id(element.get("id")))
        return len(extra)

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
                "merge_result_id",
                MERGE_QUERY_KEY,
            )
        }
        wanted = body_dict(
            m.WriteDashboardElement, cleaned, f"dashboard element {source.get('id')}"
        )
        wanted["dashboard_id"] = dest
        if source.get("look_id"):
            wanted["look_id"] = r.ref(CT.LOOK, source["look_id"])
        settings = result_maker_settings(source)
        if settings:
            # Filter names and field references are names, not ids: kept as backed up.
            wanted["result_maker"] = settings
        return wanted

    def _reconcile_elements(
        self,
        r: Restorer,
        dest: str,
        pairs: list[tuple[dict[str, Any], dict[str, Any] | None]],
        known: set[str | None],
    ) -> tuple[dict[str, str], int, int]:
        """Each backup tile created or brought up to date. `known`: the dashboard's tiles
        before, and those made here, so a lost create's finder never takes one of them."""
        element_map: dict[str, str] = {}
        created = changed = 0
        for source, match in pairs:
            wanted = self._element_wanted(r, dest, source)
            query = source.get("query") if not source.get("look_id") else None
            what = f"dashboard element {source.get('id')}"
            if source.get("merge_result_id"):
                have_id = text_id(match.get("merge_result_id")) if match else None
                # A merged tile that cannot be restored is left out before (_restorable_tiles).
                merge_id, _ = merge_for_tile(r, source, have_id)
                wanted["merge_result_id"] = merge_id
                if "result_maker" in wanted:
                    wanted["result_maker"]["merge_result_id"] = merge_id
            if match is None:
                if query:
                    wanted["query_id"] = tile_query_id(r, source, query)
                obj = r.api.write(
                    "create_dashboard_element",
                    body=write_model(m.WriteDashboardElement, wanted, what),
                    known=known,
                )
                known.add(str(obj.id))
                element_map[str(source.get("id"))] = str(obj.id)
                created += 1
                continue
            element_map[str(source.get("id"))] = str(match.get("id"))
            if query and query_body(match.get("query")) != query_body(query):
                wanted["query_id"] = tile_query_id(r, source, query)
            wanted_rm = wanted.pop("result_maker", None)
            if "result_maker" not in match:
                # A destination that does not answer with result_maker cannot be compared
                # on it; it was sent with the create.
                wanted_rm = None
            diff = diff_fields(wanted, match)
            if wanted_rm and _result_maker_differs(wanted_rm, result_maker_settings(match) or {}):
                diff["result_maker"] = [result_maker_settings(match), wanted_rm]
                wanted["result_maker"] = wanted_rm
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
        known = {text_id(lay.get("id")) for lay in layouts}
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
                        known=known,
                    )
                )
                known.add(text_id(obj.get("id")))
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
    same_instance: bool,
    elements: list[dict[str, Any]],
    existing: list[dict[str, Any]],
    left_out: list[dict[str, Any]] | None = None,
    reuse_edited: bool = False,
) -> tuple[list[tuple[dict[str, Any], dict[str, Any] | None]], list[dict[str, Any]]]:
    """Each backup tile with the destination tile it becomes (None: to be created), and
    the destination tiles no backup tile claims.

    In the instance it came from a backup tile first claims its own id. Then, in id
    order, each backup tile claims the first unclaimed tile that shows the same thing
    (`_element_key`). With `reuse_edited` (an exact restore, which would remove every
    unclaimed tile anyway) two looser passes follow, so a tile edited by hand is put back
    in place, keeping its id and the alerts on it, instead of being removed and made
    again: the same type showing the same query (`_shown_key`: its title was edited),
    then the same type and title (`_titled_key`: what it shows was edited).
    A left-out tile still claims its counterpart, which stays as it is: leaving a tile
    out never removes one. Deterministic, so once a dashboard is restored the pairing
    names where each backup tile went (`tile_ids`: alerts find their tile this way)."""
    unmatched = {str(e.get("id")): e for e in sorted(existing, key=id_order)}
    skipped = {str(e.get("id")) for e in left_out or []}
    sources = sorted([*elements, *(left_out or [])], key=id_order)
    matches: dict[int, dict[str, Any]] = {}
    if same_instance:
        for i, source in enumerate(sources):
            claimed = unmatched.pop(str(source.get("id")), None)
            if claimed is not None:
                matches[i] = claimed
    keys = (_element_key, _shown_key, _titled_key) if reuse_edited else (_element_key,)
    for key_of in keys:
        for i, source in enumerate(sources):
            if i in matches:
                continue
            key = key_of(source)
            for eid, candidate in list(unmatched.items()):
                if key_of(candidate) == key:
                    matches[i] = unmatched.pop(eid)
                    break
    pairs = [
        (source, matches.get(i))
        for i, source in enumerate(sources)
        if str(source.get("id")) not in skipped
    ]
    return pairs, list(unmatched.values())


def _tile_title(element: dict[str, Any]) -> str:
    return element.get("title") or element.get("title_text") or element.get("type") or ""


# What a tile's result maker holds of its own (the rest is the tile's query, Look or
# merge query, written as the tile's own fields).
RESULT_MAKER_SETTINGS = ("filterables", "vis_config", "dynamic_fields", "sorts", "total")
FILTERABLE_FIELDS = ("model", "view", "name", "listen")


def result_maker_settings(element: dict[str, Any]) -> dict[str, Any] | None:
    """The tile's result maker settings as backed up or read: filterables (model, view,
    name, `listen` [{dashboard_filter_name, field}]), vis config, dynamic fields, sorts
    and total; None for a tile without a result maker (text tiles)."""
    # The element may come straight from the SDK: plain data at every depth first.
    result_maker = api_dict(element.get("result_maker"))
    if not result_maker:
        return None
    out = {k: result_maker[k] for k in RESULT_MAKER_SETTINGS if result_maker.get(k) is not None}
    if "filterables" in out:
        out["filterables"] = [
            {k: f[k] for k in FILTERABLE_FIELDS if f.get(k) is not None} for f in out["filterables"]
        ]
    return out or None


def _result_maker_differs(wanted: dict[str, Any], have: dict[str, Any]) -> bool:
    """Compared on what the backup sets; `merge_result_id` follows the tile's own."""
    fields = [k for k in wanted if k != "merge_result_id"]
    return normalized({k: have.get(k) for k in fields}) != normalized(
        {k: wanted[k] for k in fields}
    )


# What _element_key reads of a destination tile.
TILE_FIELDS = (
    "id,type,title,title_text,body_text,look_id,merge_result_id,query(model,view,fields),"
    "look(query(model,view,fields))"
)


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
    pairs, _ = pair_tiles(
        r.same_instance,
        data.get("dashboard_elements") or [],
        existing or [],
        reuse_edited=not r.config.keep_extra,
    )
    return {str(s.get("id")): str(d.get("id")) for s, d in pairs if d is not None}


def _element_key(element: dict[str, Any]) -> tuple:
    """Recognise a tile on the destination: its type, titles, text and what it shows. A
    Look tile's query is its Look's: Looker answers it under `look` with the tile's
    `query` null (gzr's real export), so it is read from either place."""
    query = element.get("query") or (element.get("look") or {}).get("query") or {}
    return (
        element.get("type"),
        element.get("title"),
        element.get("title_text"),
        element.get("body_text"),
        query.get("model"),
        query.get("view"),
        tuple(query.get("fields") or ()),
        bool(element.get("look_id")),
        bool(element.get("merge_result_id")),
    )


def _kind(element: dict[str, Any]) -> tuple:
    """What sort of tile: its type, and whether it shows a Look or merged results."""
    return (element.get("type"), bool(element.get("look_id")), bool(element.get("merge_result_id")))


def _shown_key(element: dict[str, Any]) -> tuple:
    """A tile by what it shows, whatever its titles and text say."""
    return (*_kind(element), *_element_key(element)[4:7])


def _titled_key(element: dict[str, Any]) -> tuple:
    """A tile by its title, whatever it shows."""
    return (*_kind(element), element.get("title") or element.get("title_text"))


# -- writes whose answer was lost (restoration.engine.api) -----------------------------
finds_lost_answer("create_dashboard")(created_by_key(CT.DASHBOARD))
retried_as_is(
    "PATCH sets the fields it names",
    "update_dashboard",
    "update_dashboard_filter",
    "update_dashboard_element",
    "update_dashboard_layout",
    "update_dashboard_layout_component",
)


@finds_lost_answer("create_dashboard_filter")
def find_filter(api: DestinationAPI, lost: LostWrite) -> Any:
    """The dashboard's filter of that name (unique on a dashboard: the repeat of a create
    that landed is refused "Filter name already exists")."""
    body = lost.body or {}
    for found in api.read("dashboard_dashboard_filters", text_id(body.get("dashboard_id"))) or []:
        if found.name == body.get("name"):
            return found
    return None


@finds_lost_answer("create_dashboard_element")
def find_tile(api: DestinationAPI, lost: LostWrite) -> Any:
    """A tile of the dashboard that the restore did not know (`known`) and that shows
    what was sent: type, titles, text, Look or query. Tiles have no unique key, hence
    `known`: two equal tiles are two tiles."""
    body = lost.body or {}
    sent = _sent_tile(body)
    found = [
        tile
        for tile in api.read("dashboard_dashboard_elements", text_id(body.get("dashboard_id")))
        or []
        if str(tile.id) not in lost.known and _sent_tile(as_dict(tile)) == sent
    ]
    return min(found, key=lambda t: id_order({"id": t.id})) if found else None


@finds_lost_answer("create_dashboard_layout")
def find_layout(api: DestinationAPI, lost: LostWrite) -> Any:
    """A layout of the dashboard that the restore did not know, of the type sent."""
    body = lost.body or {}
    found = [
        lay
        for lay in api.read("dashboard_dashboard_layouts", text_id(body.get("dashboard_id"))) or []
        if str(lay.id) not in lost.known and lay.type == body.get("type")
    ]
    return min(found, key=lambda x: id_order({"id": x.id})) if found else None


def _sent_tile(element: dict[str, Any]) -> tuple:
    return (
        element.get("type"),
        element.get("title") or None,
        element.get("title_text") or None,
        element.get("body_text") or None,
        text_id(element.get("look_id")),
        text_id(element.get("query_id")),
    )
