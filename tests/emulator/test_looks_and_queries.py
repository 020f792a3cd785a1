"""Looks and their immutable queries."""

import pytest
import requests
from looker_sdk import error
from looker_sdk.sdk.api40 import models as m

from tests.emulator.sdk_client import configure_model


@pytest.fixture(autouse=True)
def _thelook_configured(sdk):
    configure_model(sdk)


def _query(sdk, **kw):
    return sdk.create_query(
        m.WriteQuery(model="thelook", view="users", fields=["users.count"], **kw)
    )


def test_an_identical_query_answers_the_existing_one(sdk, looker_destination):
    first = _query(sdk)
    again = _query(sdk)
    other = _query(sdk, limit="10")
    assert first.id == again.id != other.id
    assert looker_destination.counters()["creates"]["query"] == 2


def test_queries_are_found_by_id_and_slug(sdk):
    query = _query(sdk)
    assert sdk.query(query.id).model == "thelook"
    assert sdk.query_for_slug(query.slug).id == query.id


def test_queries_cannot_be_changed_or_deleted(sdk, looker_destination):
    query = _query(sdk)
    headers = sdk.auth.authenticate({})
    for verb in ("PATCH", "DELETE"):
        response = requests.request(
            verb,
            f"{looker_destination.base_url}/api/4.0/queries/{query.id}",
            headers=headers,
            json={},
        )
        assert response.status_code in (404, 405)
        assert response.json()["documentation_url"]


def test_a_query_needs_model_and_view(sdk, looker_destination):
    response = requests.post(
        f"{looker_destination.base_url}/api/4.0/queries",
        headers=sdk.auth.authenticate({}),
        json={"fields": ["a.b"]},
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"model", "view"}


def test_a_look_carries_its_query(sdk):
    query = _query(sdk)
    look = sdk.create_look(m.WriteLookWithQuery(title="Users", folder_id="1", query_id=query.id))
    assert look.query.id == query.id
    assert look.folder.name == "Shared"
    assert sdk.look(look.id).query_id == query.id


def test_a_look_can_bring_a_new_query_inline(sdk):
    look = sdk.create_look(
        m.WriteLookWithQuery(
            title="Inline", folder_id="1", query=m.WriteQuery(model="thelook", view="products")
        )
    )
    assert look.query.view == "products"


def test_a_look_needs_an_existing_query(sdk):
    with pytest.raises(error.SDKError) as exc:
        sdk.create_look(m.WriteLookWithQuery(title="Broken", folder_id="1", query_id="12345"))
    assert (exc.value.errors[0].field, exc.value.errors[0].code) == ("query_id", "missing")


def test_rule_look_titles_may_repeat_in_a_folder(sdk):
    query = _query(sdk)
    first = sdk.create_look(m.WriteLookWithQuery(title="Users", folder_id="1", query_id=query.id))
    second = sdk.create_look(m.WriteLookWithQuery(title="Users", folder_id="1", query_id=query.id))
    assert first.id != second.id
    assert [lk.title for lk in sdk.folder_looks("1")] == ["Users", "Users"]


def test_soft_deleted_looks_leave_all_looks_but_not_search_with_deleted(sdk):
    look = sdk.create_look(
        m.WriteLookWithQuery(title="Old", folder_id="1", query_id=_query(sdk).id)
    )
    sdk.update_look(look.id, m.WriteLookWithQuery(deleted=True))
    assert look.id not in [x.id for x in sdk.all_looks()]
    assert [x.id for x in sdk.search_looks(deleted=True)] == [look.id]
    sdk.delete_look(look.id)
    assert sdk.search_looks(deleted=True) == []


def test_looks_copy_and_move(sdk):
    look = sdk.create_look(
        m.WriteLookWithQuery(title="Users", folder_id="1", query_id=_query(sdk).id)
    )
    copy = sdk.copy_look(look.id, folder_id="2")
    assert (copy.title, copy.folder_id) == ("Users", "2")
    assert sdk.move_look(copy.id, folder_id="1").folder_id == "1"
    with pytest.raises(error.SDKError) as exc:
        sdk.move_look(copy.id, folder_id="99999")
    assert "/422/patch/looks/:look_id/move" in exc.value.documentation_url


def test_search_looks_filters_by_folder_and_user(demo_sdk):
    look = demo_sdk.all_looks()[0]
    found = demo_sdk.search_looks(folder_id=look.folder_id, user_id=look.user_id)
    assert look.id in [x.id for x in found]
    assert all(x.folder_id == look.folder_id and x.user_id == look.user_id for x in found)
