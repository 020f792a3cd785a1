"""Looks backed up as lookervault backs them up (from search_looks: `query_id`, no
`query`) restore with the dashboards that show them: within the instance by their
query_id, into another instance with the query read from the source instance, and
without a configured source they fail saying so (issue 11 item 5)."""

from __future__ import annotations

import pytest
from looker_sdk.sdk.api40 import models as m

from restoration.content_types import ContentType as CT
from restoration.engine.api import as_dict
from restoration.looker.instances import make_sdk
from restoration.models import ContentItem, DeadLetterItem, IDMapping, decode_blob, encode_blob
from tests.engine.conftest import fast_config, restore, take_backup

pytestmark = pytest.mark.django_db(transaction=True)

QUERY_FIELDS = ("model", "view", "fields", "filters", "sorts", "limit")


def lookervault_backup() -> int:
    """The demo backed up, then its Looks made as lookervault stores them."""
    take_backup("source")
    looks = 0
    for row in ContentItem.objects.filter(content_type=CT.LOOK):
        data = decode_blob(row.content_data)
        assert data.get("query_id") and data.pop("query", None)
        row.content_data = encode_blob(data)
        row.save(update_fields=["content_data"])
        looks += 1
    return looks


def question(query: dict) -> tuple:
    return tuple(str(query.get(k)) for k in QUERY_FIELDS)


def test_across_instances_the_query_is_read_from_the_source(
    looker_ini, looker_source, looker_destination
):
    looks = lookervault_backup()
    session = restore(
        fast_config(
            looker_source,
            looker_destination,
            content_types=[CT.USER, CT.FOLDER, CT.LOOKML_MODEL, CT.LOOK, CT.DASHBOARD],
        )
    )
    assert session.status == "completed", session.last_error
    assert not DeadLetterItem.objects.filter(content_type=CT.LOOK).exists()
    src, dst = make_sdk("source"), make_sdk("destination")
    mapped = dict(
        IDMapping.objects.filter(content_type=CT.LOOK).values_list("source_id", "destination_id")
    )
    assert len(mapped) == looks
    for source_id, dest_id in mapped.items():
        original, copy = as_dict(src.look(source_id)), as_dict(dst.look(dest_id))
        assert question(copy["query"]) == question(original["query"])
    # The dashboards that show those Looks came too, every Look tile pointing at a copy.
    dashboards = IDMapping.objects.filter(content_type=CT.DASHBOARD)
    assert dashboards.exists()
    look_tiles = [
        e.look_id
        for d in dashboards
        for e in dst.dashboard(d.destination_id).dashboard_elements or []
        if e.look_id
    ]
    assert look_tiles and set(look_tiles) <= set(mapped.values())
    assert not DeadLetterItem.objects.filter(content_type=CT.DASHBOARD).exists()


def test_across_instances_without_the_source_instance_each_look_fails_saying_so(
    looker_ini, looker_source, looker_destination
):
    lookervault_backup()
    session = restore(
        fast_config(
            looker_source,
            looker_destination,
            content_types=[CT.USER, CT.FOLDER, CT.LOOKML_MODEL, CT.LOOK],
        ),
        source="",
    )
    letters = DeadLetterItem.objects.filter(session=session, content_type=CT.LOOK)
    assert letters.count() == session.metadata["plan"]["per_type"][str(CT.LOOK.value)]
    message = letters.first().error_message
    assert "has no query in the backup, only query_id" in message
    assert "launch the restore with the source instance set" in message
    assert {d.error_type for d in letters} == {"MissingQuery"}


def test_within_the_instance_the_query_id_is_reused_and_no_query_is_created(
    looker_ini, looker_source
):
    lookervault_backup()
    sdk = make_sdk("source")
    victim = next(lk for lk in sdk.all_looks() if lk.query_id)
    sdk.update_look(victim.id, m.WriteLookWithQuery(title="Renamed by mistake"))
    looker_source.reset_counters()

    session = restore(
        fast_config(looker_source, looker_source, content_types=[CT.LOOK, CT.DASHBOARD]),
        destination="source",
    )
    assert session.status == "completed", session.last_error
    assert session.error_count == 0
    assert looker_source.counters()["creates"].get("query", 0) == 0
    back = sdk.look(victim.id)
    assert back.title == victim.title and str(back.query_id) == str(victim.query_id)
    assert session.updated_count == 1  # only the renamed Look was written
