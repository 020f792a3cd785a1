"""Re-runs: an item unchanged in the backup and in the destination's listings since the
restore that last wrote or verified it is skipped without a read of its own; a hand
edit the listings show is still noticed and repaired; what no listing shows (folder
access, alert followers) is compared with --verify (docs/restore.md, "Re-runs")."""

from __future__ import annotations

from collections import Counter

import pytest

from restoration.content_types import ContentType as CT
from restoration.looker.instances import make_sdk
from restoration.models import DryRunItem, IDMapping
from tests.engine.conftest import fast_config, restore

pytestmark = pytest.mark.django_db(transaction=True)


def per_item_calls(counters: dict) -> Counter[str]:
    """Calls that name one object (a path parameter), logins and logouts left out."""
    return Counter(
        {
            call: n
            for call, n in counters["calls"].items()
            if "{" in call and "/login" not in call and "/logout" not in call
        }
    )


def mapped(content_type: int, source_id: str) -> str:
    return IDMapping.objects.get(content_type=content_type, source_id=source_id).destination_id


@pytest.fixture
def restored(backup, looker_source, looker_destination):
    first = restore(fast_config(looker_source, looker_destination))
    assert first.status == "completed", first.last_error
    assert first.error_count == 0
    return first


def test_an_unchanged_rerun_makes_no_call_per_item(restored, looker_source, looker_destination):
    looker_destination.reset_counters()
    again = restore(fast_config(looker_source, looker_destination))
    counters = looker_destination.counters()
    assert again.status == "completed", again.last_error
    assert counters["writes"] == 0
    assert again.created_count == again.updated_count == again.error_count == 0
    # Only items with a warning (compared again so the warning is reported again) may
    # read on their own; everything else is answered by the listings.
    warned = len((again.metadata or {}).get("warnings") or [])
    assert sum(per_item_calls(counters).values()) <= 3 * warned, per_item_calls(counters)
    assert again.api_calls / again.total_items < 0.25

    # The same re-run with --verify compares in full: the per-item reads come back.
    looker_destination.reset_counters()
    verified = restore(fast_config(looker_source, looker_destination, verify=True))
    assert verified.status == "completed" and looker_destination.counters()["writes"] == 0
    assert sum(per_item_calls(looker_destination.counters()).values()) > 3 * warned
    assert verified.api_calls > 2 * again.api_calls


def test_hand_edits_the_listings_show_are_planned_and_repaired(
    restored, looker_source, looker_destination
):
    src, dst = make_sdk("source"), make_sdk("destination")
    # Dashboards the first restore recorded (one restored with a warning is compared in
    # full on every run anyway, and would prove nothing here).
    recorded = set(
        IDMapping.objects.filter(content_type=CT.DASHBOARD)
        .exclude(destination_stamp="")
        .values_list("source_id", flat=True)
    )
    dashboards = [
        d
        for d in src.all_dashboards()
        if d.id in recorded and len(src.dashboard(d.id).dashboard_elements)
    ]

    def plain_query_tile(dashboard_id: str):
        """A query tile (not merged) whose query asks for two fields or more, or None."""
        for e in dst.dashboard(mapped(CT.DASHBOARD, dashboard_id)).dashboard_elements:
            if e.query_id and not e.merge_result_id and len(dst.query(e.query_id).fields) > 1:
                return e
        return None

    requeried_on = next(d for d in dashboards if plain_query_tile(d.id) is not None)
    renamed, retiled = [d for d in dashboards if d.id != requeried_on.id][:2]
    look = src.all_looks()[0]
    folder = next(
        f
        for f in src.all_folders()
        if not (f.is_personal or f.is_shared_root or f.is_users_root or f.is_embed_shared_root)
        and not f.is_embed_users_root
        and f.id != "lookml"
        and f.parent_id
    )
    group = next(g for g in src.all_groups() if not g.include_by_default)

    dst.update_dashboard(mapped(CT.DASHBOARD, renamed.id), body={"title": "edited by hand"})
    tile = dst.dashboard(mapped(CT.DASHBOARD, retiled.id)).dashboard_elements[0]
    original_tile_title = tile.title
    dst.update_dashboard_element(tile.id, body={"title": "tile edited by hand"})
    # A tile pointed at another query: seen in the tile itself only, not in the layout.
    queried = plain_query_tile(requeried_on.id)
    query = dst.query(queried.query_id)
    other = dst.create_query(
        body={"model": query.model, "view": query.view, "fields": query.fields[:1]}
    )
    dst.update_dashboard_element(queried.id, body={"query_id": other.id})
    dst.update_look(mapped(CT.LOOK, look.id), body={"title": "look edited by hand"})
    dst.update_folder(mapped(CT.FOLDER, folder.id), body={"name": "folder edited by hand"})
    dst.update_group(mapped(CT.GROUP, group.id), body={"name": "group edited by hand"})

    plan = restore(fast_config(looker_source, looker_destination, dry_run=True))
    assert plan.status == "completed", plan.last_error
    planned = {
        (row.content_type, row.content_id)
        for row in DryRunItem.objects.filter(session=plan, action="update")
    }
    assert {
        (CT.DASHBOARD, renamed.id),
        (CT.DASHBOARD, retiled.id),
        (CT.DASHBOARD, requeried_on.id),
        (CT.LOOK, look.id),
        (CT.FOLDER, folder.id),
        (CT.GROUP, group.id),
    } <= planned

    again = restore(fast_config(looker_source, looker_destination))
    assert again.status == "completed", again.last_error
    assert dst.dashboard(mapped(CT.DASHBOARD, renamed.id)).title == renamed.title

    def asked(sdk, dashboard_id: str) -> list[list[str]]:
        return sorted(
            list(sdk.query(e.query_id).fields)
            for e in sdk.dashboard(dashboard_id).dashboard_elements
            if e.query_id and not e.merge_result_id
        )

    assert asked(dst, mapped(CT.DASHBOARD, requeried_on.id)) == asked(src, requeried_on.id)
    tiles = {
        e.id: e.title for e in dst.dashboard(mapped(CT.DASHBOARD, retiled.id)).dashboard_elements
    }
    assert "tile edited by hand" not in tiles.values()
    assert original_tile_title in tiles.values()
    assert dst.look(mapped(CT.LOOK, look.id)).title == look.title
    assert dst.folder(mapped(CT.FOLDER, folder.id)).name == folder.name
    assert dst.group(mapped(CT.GROUP, group.id)).name == group.name

    # Repaired, and recorded again: the next run is quiet.
    looker_destination.reset_counters()
    quiet = restore(fast_config(looker_source, looker_destination))
    assert looker_destination.counters()["writes"] == 0
    assert quiet.updated_count == 0


def test_a_tile_edit_leaves_the_dashboards_updated_at_alone(restored, looker_destination):
    """No public source says Looker moves a dashboard's updated_at when one of its tiles
    changes: the emulator does not, so the engine cannot lean on it."""
    dst = make_sdk("destination")
    dashboard = next(d for d in dst.all_dashboards() if dst.dashboard(d.id).dashboard_elements)
    before = dst.dashboard(dashboard.id)
    dst.update_dashboard_element(before.dashboard_elements[0].id, body={"title": "x"})
    assert dst.dashboard(dashboard.id).updated_at == before.updated_at
    dst.update_dashboard(dashboard.id, body={"description": "y"})
    assert dst.dashboard(dashboard.id).updated_at != before.updated_at


def test_folder_access_edited_by_hand_is_repaired_by_a_verify_run(
    restored, looker_source, looker_destination
):
    src, dst = make_sdk("source"), make_sdk("destination")
    folder = next(
        f
        for f in src.all_folders()
        if f.parent_id  # an ordinary folder: the built-in roots are mapped, never written
        and not f.is_personal
        and src.content_metadata(f.content_metadata_id).inherits is False
        and src.all_content_metadata_accesses(f.content_metadata_id)
    )
    copy = dst.folder(mapped(CT.FOLDER, folder.id))
    rows = dst.all_content_metadata_accesses(copy.content_metadata_id)
    for row in rows:
        dst.delete_content_metadata_access(row.id)

    plain = restore(fast_config(looker_source, looker_destination, content_types=[CT.FOLDER]))
    assert plain.status == "completed" and plain.updated_count == 0
    assert dst.all_content_metadata_accesses(copy.content_metadata_id) == []

    verified = restore(
        fast_config(looker_source, looker_destination, content_types=[CT.FOLDER], verify=True)
    )
    assert verified.status == "completed", verified.last_error
    back = dst.all_content_metadata_accesses(copy.content_metadata_id)
    assert sorted(str((a.group_id, a.user_id, a.permission_type)) for a in back) == sorted(
        str((a.group_id, a.user_id, a.permission_type)) for a in rows
    )


def test_a_changed_backup_item_is_compared_in_full(restored, looker_source, looker_destination):
    """The record holds the backup item's hash: a new backup of a changed Look is
    restored although the destination is as the last restore left it."""
    from restoration.backup import ExtractionOptions, extract_instance

    src, dst = make_sdk("source"), make_sdk("destination")
    look = src.all_looks()[0]
    src.update_look(look.id, body={"title": "renamed at the source"})
    extract_instance(
        "source",
        ExtractionOptions(workers=4, rate_limit_per_second=10000, rate_limit_per_minute=600000),
    )
    again = restore(fast_config(looker_source, looker_destination, content_types=[CT.LOOK]))
    assert again.status == "completed", again.last_error
    assert again.updated_count == 1
    assert dst.look(mapped(CT.LOOK, look.id)).title == "renamed at the source"


def test_what_refers_to_an_object_placed_anew_is_compared_in_full(
    restored, looker_source, looker_destination
):
    """A user deleted in the destination is created again under a new id: the Looks
    they own are unchanged on both sides, yet must name the new user."""
    src, dst = make_sdk("source"), make_sdk("destination")
    me = str(dst.me().id)
    look = next(lk for lk in src.all_looks() if lk.user_id and mapped(CT.USER, lk.user_id) != me)
    old_owner = mapped(CT.USER, look.user_id)
    dst.delete_user(old_owner)

    again = restore(fast_config(looker_source, looker_destination))
    assert again.status == "completed", again.last_error
    new_owner = mapped(CT.USER, look.user_id)
    assert new_owner != old_owner
    assert str(dst.look(mapped(CT.LOOK, look.id)).user_id) == new_owner
