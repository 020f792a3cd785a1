"""Real Looker objects restore as they are: a lookervault backup whose rows are the
objects of /work/shared/looker-api/samples (gzr's export of dashboard 17 "FAA KPIs", and
the dashboards, Looks, queries and users sdk-codegen seeds its test instances with),
imported with `manage.py import_backup`, restored into an empty instance through the
SDK, and read back field by field; a second run writes nothing."""

from __future__ import annotations

import copy
import json
from typing import Any

import msgspec
import pytest

from restoration.content_types import ContentType as CT
from restoration.looker.instances import make_sdk
from restoration.looker.serialization import api_dict
from restoration.models import ContentItem, DeadLetterItem
from tests.emulator.spec import SPEC_PATH
from tests.engine.conftest import fast_config, restore
from tests.engine.test_cross_instance import Translate
from tests.fixtures_emulator import write_looker_ini
from tests.test_import_backup import backup_row, run_import, write_backup

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (SPEC_PATH.parent / "samples").is_dir(), reason="../shared/looker-api/samples/ absent"
    ),
]

SAMPLES = SPEC_PATH.parent / "samples"
GZR = SAMPLES / "gzr-dashboard-export.json"
SDK_CODEGEN = SAMPLES / "sdk-codegen-test-data.json"

# The LookML the samples' queries and filters use, deployed on the destination (a restore
# never writes LookML: it lives in git). system__activity is Looker's own model, on every
# instance; the destination configures its models on deploy, as Looker often does.
PROJECTS = {
    "aviation": {"aviation": ["airports", "flights"]},
    "thelook": {"thelook": ["products", "users"]},
    "system__activity": {"system__activity": ["dashboard"]},
}


def lookervault_blob(obj: dict[str, Any]) -> bytes:
    """The row's blob as lookervault writes it (LookerContentExtractor._sdk_object_to_dict
    then MsgpackSerializer): the object's top-level None fields left out, the rest as
    the API gave it, nested Nones included."""
    return msgspec.msgpack.encode({k: v for k, v in obj.items() if v is not None})


def verbatim_blob(obj: dict[str, Any]) -> bytes:
    """The object exactly as the sample holds it, top-level nulls included (a tool that
    stores the API's JSON as it came)."""
    return msgspec.msgpack.encode(obj)


def row(
    content_type: CT, obj: dict[str, Any], name: str, blob=lookervault_blob, **columns: Any
) -> dict[str, Any]:
    return backup_row(
        str(obj.get("id") or obj.get("name")),
        content_type,
        name=name,
        blob=blob(obj),
        owner_id=columns.pop("owner_id", None),
        owner_email=columns.pop("owner_email", None),
        folder_id=columns.pop("folder_id", None),
        **columns,
    )


# -- the gzr dashboard --------------------------------------------------------------------
def gzr_dashboard() -> dict[str, Any]:
    return json.loads(GZR.read_text())


def gzr_looks(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """The Looks two of its tiles show, as the dashboard embeds them (the export holds no
    other copy of them; `look(id)` answers a superset of these fields)."""
    return [e["look"] for e in dashboard["dashboard_elements"] if e.get("look")]


# -- sdk-codegen's test data, as Looker answers once it has made it -----------------------
def sdk_codegen_objects() -> dict[str, list[dict[str, Any]]]:
    """sdk-codegen's data.yml.json is what its test setup *sends*: queries named "#name",
    a Look's query as a one-item list, tiles' `listen` as {filter: field}. These are the
    objects Looker answers after that setup (ids given here; field names and values are
    the sample's), i.e. what lookervault would back up."""
    data = json.loads(SDK_CODEGEN.read_text())
    queries: dict[str, dict[str, Any]] = {}
    for number, q in enumerate(data["queries"] + data["queries_system_activity"], start=201):
        queries[q["id"]] = {**q, "id": str(number), "limit": str(q.get("limit"))}
    for q in (look["query"][0] for look in data["looks"]):
        queries.setdefault(q["id"], {**q, "id": str(300), "limit": str(q.get("limit"))})
    users = [
        {**u, "id": str(n), "display_name": f"{u['first_name']} {u['last_name']}"}
        for n, u in enumerate(data["users"], start=11)
    ]
    looks = []
    for n, look in enumerate(data["looks"], start=31):
        query = queries[look["query"][0]["id"]]
        looks.append(
            {
                **{k: v for k, v in look.items() if k != "query"},
                "id": str(n),
                "query_id": query["id"],
                "query": query,
                "folder_id": SDK_FOLDER["id"],
                "user_id": OWNER["id"],
            }
        )
    dashboards = []
    for n, dash in enumerate(data["dashboards"], start=41):
        did = str(n)
        elements = []
        for k, tile in enumerate(dash["tiles"], start=1):
            element = {
                **{k2: v for k2, v in tile.items() if k2 not in ("query_id", "result_maker")},
                "id": f"{did}0{k}",
                "dashboard_id": did,
            }
            if tile.get("query_id"):
                query = queries[tile["query_id"]]
                listen = (tile.get("result_maker") or {}).get("filterables", {}).get("listen")
                element.update(
                    query_id=query["id"],
                    query=query,
                    result_maker={
                        "filterables": [
                            {
                                "model": query["model"],
                                "view": query["view"],
                                "listen": [
                                    {"dashboard_filter_name": name, "field": field}
                                    for name, field in (listen or {}).items()
                                ],
                            }
                        ],
                        "query_id": query["id"],
                    },
                )
            elements.append(element)
        dashboards.append(
            {
                **{k: v for k, v in dash.items() if k not in ("tiles", "filters")},
                "id": did,
                "folder_id": SDK_FOLDER["id"],
                "user_id": OWNER["id"],
                "dashboard_filters": [
                    {**f, "id": f"{did}{i}", "dashboard_id": did}
                    for i, f in enumerate(dash["filters"], start=1)
                ],
                "dashboard_elements": elements,
            }
        )
    return {
        "users": users,
        "queries": list(queries.values()),
        "looks": looks,
        "dashboards": dashboards,
    }


# -- what the samples lack and a restore needs (minimal, shaped like real objects) ----------
# The owner of the gzr Looks (user_id "1") and of the sdk-codegen content.
OWNER = {
    "id": "1",
    "first_name": "Ann",
    "last_name": "Admin",
    "display_name": "Ann Admin",
    "email": "ann.admin@example.com",
    "credentials_email": {"email": "ann.admin@example.com"},
}
# The Shared root, and the folders the content sits in (gzr's folder "5").
SHARED = {"id": "1", "name": "Shared", "parent_id": None, "is_shared_root": True}
FAA_FOLDER = {"id": "5", "name": "FAA", "parent_id": "1", "creator_id": "1"}
SDK_FOLDER = {"id": "7", "name": "SDK tests", "parent_id": "1", "creator_id": "1"}


def backup_rows(blob=lookervault_blob) -> list[dict[str, Any]]:
    gzr = gzr_dashboard()
    sdk = sdk_codegen_objects()
    rows = [
        row(CT.USER, OWNER, OWNER["display_name"], blob),
        *(row(CT.USER, u, u["display_name"], blob) for u in sdk["users"]),
        row(CT.FOLDER, SHARED, "Shared", blob),
        row(CT.FOLDER, FAA_FOLDER, "FAA", blob, owner_id="1", folder_id="1"),
        row(CT.FOLDER, SDK_FOLDER, "SDK tests", blob, owner_id="1", folder_id="1"),
    ]
    for look in gzr_looks(gzr) + sdk["looks"]:
        rows.append(
            row(
                CT.LOOK,
                look,
                look["title"],
                blob,
                owner_id=look["user_id"],
                folder_id=look["folder_id"],
            )
        )
    for dash in [gzr] + sdk["dashboards"]:
        rows.append(
            row(
                CT.DASHBOARD,
                dash,
                dash["title"],
                blob,
                owner_id=dash.get("user_id"),
                folder_id=dash["folder_id"],
            )
        )
    return rows


@pytest.fixture
def instances(emulator_factory, tmp_path, settings):
    source = emulator_factory(seed=None)
    destination = emulator_factory(seed=None, projects=PROJECTS, auto_configure_models=True)
    settings.LOOKER_INI = str(
        write_looker_ini(tmp_path / "looker.ini", source=source, destination=destination)
    )
    return source, destination


@pytest.fixture(params=[lookervault_blob, verbatim_blob], ids=["as-lookervault", "verbatim"])
def blob(request):
    return request.param


@pytest.fixture
def imported(tmp_path, blob):
    path = write_backup(tmp_path / "lookervault.db", backup_rows(blob))
    out, err = run_import(path)
    return out, err


# -- reading back ---------------------------------------------------------------------------
# Every field a backed-up object holds is compared with the restored object's, except
# these, per kind of object: what a restore cannot keep, and why. The fields marked
# "mapped" are compared through the id mappings; those marked "compared ..." on their own.
MAPPED = "an id: the destination numbers its own objects; compared through the id mappings"
OWN = "the destination's own: ids, urls, clock and counts of the object made there"
# What Looker keeps about an object itself (none of the samples' objects hold these, a
# fuller `dashboard(id)` / `look(id)` answer does): when and by whom it was made,
# viewed, changed or deleted, its usage counts, its urls and what the caller may do.
BOOKKEEPING = {
    name: OWN
    for name in (
        "created_at",
        "updated_at",
        "deleted_at",
        "last_accessed_at",
        "last_viewed_at",
        "last_updater_id",
        "last_updater_name",
        "deleter_id",
        "user_name",
        "view_count",
        "favorite_count",
        "content_favorite_id",
        "content_metadata_id",
        "url",
        "short_url",
        "edit_uri",
        "image_embed_url",
        "embed_url",
        "public_slug",
        "public_url",
        "can",
        "folder",
        "user",
    )
}
EXPECTED_TO_DIFFER: dict[str, dict[str, str]] = {
    "dashboard": {
        **BOOKKEEPING,
        "id": MAPPED,
        "folder_id": MAPPED,
        "user_id": MAPPED,
        "slug": "not carried: a slug another dashboard holds refuses the create (409), so "
        "the destination makes its own (engine: looks.NOT_SETTINGS)",
        "dashboard_elements": "compared tile by tile",
        "dashboard_filters": "compared filter by filter, by name",
        "dashboard_layouts": "compared layout by layout",
    },
    "tile": {
        **BOOKKEEPING,
        "alert_count": OWN,
        "body_text_as_html": "Looker renders it from body_text (compared)",
        "note_text_as_html": "Looker renders it from note_text (compared)",
        "subtitle_text_as_html": "Looker renders it from subtitle_text (compared)",
        "title_text_as_html": "Looker renders it from title_text (compared)",
        "id": MAPPED,
        "dashboard_id": MAPPED,
        "look_id": MAPPED,
        "query_id": "a new query on the destination (queries are per instance); compared "
        "as the query it names",
        "result_maker_id": OWN,
        "query": "compared as a query",
        "look": "the Look, restored and compared as a Look of its own",
        "result_maker": "compared on its filterables: the listen wiring to filters",
    },
    "query": {
        "id": MAPPED,
        "client_id": OWN,
        "slug": OWN,
        "url": OWN,
        "share_url": OWN,
        "expanded_share_url": OWN,
        "can": OWN,
        "has_table_calculations": "Looker derives it from dynamic_fields (compared)",
    },
    "filter": {
        "id": MAPPED,
        "dashboard_id": MAPPED,
        "can": OWN,
        "field": "Looker describes the dimension from the destination's LookML (the "
        "dimension is compared)",
    },
    "layout": {
        "can": OWN,
        "id": MAPPED,
        "dashboard_id": MAPPED,
        "dashboard_layout_components": "compared component by component, by tile",
    },
    "component": {
        "can": OWN,
        "id": MAPPED,
        "dashboard_layout_id": MAPPED,
        "dashboard_element_id": MAPPED,
    },
    "look": {
        **BOOKKEEPING,
        "id": MAPPED,
        "folder_id": MAPPED,
        "user_id": MAPPED,
        "query_id": "a new query on the destination; compared as the query it names",
        "query": "compared as a query",
    },
}


def blank(value: Any) -> Any:
    """Looker answers an unset list or map as null or empty alike."""
    return None if value in (None, [], {}, "") else value


def differences(want: Any, got: Any, path: str) -> list[str]:
    """Where two values differ, at any depth: `path: backup != restored`."""
    want, got = blank(want), blank(got)
    if isinstance(want, dict) and isinstance(got, dict):
        return [
            d
            for k in sorted(set(want) | set(got), key=str)
            for d in differences(want.get(k), got.get(k), f"{path}.{k}")
        ]
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        return [
            d
            for n, (w, g) in enumerate(zip(want, got, strict=True))
            for d in differences(w, g, f"{path}[{n}]")
        ]
    return [] if want == got else [f"{path}: {want!r} != {got!r}"]


def compare(kind: str, want: dict[str, Any], got: dict[str, Any], path: str) -> list[str]:
    """Every field of the backed-up object against the restored one's, but those expected
    to differ. (A restored object is read with None fields left out: absent is null.)"""
    return [
        d
        for k, v in want.items()
        if k not in EXPECTED_TO_DIFFER[kind]
        for d in differences(v, got.get(k), f"{path}.{k}")
    ]


def compare_mapped(
    tr: Translate, refs: dict[str, CT], want: dict[str, Any], got: dict[str, Any], path: str
) -> list[str]:
    found = []
    for name, content_type in refs.items():
        if want.get(name) not in (None, "") and tr(content_type, want[name]) != got.get(name):
            found.append(
                f"{path}.{name}: {want[name]!r} maps to {tr(content_type, want[name])!r}"
                f" != {got.get(name)!r}"
            )
    return found


def filterables(element: dict[str, Any]) -> list[tuple]:
    result_maker = element.get("result_maker") or {}
    return [
        (
            f.get("model"),
            f.get("view"),
            sorted((x.get("dashboard_filter_name"), x.get("field")) for x in f.get("listen") or []),
        )
        for f in result_maker.get("filterables") or []
    ]


def compare_tile(tr: Translate, want: dict, got: dict, path: str) -> list[str]:
    found = compare("tile", want, got, path)
    found += compare_mapped(tr, {"look_id": CT.LOOK}, want, got, path)
    if want.get("query") and not want.get("look_id"):
        found += compare("query", want["query"], got.get("query") or {}, f"{path}.query")
    if "result_maker" in want and filterables(want) != filterables(got):
        found.append(f"{path}.result_maker.filterables: {filterables(want)} != {filterables(got)}")
    return found


def tiles_in_order(dash: dict[str, Any], by_place: bool) -> list[dict[str, Any]]:
    """A dashboard's tiles where they sit in its active layout (row, column), or in id
    order (the order the restore creates them in) when the backup has no layout. A tile
    the restore had to make again has a new, higher id: by place it is still compared
    with the backup tile that sat there."""
    by_id = sorted(dash.get("dashboard_elements") or [], key=lambda e: int(e["id"]))
    layout = next((lay for lay in dash.get("dashboard_layouts") or [] if lay.get("active")), None)
    if not by_place or layout is None:
        return by_id
    place = {
        str(c["dashboard_element_id"]): (c.get("row"), c.get("column"))
        for c in layout.get("dashboard_layout_components") or []
    }
    return sorted(by_id, key=lambda e: place.get(str(e["id"]), (1 << 30, 0)))


def compare_dashboard(tr: Translate, want: dict, got: dict, path: str) -> list[str]:
    found = compare("dashboard", want, got, path)
    found += compare_mapped(tr, {"folder_id": CT.FOLDER, "user_id": CT.USER}, want, got, path)
    tiles = [tiles_in_order(d, by_place=bool(want.get("dashboard_layouts"))) for d in (want, got)]
    if len(tiles[0]) != len(tiles[1]):
        return [*found, f"{path}: {len(tiles[0])} tiles != {len(tiles[1])}"]
    for n, (w, g) in enumerate(zip(*tiles, strict=True)):
        found += compare_tile(tr, w, g, f"{path}.tile[{n}]")
    filters = {f["name"]: f for f in got.get("dashboard_filters") or []}
    for f in want.get("dashboard_filters") or []:
        found += compare("filter", f, filters.pop(f["name"], {}), f"{path}.filter[{f['name']}]")
    found += [f"{path}.filter[{name}]: not in the backup" for name in filters]
    if want.get("dashboard_layouts"):
        # A dashboard made without a layout gets Looker's default one: compared only when
        # the backup has layouts.
        position = [{str(e["id"]): n for n, e in enumerate(side)} for side in tiles]
        layouts = [d.get("dashboard_layouts") or [] for d in (want, got)]
        if len(layouts[0]) != len(layouts[1]):
            return [*found, f"{path}: {len(layouts[0])} layouts != {len(layouts[1])}"]
        for n, (w, g) in enumerate(zip(*layouts, strict=True)):
            found += compare("layout", w, g, f"{path}.layout[{n}]")
            parts = [
                {
                    pos[str(c["dashboard_element_id"])]: c
                    for c in lay.get("dashboard_layout_components") or []
                }
                for pos, lay in zip(position, (w, g), strict=True)
            ]
            for tile in sorted(set(parts[0]) | set(parts[1])):
                found += compare(
                    "component",
                    parts[0].get(tile, {"missing": True}),
                    parts[1].get(tile, {}),
                    f"{path}.layout[{n}].component(tile[{tile}])",
                )
    return found


def compare_look(tr: Translate, want: dict, got: dict, path: str) -> list[str]:
    found = compare("look", want, got, path)
    found += compare_mapped(tr, {"folder_id": CT.FOLDER, "user_id": CT.USER}, want, got, path)
    return found + compare(
        "query", want.get("query") or {}, got.get("query") or {}, f"{path}.query"
    )


def restored_differences(tr: Translate, dst, originals: dict[str, Any]) -> list[str]:
    """Every field where a restored Look or dashboard, read back through the SDK, differs
    from its backup, but those EXPECTED_TO_DIFFER."""
    found: list[str] = []
    for look in originals["looks"]:
        path = f"Look {look['id']} {look['title']!r}"
        dest_id = tr(CT.LOOK, look["id"])
        if not dest_id:
            found.append(f"{path} has no mapping")
            continue
        found += compare_look(tr, look, api_dict(dst.look(dest_id)), path)
    for dash in originals["dashboards"]:
        path = f"dashboard {dash['id']} {dash['title']!r}"
        dest_id = tr(CT.DASHBOARD, dash["id"])
        if not dest_id:
            found.append(f"{path} has no mapping")
            continue
        found += compare_dashboard(tr, dash, api_dict(dst.dashboard(dest_id)), path)
    return found


def originals() -> dict[str, Any]:
    gzr = gzr_dashboard()
    sdk = sdk_codegen_objects()
    return {"dashboards": [gzr] + sdk["dashboards"], "looks": gzr_looks(gzr) + sdk["looks"]}


def test_the_samples_import_as_lookervault_rows(imported):
    out, err = imported
    rows = backup_rows()
    assert f"Imported {len(rows)} of {len(rows)} rows" in out, out
    assert f"{len(rows)} new or changed since the latest backup" in out, out
    assert "skipped" not in err, err
    gzr = ContentItem.objects.get_content("17", CT.DASHBOARD)
    assert gzr.name == "FAA KPIs" and gzr.folder_id == "5"
    assert gzr.decoded()["dashboard_elements"] == gzr_dashboard()["dashboard_elements"]


def test_the_real_objects_restore_as_they_are_and_a_rerun_changes_nothing(instances, imported):
    source, destination = instances
    planned = restore(fast_config(source, destination, dry_run=True))
    assert planned.status == "completed"
    actions = {(i["content_type"], i["content_id"]): i["action"] for i in planned.dry_run_items()}
    assert actions.pop((CT.FOLDER, "1")) == "skip"  # the Shared root is mapped, never written
    assert set(actions.values()) == {"create"}, planned.dry_run_items()
    assert len(actions) == len(backup_rows()) - 1

    session = restore(fast_config(source, destination))
    dead = {(d.content_type, d.content_id): d.error_message for d in DeadLetterItem.objects.all()}
    assert session.status == "completed", (session.last_error, dead)
    assert dead == {} and session.error_count == 0
    assert session.metadata.get("warnings", []) == []
    assert session.created_count == len(backup_rows()) - 1

    tr = Translate(source.base_url, destination.base_url)
    dst = make_sdk("destination")
    problems = restored_differences(tr, dst, copy.deepcopy(originals()))
    assert problems == [], "\n".join(problems)

    destination.reset_counters()
    again = restore(fast_config(source, destination))
    counters = destination.counters()
    assert again.status == "completed"
    writes = {k: v for k, v in counters["calls"].items() if not k.startswith("GET")}
    assert counters["creates"] == {} and counters["writes"] == 0, writes
    assert again.created_count == 0 and again.updated_count == 0

    dry = restore(fast_config(source, destination, dry_run=True))
    assert dry.status == "completed"
    assert [i for i in dry.dry_run_items() if i["action"] != "skip"] == []


def test_a_restored_real_dashboard_changed_on_the_destination_is_put_back(instances, imported):
    from looker_sdk.sdk.api40 import models as m

    source, destination = instances
    assert restore(fast_config(source, destination)).status == "completed"
    tr = Translate(source.base_url, destination.base_url)
    dst = make_sdk("destination")
    dash = dst.dashboard(tr(CT.DASHBOARD, "17"))
    # Someone edits it: a Look tile deleted, a filter's default and a tile's title
    # changed, a component moved, a setting flipped.
    look_tile = next(e for e in dash.dashboard_elements if e.look_id)
    dst.delete_dashboard_element(look_tile.id)
    state = next(f for f in dash.dashboard_filters if f.name == "State")
    dst.update_dashboard_filter(state.id, m.WriteDashboardFilter(default_value="CA"))
    tile = next(e for e in dash.dashboard_elements if e.query_id)
    dst.update_dashboard_element(tile.id, m.WriteDashboardElement(title="Renamed"))
    component = next(
        c
        for c in dash.dashboard_layouts[0].dashboard_layout_components
        if c.dashboard_element_id == tile.id
    )
    dst.update_dashboard_layout_component(
        component.id, m.WriteDashboardLayoutComponent(row=40, column=0, width=24, height=6)
    )
    dst.update_dashboard(dash.id, m.WriteDashboard(crossfilter_enabled=True))
    assert restored_differences(tr, dst, copy.deepcopy(originals())) != []

    again = restore(fast_config(source, destination))
    assert again.status == "completed" and again.updated_count >= 1
    problems = restored_differences(tr, dst, copy.deepcopy(originals()))
    assert problems == [], "\n".join(problems)
