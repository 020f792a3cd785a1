"""A dashboard's folder is remapped by name under the mapped parent: restoring only the
dashboard into an instance that already has the same folder tree (other ids) puts it
in that folder, and never in a folder that merely shares the name elsewhere."""

from __future__ import annotations

import pytest
from looker_sdk.sdk.api40 import models as m

from restoration.content_types import ContentType as CT
from restoration.looker.instances import make_sdk
from tests.engine.conftest import fast_config, restore, take_backup

pytestmark = pytest.mark.django_db(transaction=True)


def shared_root(sdk) -> str:
    return next(f.id for f in sdk.all_folders() if f.is_shared_root)


def test_the_dashboard_lands_in_the_folder_of_the_same_name_under_the_mapped_parent(
    looker_ini, looker_source, looker_destination
):
    src = make_sdk("source")
    parent = src.create_folder(m.CreateFolder(name="Treasury", parent_id=shared_root(src)))
    child = src.create_folder(m.CreateFolder(name="Monthly", parent_id=parent.id))
    dash = src.create_dashboard(m.WriteDashboard(title="Close", folder_id=child.id))
    src.create_dashboard_element(
        m.WriteDashboardElement(dashboard_id=dash.id, type="text", title_text="Read me")
    )
    take_backup("source")

    dst = make_sdk("destination")
    root = shared_root(dst)
    # A decoy first: "Monthly" under another parent must not be chosen.
    decoy_parent = dst.create_folder(m.CreateFolder(name="Procurement", parent_id=root))
    dst.create_folder(m.CreateFolder(name="Monthly", parent_id=decoy_parent.id))
    dst_parent = dst.create_folder(m.CreateFolder(name="Treasury", parent_id=root))
    dst_child = dst.create_folder(m.CreateFolder(name="Monthly", parent_id=dst_parent.id))

    session = restore(
        fast_config(
            looker_source, looker_destination, content_types=[CT.DASHBOARD], content_ids=[dash.id]
        )
    )
    assert session.status == "completed", session.last_error
    assert session.success_count == 1
    restored = [d for d in dst.search_dashboards(title="Close")]
    assert [str(d.folder_id) for d in restored] == [str(dst_child.id)]
    tiles = dst.dashboard(restored[0].id).dashboard_elements
    assert [t.title_text for t in tiles] == ["Read me"]


def test_a_dashboard_whose_folder_is_nowhere_fails_naming_the_folder(
    looker_ini, looker_source, looker_destination
):
    src = make_sdk("source")
    folder = src.create_folder(m.CreateFolder(name="Nowhere", parent_id=shared_root(src)))
    dash = src.create_dashboard(m.WriteDashboard(title="Lost", folder_id=folder.id))
    take_backup("source")

    session = restore(
        fast_config(
            looker_source, looker_destination, content_types=[CT.DASHBOARD], content_ids=[dash.id]
        )
    )
    assert session.error_count == 1
    letter = session.dead_letters.get()
    assert f"folder {folder.id} 'Nowhere' was not restored" in letter.error_message


def _query(sdk) -> str:
    model = next(mod for mod in sdk.all_lookml_models() if mod.explores)
    return sdk.create_query(
        m.WriteQuery(model=model.name, view=model.explores[0].name, fields=["x.id"])
    ).id


def _dashboard_with_a_gone_look(src) -> tuple:
    """A dashboard with a text tile and a tile showing a Look that is in the trash."""
    folder = src.create_folder(m.CreateFolder(name="Gone looks", parent_id=shared_root(src)))
    look = src.create_look(
        m.WriteLookWithQuery(title="Trashed", folder_id=folder.id, query_id=_query(src))
    )
    dash = src.create_dashboard(m.WriteDashboard(title="Half there", folder_id=folder.id))
    src.create_dashboard_element(
        m.WriteDashboardElement(dashboard_id=dash.id, type="text", title_text="Kept")
    )
    src.create_dashboard_element(
        m.WriteDashboardElement(dashboard_id=dash.id, type="vis", look_id=look.id, title="Gone")
    )
    src.update_look(look.id, m.WriteLookWithQuery(deleted=True))
    return folder, look, dash


TYPES = [CT.USER, CT.FOLDER, CT.LOOKML_MODEL, CT.LOOK, CT.DASHBOARD]


def test_a_tile_whose_look_is_gone_is_left_out_with_a_warning_across_instances(
    looker_ini, looker_source, looker_destination
):
    from django.contrib.auth.models import User
    from django.test import Client

    src = make_sdk("source")
    _, look, dash = _dashboard_with_a_gone_look(src)
    take_backup("source")

    plan = restore(
        fast_config(looker_source, looker_destination, dry_run=True, content_types=TYPES)
    )
    row = next(
        i
        for i in plan.dry_run_items()
        if i["content_id"] == str(dash.id) and i["content_type"] == CT.DASHBOARD
    )
    assert row["action"] == "create"
    assert f"it shows look {look.id}, which is neither in the backup" in row["reason"]

    session = restore(fast_config(looker_source, looker_destination, content_types=TYPES))
    assert session.status == "completed", session.last_error
    assert session.error_count == 0
    copy = next(d for d in make_sdk("destination").search_dashboards(title="Half there"))
    tiles = make_sdk("destination").dashboard(copy.id).dashboard_elements
    assert [t.title_text or t.title for t in tiles] == ["Kept"]
    warned = [w for w in session.metadata["warnings"] if w["content_id"] == str(dash.id)]
    assert len(warned) == 1 and "'Gone' left out" in warned[0]["message"]
    assert session.metadata["summary"]["warning_count"] == len(session.metadata["warnings"])

    client = Client()
    client.force_login(User.objects.create_superuser("ops", password="ops-pass-123"))
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert "Warnings" in page and "&#x27;Gone&#x27; left out" in page


def test_within_the_instance_the_tile_keeps_the_look_the_destination_has(looker_ini, looker_source):
    src = make_sdk("source")
    folder, look, dash = _dashboard_with_a_gone_look(src)
    src.update_look(look.id, m.WriteLookWithQuery(deleted=False))  # back from the trash...
    take_backup("source")
    # ...but the backup does not hold it (e.g. taken with a type filter).
    from restoration.models import ContentItem

    ContentItem.objects.filter(content_type=CT.LOOK, content_id=str(look.id)).delete()
    victim = next(e for e in src.dashboard(dash.id).dashboard_elements if e.look_id)
    src.delete_dashboard_element(victim.id)

    session = restore(
        fast_config(
            looker_source, looker_source, content_types=[CT.DASHBOARD], content_ids=[dash.id]
        ),
        destination="source",
    )
    assert session.status == "completed", session.last_error
    assert session.error_count == 0 and not session.metadata.get("warnings")
    shown = [e.look_id for e in src.dashboard(dash.id).dashboard_elements if e.look_id]
    assert shown == [look.id]


def test_the_dashboard_ends_equal_to_the_backup_unless_extras_are_kept(
    looker_ini, looker_source, looker_destination
):
    src = make_sdk("source")
    folder = src.create_folder(m.CreateFolder(name="Exact", parent_id=shared_root(src)))
    dash = src.create_dashboard(m.WriteDashboard(title="Exact board", folder_id=folder.id))
    src.create_dashboard_element(
        m.WriteDashboardElement(dashboard_id=dash.id, type="text", title_text="From backup")
    )
    src.create_dashboard_filter(
        m.WriteCreateDashboardFilter(
            dashboard_id=dash.id, name="Date", title="Date", type="date_filter"
        )
    )
    take_backup("source")
    types = {"content_types": [CT.FOLDER, CT.DASHBOARD], "content_ids": [folder.id, dash.id]}
    assert restore(fast_config(looker_source, looker_destination, **types)).error_count == 0

    dst = make_sdk("destination")
    copy = next(d for d in dst.search_dashboards(title="Exact board"))
    extra_tile = dst.create_dashboard_element(
        m.WriteDashboardElement(dashboard_id=copy.id, type="text", title_text="Added later")
    )
    dst.create_dashboard_filter(
        m.WriteCreateDashboardFilter(
            dashboard_id=copy.id, name="Region", title="Region", type="string_filter"
        )
    )

    def shown() -> tuple[list, list]:
        now = dst.dashboard(copy.id)
        return (
            sorted(e.title_text for e in now.dashboard_elements),
            sorted(f.name for f in now.dashboard_filters),
        )

    kept = restore(fast_config(looker_source, looker_destination, **types, keep_extra=True))
    assert kept.error_count == 0
    assert shown() == (["Added later", "From backup"], ["Date", "Region"])

    plan = restore(fast_config(looker_source, looker_destination, **types, dry_run=True))
    row = next(i for i in plan.dry_run_items() if i["content_type"] == CT.DASHBOARD)
    assert row["action"] == "update"
    assert row["diff"]["would remove"][0] == [
        f"tile {extra_tile.id} 'Added later'",
        "filter 'Region'",
    ]
    assert shown() == (
        ["Added later", "From backup"],
        ["Date", "Region"],
    )  # a dry run writes nothing

    exact = restore(fast_config(looker_source, looker_destination, **types))
    assert exact.error_count == 0 and exact.updated_count == 1
    assert shown() == (["From backup"], ["Date"])


def test_a_tile_keeps_its_result_maker_with_filter_names_and_fields_intact(
    looker_ini, looker_source, looker_destination
):
    from restoration.models import ContentItem, DeadLetterItem, decode_blob, encode_blob

    src = make_sdk("source")
    folder = src.create_folder(m.CreateFolder(name="Wired", parent_id=shared_root(src)))
    dash = src.create_dashboard(m.WriteDashboard(title="Wired dash", folder_id=folder.id))
    query = src.query(_query(src))
    src.create_dashboard_element(
        m.WriteDashboardElement(
            dashboard_id=dash.id, type="vis", title="Wired tile", query_id=query.id
        )
    )
    take_backup("source")
    # The tile as Looker answers it: a result maker whose filterables listen to the
    # dashboard's "Region" filter (the emulator does not store result makers yet).
    row = ContentItem.objects.get(content_type=CT.DASHBOARD, content_id=str(dash.id))
    data = decode_blob(row.content_data)
    wiring = {
        "id": "901",
        "query_id": query.id,
        "merge_result_id": "77",
        "filterables": [
            {
                "model": query.model,
                "view": query.view,
                "name": query.view,
                "listen": [{"dashboard_filter_name": "Region", "field": "x.region"}],
            }
        ],
        "vis_config": {"type": "looker_bar", "stacking": "normal"},
        "sorts": ["x.id desc"],
        "total": True,
    }
    data["dashboard_elements"][0]["result_maker"] = wiring
    row.content_data = encode_blob(data)
    row.save(update_fields=["content_data"])
    # Refuse the tile, so the dead letter shows exactly what the engine sent.
    looker_destination.set_faults(
        rejections=[
            {"kind": "dashboard_element", "field": "title", "pattern": "Wired", "status": 422}
        ]
    )
    session = restore(
        fast_config(
            looker_source,
            looker_destination,
            content_types=[CT.FOLDER, CT.LOOKML_MODEL, CT.DASHBOARD],
            content_ids=[folder.id, dash.id, query.model],
        )
    )
    letter = DeadLetterItem.objects.get(session=session, content_type=CT.DASHBOARD)
    sent = letter.metadata["request_payload"]["result_maker"]
    assert sent["filterables"] == wiring["filterables"]
    assert sent["vis_config"] == wiring["vis_config"]
    assert (sent["sorts"], sent["total"]) == (["x.id desc"], True)
    # Another instance has neither the merge query nor the source's query ids.
    assert "merge_result_id" not in sent and "query_id" not in sent and "id" not in sent


def test_a_look_tile_is_recognised_whether_its_query_is_on_the_tile_or_under_its_look():
    from restoration.engine.content.dashboards import pair_tiles

    look_query = {"model": "aviation", "view": "airports", "fields": ["airports.count"]}
    # As real Looker answers it (gzr's export): the query under `look`, the tile's null.
    backed_up = {
        "id": "68",
        "type": "vis",
        "look_id": "6",
        "query": None,
        "look": {"id": "6", "query": look_query},
    }
    other_look = {
        "id": "70",
        "type": "vis",
        "look_id": "7",
        "look": {"id": "7", "query": {**look_query, "fields": ["airports.state"]}},
    }
    # A destination answering the Look's query on the tile itself.
    on_the_tile = [
        {"id": "901", "type": "vis", "look_id": "17", "query": other_look["look"]["query"]},
        {"id": "902", "type": "vis", "look_id": "16", "query": look_query},
    ]
    pairs, extra = pair_tiles(False, [backed_up, other_look], on_the_tile)
    assert [(s["id"], d["id"]) for s, d in pairs] == [("68", "902"), ("70", "901")]
    assert extra == []
    # And one answering it under `look`, as the backup has it.
    under_look = [{**t, "query": None, "look": {"query": t["query"]}} for t in on_the_tile]
    pairs, extra = pair_tiles(False, [backed_up, other_look], under_look)
    assert [(s["id"], d["id"]) for s, d in pairs] == [("68", "902"), ("70", "901")]


def test_a_tile_edited_by_hand_is_put_back_in_place_keeping_its_id(
    looker_ini, looker_source, looker_destination
):
    """An exact restore puts back a tile whose title, query or text was edited on the
    destination by updating it, not by deleting it and making a new one: its id, and so
    the alerts and links that name it, survive. With --keep-extra a tile the backup does
    not recognise is an extra to keep, never one to take over."""
    src = make_sdk("source")
    folder = src.create_folder(m.CreateFolder(name="In place", parent_id=shared_root(src)))
    dash = src.create_dashboard(m.WriteDashboard(title="In place board", folder_id=folder.id))
    for title, fields in (("By state", ["users.state", "users.count"]), ("Count", ["users.count"])):
        query = src.create_query(m.WriteQuery(model="thelook", view="users", fields=fields))
        src.create_dashboard_element(
            m.WriteDashboardElement(
                dashboard_id=dash.id, type="vis", title=title, query_id=query.id
            )
        )
    src.create_dashboard_element(
        m.WriteDashboardElement(dashboard_id=dash.id, type="text", title_text="Read me")
    )
    take_backup("source")
    assert restore(fast_config(looker_source, looker_destination)).error_count == 0

    dst = make_sdk("destination")
    copy = next(iter(dst.search_dashboards(title="In place board")))
    tiles = {t.title or t.title_text: t for t in dst.dashboard(copy.id).dashboard_elements}
    ids = sorted(t.id for t in tiles.values())
    dst.update_dashboard_element(tiles["By state"].id, m.WriteDashboardElement(title="By hand"))
    other = dst.create_query(m.WriteQuery(model="thelook", view="users", fields=["users.state"]))
    dst.update_dashboard_element(tiles["Count"].id, m.WriteDashboardElement(query_id=other.id))
    dst.update_dashboard_element(tiles["Read me"].id, m.WriteDashboardElement(title_text="Edit"))

    def shown() -> dict[str, list[str] | None]:
        return {
            t.title or t.title_text: list(dst.query(t.query_id).fields) if t.query_id else None
            for t in dst.dashboard(copy.id).dashboard_elements
        }

    edited = shown()
    # --keep-extra adds and updates only: the edited tiles are not the backup's, so the
    # backup's three are added beside them and nothing is taken over.
    kept = restore(fast_config(looker_source, looker_destination, keep_extra=True))
    assert kept.error_count == 0
    after_keep = dst.dashboard(copy.id).dashboard_elements
    assert set(ids) < {t.id for t in after_keep} and len(after_keep) == 6
    for tile in after_keep:
        if tile.id not in ids:
            dst.delete_dashboard_element(tile.id)
    assert shown() == edited

    looker_destination.reset_counters()
    exact = restore(fast_config(looker_source, looker_destination))
    assert exact.error_count == 0, exact.last_error
    calls = looker_destination.counters()["calls"]
    assert not calls.get("POST /api/4.0/dashboard_elements"), calls
    assert not calls.get("DELETE /api/4.0/dashboard_elements/{dashboard_element_id}"), calls
    assert sorted(t.id for t in dst.dashboard(copy.id).dashboard_elements) == ids
    assert shown() == {
        "By state": ["users.state", "users.count"],
        "Count": ["users.count"],
        "Read me": None,
    }
