"""Every content type's module, against the demo Looker: its listing finds what the
instance holds, its natural key tells those objects apart, and its search by key finds
each one back (what a create whose answer was lost relies on)."""

from __future__ import annotations

import pytest

from restoration.content_types import DEPENDENCY_ORDER
from restoration.content_types import ContentType as CT
from restoration.engine.api import DestinationAPI, as_dict
from restoration.engine.content import KINDS, kind_of
from restoration.engine.destination import DestinationState
from restoration.looker.calls import LookerCaller

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_state(looker_ini):
    api = DestinationAPI("source", LookerCaller(None, max_retries=0), dry_run=True)
    yield DestinationState(api)
    api.close()


def test_every_restorable_type_has_a_module():
    assert set(KINDS) == set(DEPENDENCY_ORDER)
    assert kind_of(CT.EXPLORE).label == "item"  # explores are skipped, not restored


@pytest.mark.parametrize("content_type", DEPENDENCY_ORDER, ids=lambda t: CT(t).slug)
def test_the_listing_indexes_the_demo_by_natural_key(demo_state, content_type):
    index = demo_state.index(content_type)
    assert index.by_id, f"the demo holds {CT(content_type).label}s"
    kind = KINDS[content_type]
    keyed = [oid for oid, obj in index.by_id.items() if kind.natural_key(obj) is not None]
    assert keyed
    for key, oid in index.by_key.items():
        assert kind.natural_key(index.by_id[oid]) == key


@pytest.mark.parametrize(
    "content_type",
    [t for t in DEPENDENCY_ORDER if t != CT.LOOKML_MODEL],
    ids=lambda t: CT(t).slug,
)
def test_the_search_by_key_finds_each_object_back(demo_state, content_type):
    kind = KINDS[content_type]
    index = demo_state.index(content_type)
    for key, oid in list(index.by_key.items())[:5]:
        method, params = kind.search_by_key(key)
        found = [as_dict(o) for o in demo_state.api.read(method, **params) or []]
        assert oid in {str(o.get("id")) for o in found if kind.natural_key(o) == key}, key


def test_types_without_a_search_by_key_say_so():
    # A model is read by its name, its id (lookml_models.find_model).
    assert KINDS[CT.LOOKML_MODEL].search_by_key("thelook") is None
