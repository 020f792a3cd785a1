"""A clash (a name, title or key another object has) is answered 409 "The resource already
exists." or 422 `already_exists` depending on the operation, and public evidence settles
that for only a few (EVIDENCE.md, "Clashes"). The engine must not depend on which: for
every create that can clash, the first attempt lands but its answer is lost, the lost-answer
finder's first look misses it (as a Looker whose lists lag behind its writes would), so the
repeat is refused as a clash; the engine then adopts what the first attempt made. Run once
with every such clash answered 409 and once with every one answered 422."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from restoration.engine.api import FINDERS, LostWrite
from restoration.looker.instances import make_sdk
from restoration.models import DeadLetterItem
from tests.engine.conftest import fast_config, restore
from tests.engine.test_cross_instance import Translate, assert_migrated
from tests.engine.test_lost_answers import route_of
from tests.fixtures_emulator import write_looker_ini

pytestmark = pytest.mark.django_db(transaction=True)

# Every create the engine makes whose repeat the emulator refuses as a clash (a create
# whose repeat is accepted, a Look or a folder, can't reach this path).
CLASHING = (
    "create_group",
    "create_permission_set",
    "create_model_set",
    "create_role",
    "create_lookml_model",
    "create_content_metadata_access",
    "create_dashboard",
    "create_dashboard_filter",
    "create_user_attribute",
)


class FirstLookMisses:
    """Wraps a finder: the first look for each lost write finds nothing."""

    def __init__(self, finder: Any) -> None:
        self.finder = finder
        self.seen: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self, api: Any, lost: LostWrite) -> Any:
        key = repr((lost.method, lost.args, lost.body, lost.key))
        with self.lock:
            first = key not in self.seen
            self.seen.add(key)
        return None if first else self.finder(api, lost)


@pytest.fixture
def clean_creates(backup, looker_source, looker_destination, emulator_factory, tmp_path, settings):
    """What a restore without lost answers creates, in an instance of its own."""
    clean = emulator_factory(seed=None)
    settings.LOOKER_INI = str(
        write_looker_ini(
            tmp_path / "with-clean.ini",
            source=looker_source,
            destination=looker_destination,
            clean=clean,
        )
    )
    session = restore(fast_config(looker_source, clean), destination="clean")
    assert session.error_count == 0, session.last_error
    return clean.counters()["creates"]


@pytest.mark.parametrize("status", [409, 422])
def test_a_repeat_refused_as_a_clash_adopts_what_landed_whatever_the_status(
    clean_creates, looker_source, looker_destination, monkeypatch, status
):
    for method in CLASHING:
        monkeypatch.setitem(FINDERS, method, FirstLookMisses(FINDERS[method]))
    routes = [route_of(method) for method in CLASHING]
    dest = looker_destination
    dest.answer_clashes_with(status, *CLASHING)
    # Every create of these kinds lands and loses its answer; repeats are refused.
    dest.lose_answers("|".join(routes), ways=["close"], count=0, rate=1)

    session = restore(fast_config(looker_source, dest, max_retries=3))
    counters = dest.counters()
    dest.set_faults(clear=True)

    assert session.status == "completed", session.last_error
    assert not DeadLetterItem.objects.exists()
    assert session.error_count == 0
    # Each kind went through the clash, answered with the status asked for, and nothing
    # was made twice.
    other = 422 if status == 409 else 409
    for method, route in zip(CLASHING, routes, strict=True):
        key = route.strip("^$").replace("\\", "")
        assert counters["clashes"].get(f"{status} {key}", 0) >= 1, method
        assert f"{other} {key}" not in counters["clashes"], method
    creates = {k: v for k, v in counters["creates"].items() if k != "query"}
    assert creates == {k: v for k, v in clean_creates.items() if k != "query"}
    assert_migrated(
        make_sdk("source"),
        make_sdk("destination"),
        Translate(looker_source.base_url, dest.base_url),
        {},
        {w["content_id"] for w in session.metadata["warnings"]},
    )
