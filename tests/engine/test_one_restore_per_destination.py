"""Two restores launched into one Looker, and a real django-q2 cluster with a worker for
each: the second launched waits for the first (visibly), so they never run at once; a dry run into
the same Looker does not wait. Subprocesses share a temporary SQLite file, as in
test_cluster_kill; the emulators run in this process."""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from tests.engine.test_cluster_kill import FAST, Project, stop
from tests.fixtures_emulator import write_looker_ini

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

TYPES = ["--types", "user", "group", "folder", "--workers", "2"]


def when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def ran_at_once(rows: list[dict]) -> int:
    """Pairs of sessions whose running times [running_since, completed_at] overlap."""
    spans = [(when(r["running_since"]), when(r["completed_at"])) for r in rows]
    return sum(
        1
        for i, (start_a, end_a) in enumerate(spans)
        for start_b, end_b in spans[i + 1 :]
        if start_a < end_b and start_b < end_a
    )


def test_two_restores_into_one_looker_never_run_at_once_and_a_dry_run_does_not_wait(
    tmp_path, emulator_factory
):
    source = emulator_factory(seed="demo")
    destination = emulator_factory(seed=None)
    ini = write_looker_ini(tmp_path / "looker.ini", source=source, destination=destination)
    data = tmp_path / "data"
    data.mkdir()
    project = Project(data, ini)
    project.env["Q_WORKERS"] = "3"  # a worker free for each session: only the lock holds one back
    project.manage("migrate", "-v0")
    project.manage(
        "extract", "--instance", "source", "--rate-per-second", "10000",
        "--rate-per-minute", "600000", "--no-progress",
    )  # fmt: skip
    destination.set_faults(latency_ms=10)  # each restore takes a few seconds

    def launch(*extra: str) -> str:
        out = project.manage(
            "restore", "--destination", "destination", "--source", "source", *TYPES, *FAST, *extra
        )
        return out.split("Session ", 1)[1].split()[0]

    # Two operators launch into the same (empty) staging, and a third plans a dry run.
    first, second, dry = launch(), launch(), launch("--dry-run")
    cluster = project.cluster()
    seen_waiting: dict[str, str] = {}
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            rows = {pk: project.session(pk) for pk in (first, second, dry)}
            for pk, row in rows.items():
                if row["status"] == "pending" and row["waiting_for_id"]:
                    seen_waiting[pk] = row["waiting_for_id"]
            if all(r["completed_at"] and r["status"] != "running" for r in rows.values()):
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"the sessions did not finish: {rows}")
    finally:
        stop(cluster)

    restores = [rows[first], rows[second]]
    assert [r["status"] for r in restores] == ["completed", "completed"], restores
    assert ran_at_once(restores) == 0
    # The one launched second waited, visibly, for the first: first come, first served,
    # whichever worker picked up whose task first.
    assert seen_waiting == {second: first}
    later, earlier = rows[second], rows[first]
    assert later["waiting_for_id"] is None  # cleared once it ran
    # The earlier one created everything; the later one found it all there: no duplicates.
    assert earlier["created_count"] > 20 and later["created_count"] == 0
    assert later["skipped_count"] + later["updated_count"] == later["total_items"]
    names = [g["name"] for g in destination.store.all("group")]
    assert len(names) == len(set(names))
    # The dry run never waited: it ran while the first restore did.
    assert dry not in seen_waiting
    assert ran_at_once([rows[dry], earlier]) == 1
    print(
        f"\nsessions that ran at once: {ran_at_once(restores)} "
        f"(the second waited {when(later['running_since']) - when(earlier['running_since'])})"
    )
