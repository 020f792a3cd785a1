"""A real django-q2 cluster restores the `scale:N` seed while Looker applies a tenth of the
writes and their answers are lost (connection closed, 502 from a proxy or from Looker):
no duplicate, no false dead letter, every object equal to the source after mapping.

As in test_cluster_kill: the database is a temporary SQLite file shared by subprocesses;
the emulators run in this process.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest

from restoration.bench.compare import compare, duplicates, inventory
from restoration.looker.instances import make_sdk
from tests.engine.test_cluster_kill import FAST, Project, stop
from tests.engine.test_cross_instance import assert_migrated
from tests.fixtures_emulator import write_looker_ini

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

SEED = "scale:15"


class Mapped:
    """Source id -> destination id, read from the subprocesses' database."""

    def __init__(self, db: Any, destination_url: str) -> None:
        rows = db.execute(
            "SELECT content_type, source_id, destination_id FROM id_mappings "
            "WHERE destination_instance = ?",
            (destination_url,),
        )
        self.table = {(int(t), str(s)): str(d) for t, s, d in rows}

    def __call__(self, content_type: int, source_id: Any) -> str | None:
        if source_id in (None, ""):
            return None
        return self.table.get((int(content_type), str(source_id)))

    def by_type(self) -> dict[int, set[str]]:
        out: dict[int, set[str]] = {}
        for (content_type, _), did in self.table.items():
            out.setdefault(content_type, set()).add(did)
        return out


def test_a_cluster_restore_with_a_tenth_of_the_answers_lost_is_exact(
    tmp_path, emulator_factory, settings
):
    source = emulator_factory(seed=SEED)
    destination = emulator_factory(seed=None)
    clean = emulator_factory(seed=None)
    ini = write_looker_ini(
        tmp_path / "looker.ini", source=source, destination=destination, clean=clean
    )
    settings.LOOKER_INI = str(ini)
    data = tmp_path / "data"
    data.mkdir()
    project = Project(data, ini)
    project.manage("migrate", "-v0")
    project.manage(
        "extract", "--instance", "source", "--rate-per-second", "10000",
        "--rate-per-minute", "600000", "--no-progress",
    )  # fmt: skip
    # What fails without faults is not a false dead letter.
    project.manage("restore", "--destination", "clean", "--source", "source", "--wait", *FAST)
    before = inventory(make_sdk("destination"))

    destination.lose_answers("", ways=["close", "502_text", "502_json"], count=0, rate=0.1)
    out = project.manage(
        "restore", "--destination", "destination", "--source", "source", "--workers", "4", *FAST
    )
    session_id = out.split("Session ", 1)[1].split()[0]
    cluster = project.cluster()
    try:
        row = project.wait_for(
            session_id,
            lambda r: r["status"] not in ("pending", "running"),
            300,
            "the restore to finish",
        )
    finally:
        stop(cluster)
    counters = destination.counters()
    destination.set_faults(clear=True)

    assert row["status"] == "completed", row["last_error"]
    lost = sum(counters["lost_answers"].values())
    assert lost >= counters["writes"] * 0.05, counters["lost_answers"]  # about a tenth
    with sqlite3.connect(project.db, timeout=30) as db:
        tr = Mapped(db, destination.base_url)
        letters = {
            (int(t), str(c), str(s)): m
            for t, c, s, m in db.execute(
                "SELECT content_type, content_id, session_id, error_message FROM dead_letter_queue"
            )
        }
    expected = {(t, c) for (t, c, s), _ in letters.items() if s != session_id}
    false_letters = [
        m for (t, c, s), m in letters.items() if s == session_id and (t, c) not in expected
    ]
    assert false_letters == []
    assert duplicates(before, inventory(make_sdk("destination")), tr.by_type()) == {}
    figures = compare(make_sdk("source"), make_sdk("destination"), tr, skip=expected)
    assert figures["extra_children"] == 0
    assert figures["differences"] == []
    assert figures["equal"] == figures["compared"] > 50
    warned = {w["content_id"] for w in json.loads(row["metadata"]).get("warnings") or []}
    wired, merged = assert_migrated(
        make_sdk("source"),
        make_sdk("destination"),
        tr,
        {(t, c): "" for t, c in expected},
        warned,
    )
    # scale:15 wires tiles to filters and has merged-results tiles: they arrived too.
    assert wired > 0 and merged > 0
