"""The demo and scale seeds: realistic, proportionate and deterministic."""

import pytest

from restoration.emulator import LookerEmulator
from restoration.emulator.seed import _build
from restoration.emulator.store import Store


def _counts(emulator: LookerEmulator) -> dict[str, int]:
    return {kind: len(table) for kind, table in emulator.store.tables.items() if table}


def test_the_demo_instance_is_a_realistic_small_instance(looker_source):
    s = looker_source.store
    counts = _counts(looker_source)
    assert counts["user"] == 21 and counts["look"] == 50 and counts["dashboard"] == 30
    assert counts["board"] == 3 and counts["scheduled_plan"] == 10 and counts["lookml_model"] == 3
    assert all(len(d["_element_ids"]) >= 3 for d in s.all("dashboard"))
    assert any(e.get("look_id") for e in s.all("dashboard_element"))
    assert any(e["type"] == "text" for e in s.all("dashboard_element"))
    assert any(c["column"] > 0 for c in s.all("dashboard_layout_component"))
    assert any(g["_group_ids"] for g in s.all("group"))
    personal = {u["personal_folder_id"] for u in s.all("user")}
    assert any(lk["folder_id"] in personal for lk in s.all("look"))
    assert all(u["_credentials_email"]["email"].endswith("@example.com") for u in s.all("user"))
    # Alerts on query tiles, each followed; user attributes (7 system ones and 4 of the
    # instance's own) with group values in precedence order and user values.
    assert counts["alert"] == 8
    assert all(s.get("dashboard_element", a["dashboard_element_id"]) for a in s.all("alert"))
    assert all(a["_follower_ids"] for a in s.all("alert"))
    assert counts["user_attribute"] == 11
    own = [a for a in s.all("user_attribute") if not a["is_system"]]
    assert sum(len(a["_group_values"]) for a in own) == 5
    assert sum(len(a["_user_values"]) for a in own) == 5


def _without_timestamps(value):
    if isinstance(value, dict):
        return {k: _without_timestamps(v) for k, v in value.items() if not k.endswith("_at")}
    if isinstance(value, list):
        return [_without_timestamps(v) for v in value]
    return value


def test_a_seed_builds_the_same_instance_every_time():
    one, two = Store(), Store()
    _build(one, "demo")
    _build(two, "demo")
    assert _without_timestamps(one.tables) == _without_timestamps(two.tables)
    assert one.tables["dashboard"]["1"]["title"] == two.tables["dashboard"]["1"]["title"]


def test_scale_builds_n_dashboards_with_proportionate_content():
    emulator = LookerEmulator(seed="scale:200")
    counts = _counts(emulator)
    assert counts["dashboard"] == 200 and counts["look"] == 200
    assert counts["user"] == 21 and counts["board"] == 10 and counts["scheduled_plan"] == 20
    assert counts["alert"] == 20 and counts["user_attribute"] == 11


def test_an_unknown_seed_is_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="unknown seed 'demo2'"):
        LookerEmulator(seed="demo2")
    with pytest.raises(ValueError, match="scale:N"):
        LookerEmulator(seed="scale:many")
