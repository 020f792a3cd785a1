"""Dashboards: by title in the mapped folder, owner mapped by email, then reconciled
tile for tile: filters by name, tiles (elements) with their queries or Looks, layouts
and their components."""

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
    write_model,
)
from restoration.engine.content.looks import NOT_SETTINGS, in_folder_key
from restoration.engine.content.queries import check_model, query_body, tile_query_id

# Ids per bulk search: the batch the runner hands over (64 items) fits in one.
PREFETCH_IDS = 100

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
        pairs, extra = _pair_tiles(r, elements, left_out, base)
        if r.dry_run:
            self._check_tiles(r, data, elements)
            if current is not None:
                self._dry_run_tiles(r, outcome, data, current, pairs, extra)
            return outcome
        wrote = self._reconcile_filters(r, dest, data, base)
        known = {text_id(e.get("id")) for e in base.get("dashboard_elements") or []}
        element_map, created_elements, changed = self._reconcile_elements(r, dest, pairs, known)
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
        return outcome

    def _restorable_tiles(
        self, r: Restorer, data: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], list[tuple[dict[str, Any], str]]]:
        """The tiles to restore, and those left out with the reason (a Look tile whose
        Look is neither in the backup nor in the destination): the rest of the dashboard
        is still worth restoring, and the left-out tile becomes a warning on the item."""
        elements: list[dict[str, Any]] = []
        left_out: list[tuple[dict[str, Any], str]] = []
        for element in sorted(data.get("dashboard_elements") or [], key=id_order):
            look_id = text_id(element.get("look_id"))
            if look_id is None:
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
        missing = sum(
            1
            for source, match in pairs
            if match is None or _element_key(source) != _element_key(match)
        )
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
        result_maker = _result_maker(r, source)
        if result_maker:
            wanted["result_maker"] = result_maker
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
            if "result_maker" not in match:
                # A destination that does not answer with result_maker cannot be compared
                # on it; it was sent with the create.
                wanted.pop("result_maker", None)
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


def _pair_tiles(
    r: Restorer,
    elements: list[dict[str, Any]],
    left_out: list[tuple[dict[str, Any], str]],
    base: dict[str, Any],
) -> tuple[list[tuple[dict[str, Any], dict[str, Any] | None]], list[dict[str, Any]]]:
    """Each backup tile with the destination tile it becomes (the same id in the same
    instance, else the first with the same type, titles and query), and the destination
    tiles no backup tile claims. A left-out tile still claims its counterpart, which
    stays as it is: leaving a tile out never removes one."""
    unmatched = {
        str(e.get("id")): e for e in sorted(base.get("dashboard_elements") or [], key=id_order)
    }

    def claim(source: dict[str, Any]) -> dict[str, Any] | None:
        match = unmatched.pop(str(source.get("id")), None) if r.same_instance else None
        if match is None:
            key = _element_key(source)
            for eid, candidate in list(unmatched.items()):
                if _element_key(candidate) == key:
                    return unmatched.pop(eid)
        return match

    pairs = [(source, claim(source)) for source in elements]
    for source, _ in left_out:
        claim(source)
    return pairs, list(unmatched.values())


def _tile_title(element: dict[str, Any]) -> str:
    return element.get("title") or element.get("title_text") or element.get("type") or ""


def _result_maker(r: Restorer, source: dict[str, Any]) -> dict[str, Any] | None:
    """A tile's result maker (filterables listening to dashboard filters by name,
    dynamic fields, sorts, totals, vis config) with its references translated: the
    query goes by the tile's own query_id; a merge query only within its instance."""
    result_maker = source.get("result_maker")
    if not isinstance(result_maker, dict):
        return None
    dropped = {"id", "query", "query_id", "sql_query_id", "merge_result_id"}
    data = {k: v for k, v in result_maker.items() if k not in dropped}
    if r.same_instance and result_maker.get("merge_result_id"):
        data["merge_result_id"] = result_maker["merge_result_id"]
    found = body_dict(
        m.WriteResultMakerWithIdVisConfigAndDynamicFields,
        data,
        f"result maker of dashboard element {source.get('id')}",
    )
    return found or None


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
