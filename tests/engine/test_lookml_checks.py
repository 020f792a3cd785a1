"""Looks and tiles whose query Looker would refuse: the LookML model is not configured on
the destination, it has no such explore there, or it allows a connection the destination
lacks. A dry run says "would fail" naming the model and explore; a real run dead-letters
them with the same words."""

import pytest

from restoration.content_types import ContentType as CT
from restoration.emulator.lookml import DEMO_PROJECTS
from restoration.looker.instances import make_sdk
from restoration.models import DeadLetterItem, IDMapping
from tests.engine.conftest import fast_config, restore

pytestmark = pytest.mark.django_db(transaction=True)


def looks_on(sdk, *models: str, view: str | None = None) -> set[str]:
    """Ids of the Looks whose query uses one of `models` (and `view` when given)."""
    out = set()
    for lk in sdk.all_looks(fields="id,query_id"):
        query = sdk.query(lk.query_id) if lk.query_id else None
        if query and query.model in models and view in (None, query.view):
            out.add(lk.id)
    return out


def test_a_query_on_an_explore_the_destination_lacks_would_fail_and_does_fail(
    backup, looker_source, looker_destination
):
    assert restore(fast_config(looker_source, looker_destination)).status == "completed_with_errors"
    # The destination is redeployed without thelook's `users` explore.
    projects = {p: {m: list(e) for m, e in models.items()} for p, models in DEMO_PROJECTS.items()}
    projects["thelook"]["thelook"].remove("users")
    looker_destination.set_projects(projects)
    affected = looks_on(make_sdk("source"), "thelook", view="users")
    assert affected

    looker_destination.reset_counters()
    dry = restore(fast_config(looker_source, looker_destination, dry_run=True))
    assert looker_destination.counters()["writes"] == 0
    failing = {
        i["content_id"]: i["reason"]
        for i in dry.dry_run_items()
        if i["content_type"] == CT.LOOK and i["action"] == "fail"
    }
    assert set(failing) == affected
    assert set(failing.values()) == {
        "LookML model 'thelook' has no explore 'users' on the destination"
    }

    # A real run dead-letters them with the same words, the one deleted on the
    # destination included (it is not created without its query).
    dest = make_sdk("destination")
    gone = IDMapping.objects.get(content_type=CT.LOOK, source_id=sorted(affected)[0])
    dest.delete_look(gone.destination_id)
    real = restore(fast_config(looker_source, looker_destination, content_types=[CT.LOOK]))
    letters = DeadLetterItem.objects.filter(session=real)
    assert {d.error_message for d in letters} == {
        "LookML model 'thelook' has no explore 'users' on the destination"
    }
    assert {d.content_id for d in letters} == affected
    assert gone.destination_id not in {lk.id for lk in dest.all_looks(fields="id")}


def test_a_model_allowing_a_connection_the_destination_lacks_would_fail(
    backup, looker_source, looker_destination
):
    models_only = {"content_types": [CT.LOOKML_MODEL]}
    assert restore(fast_config(looker_source, looker_destination, **models_only)).status == (
        "completed"
    )
    # Then BigQuery's connection is removed from the destination.
    with looker_destination.store.lock:
        looker_destination.store.remove("connection", "bigquery_prod")
    bigquery = looks_on(make_sdk("source"), "faa", "ecommerce_bq")
    assert bigquery

    looker_destination.reset_counters()
    dry = restore(fast_config(looker_source, looker_destination, dry_run=True))
    assert looker_destination.counters()["writes"] == 0
    looks = {i["content_id"]: i for i in dry.dry_run_items() if i["content_type"] == CT.LOOK}
    failing = {k for k, i in looks.items() if i["action"] == "fail"}
    assert failing == bigquery
    for look in bigquery:
        assert looks[look]["reason"] in (
            "LookML model 'faa' allows connection(s) bigquery_prod absent on the destination",
            "LookML model 'ecommerce_bq' allows connection(s) bigquery_prod absent on the "
            "destination",
        )
