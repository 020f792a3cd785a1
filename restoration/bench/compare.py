"""How a restored destination compares with its source, in figures: objects equal after
mapping (source id -> destination id), duplicates (objects of a restored type that no
mapping explains, tiles, filters, sections and items beyond the source's), for
`manage.py bench lost_answers` and the tests that hold a restore to "exactly once"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from restoration.content_types import ContentType as CT
from restoration.engine.api import as_dict

Translate = Callable[[int, Any], "str | None"]

# What the destination lists per restored type, as (SDK method, keyword arguments).
LISTINGS: dict[int, tuple[str, dict[str, Any]]] = {
    CT.USER: ("all_users", {}),
    CT.GROUP: ("all_groups", {}),
    CT.PERMISSION_SET: ("all_permission_sets", {}),
    CT.MODEL_SET: ("all_model_sets", {}),
    CT.ROLE: ("all_roles", {}),
    CT.FOLDER: ("all_folders", {}),
    CT.LOOKML_MODEL: ("all_lookml_models", {}),
    CT.LOOK: ("all_looks", {}),
    CT.DASHBOARD: ("all_dashboards", {}),
    CT.BOARD: ("all_boards", {}),
    CT.SCHEDULED_PLAN: ("all_scheduled_plans", {"all_users": True}),
    CT.USER_ATTRIBUTE: ("all_user_attributes", {}),
    CT.ALERT: ("search_alerts", {"all_owners": True}),
}
QUERY_FIELDS = ("model", "view", "fields", "pivots", "filters", "sorts", "limit")


def _id(obj: Any) -> str:
    """An object's id; a LookML model's is its name."""
    found = getattr(obj, "id", None)
    return str(found if found is not None else obj.name)


def inventory(sdk: Any) -> dict[int, set[str]]:
    """The ids of every object of each restored type (personal folders left out: Looker
    makes one with each user)."""
    out: dict[int, set[str]] = {}
    for content_type, (method, kwargs) in LISTINGS.items():
        rows = getattr(sdk, method)(**kwargs) or []
        if content_type == CT.FOLDER:
            rows = [f for f in rows if not f.is_personal]
        out[int(content_type)] = {_id(r) for r in rows}
    return out


def duplicates(
    before: dict[int, set[str]], after: dict[int, set[str]], mapped: dict[int, set[str]]
) -> dict[str, int]:
    """Objects of each type that are new since `before` and that no mapping points to."""
    out: dict[str, int] = {}
    for content_type, ids in after.items():
        extra = ids - before.get(content_type, set()) - mapped.get(content_type, set())
        if extra:
            out[CT(content_type).label] = len(extra)
    return out


def _query(obj: dict[str, Any]) -> tuple:
    query = obj.get("query") or {}
    return tuple(str(query.get(k)) for k in QUERY_FIELDS)


def _tiles(dash: dict[str, Any], tr: Translate | None) -> list[tuple]:
    out = []
    for e in dash.get("dashboard_elements") or []:
        look = e.get("look_id")
        out.append(
            (
                e.get("type"),
                e.get("title"),
                e.get("title_text"),
                e.get("body_text"),
                (tr(CT.LOOK, look) if tr else str(look)) if look else None,
                _query(e) if not look else None,
            )
        )
    return sorted(out, key=repr)


def _filters(dash: dict[str, Any]) -> list[tuple]:
    return sorted(
        (f.get("name"), f.get("title"), f.get("type"), f.get("dimension"))
        for f in dash.get("dashboard_filters") or []
    )


def compare(src: Any, dst: Any, tr: Translate, *, skip: set[tuple[int, str]]) -> dict[str, Any]:
    """Each source object against its mapped destination object: `equal`, `compared`,
    `extra_children` (destination tiles, filters, sections and items beyond the source's:
    duplicates a lost answer could make) and the first `differences`. `skip`: (type, source
    id) of items that were not meant to arrive (dead letters of a run without faults)."""
    equal = compared = extra = 0
    differences: list[str] = []

    def check(content_type: int, sid: Any, same: Callable[[Any], bool]) -> None:
        nonlocal equal, compared
        if (int(content_type), str(sid)) in skip:
            return
        compared += 1
        did = tr(content_type, sid)
        try:
            ok = did is not None and same(did)
        except Exception as exc:  # a missing object is a difference, not a crash
            ok = False
            differences.append(f"{CT(content_type).label} {sid}: {type(exc).__name__}")
            return
        if ok:
            equal += 1
        elif len(differences) < 20:
            differences.append(f"{CT(content_type).label} {sid} -> {did}")

    for user in src.all_users():

        def same_user(did: str, user: Any = user) -> bool:
            copy = dst.user(did)
            return (
                (copy.first_name, copy.last_name) == (user.first_name, user.last_name)
                and sorted(copy.group_ids or [])
                == sorted(tr(CT.GROUP, g) for g in user.group_ids or [])
                and sorted(copy.role_ids or [])
                == sorted(tr(CT.ROLE, r) for r in user.role_ids or [])
            )

        check(CT.USER, user.id, same_user)
    for group in src.all_groups():
        check(CT.GROUP, group.id, lambda did, g=group: dst.group(did).name == g.name)
    for role in src.all_roles():

        def same_role(did: str, role: Any = role) -> bool:
            copy = dst.role(did)
            return (
                copy.name == role.name
                and copy.permission_set.id == tr(CT.PERMISSION_SET, role.permission_set.id)
                and copy.model_set.id == tr(CT.MODEL_SET, role.model_set.id)
            )

        check(CT.ROLE, role.id, same_role)
    for folder in src.all_folders():

        def same_folder(did: str, folder: Any = folder) -> bool:
            copy = dst.folder(did)
            return (copy.name == folder.name or bool(folder.is_personal)) and (
                copy.parent_id == tr(CT.FOLDER, folder.parent_id)
                if folder.parent_id
                else not copy.parent_id
            )

        check(CT.FOLDER, folder.id, same_folder)
    for look in src.all_looks():

        def same_look(did: str, look: Any = look) -> bool:
            copy, original = as_dict(dst.look(did)), as_dict(src.look(look.id))
            return (
                copy["title"] == original["title"]
                and copy["folder_id"] == tr(CT.FOLDER, original["folder_id"])
                and _query(copy) == _query(original)
            )

        check(CT.LOOK, look.id, same_look)
    for summary in src.all_dashboards():
        original = as_dict(src.dashboard(summary.id))

        def same_dashboard(did: str, original: dict[str, Any] = original) -> bool:
            nonlocal extra
            copy = as_dict(dst.dashboard(did))
            want, got = _tiles(original, tr), _tiles(copy, None)
            extra += max(0, len(got) - len(want))
            extra += max(0, len(_filters(copy)) - len(_filters(original)))
            # Tiles showing a Look that is in neither instance are left out by design.
            kept = [t for t in want if not (t[4] is None and t[0] == "vis" and t[5] is None)]
            return (
                copy["title"] == original["title"]
                and copy["folder_id"] == tr(CT.FOLDER, original["folder_id"])
                and all(t in got for t in kept)
                and len(got) <= len(want)
                and _filters(copy) == _filters(original)
            )

        check(CT.DASHBOARD, summary.id, same_dashboard)
    for board in src.all_boards():

        def same_board(did: str, board: Any = board) -> bool:
            nonlocal extra
            copy = dst.board(did)
            want = [
                (
                    s.title,
                    [
                        (tr(CT.DASHBOARD, i.dashboard_id), tr(CT.LOOK, i.look_id))
                        for i in s.board_items
                    ],
                )
                for s in board.board_sections
            ]
            got = [
                (s.title, [(i.dashboard_id, i.look_id) for i in s.board_items])
                for s in copy.board_sections
            ]
            extra += max(0, len(got) - len(want))
            extra += max(0, sum(len(s[1]) for s in got) - sum(len(s[1]) for s in want))
            return copy.title == board.title and got == want

        check(CT.BOARD, board.id, same_board)
    for plan in src.all_scheduled_plans(all_users=True):

        def same_plan(did: str, plan: Any = plan) -> bool:
            copy = dst.scheduled_plan(did)
            return copy.name == plan.name and (
                copy.dashboard_id == tr(CT.DASHBOARD, plan.dashboard_id)
                if plan.dashboard_id
                else copy.look_id == tr(CT.LOOK, plan.look_id)
                if plan.look_id
                else True
            )

        check(CT.SCHEDULED_PLAN, plan.id, same_plan)
    for attribute in src.all_user_attributes():

        def same_attribute(did: str, attribute: Any = attribute) -> bool:
            copy = dst.user_attribute(did)
            if (copy.name, copy.label, copy.type) != (
                attribute.name,
                attribute.label,
                attribute.type,
            ):
                return False
            if attribute.is_system or attribute.value_is_hidden:
                return True  # never written / values not backed up
            want = [
                (tr(CT.GROUP, v.group_id), v.value)
                for v in src.all_user_attribute_group_values(attribute.id) or []
            ]
            got = [
                (str(v.group_id), v.value) for v in dst.all_user_attribute_group_values(did) or []
            ]
            return got == want

        check(CT.USER_ATTRIBUTE, attribute.id, same_attribute)
    for alert in src.search_alerts(all_owners=True) or []:

        def same_alert(did: str, alert: Any = alert) -> bool:
            copy = dst.get_alert(did)
            return (
                str(copy.owner_id) == tr(CT.USER, alert.owner_id)
                and copy.comparison_type == alert.comparison_type
                and float(copy.threshold or 0) == float(alert.threshold or 0)
                and copy.cron == alert.cron
                and copy.field.name == alert.field.name
            )

        check(CT.ALERT, alert.id, same_alert)
    return {
        "equal": equal,
        "compared": compared,
        "extra_children": extra,
        "differences": differences,
    }
