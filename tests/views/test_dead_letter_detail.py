"""GET /dead-letters/<id>/: everything needed to understand one failure."""

from restoration.models import encode_blob
from tests.views.conftest import make_dead_letter, make_running_session, make_session


def test_it_shows_message_trace_payload_response_history_and_content(
    operator_client, django_assert_max_num_queries
):
    item = make_dead_letter(make_running_session())
    with django_assert_max_num_queries(8):
        body = operator_client.get(f"/dead-letters/{item.pk}/").content.decode()
    assert "title: must be unique within the folder" in body
    assert "Traceback (most recent call last)" in body
    assert "Validation Failed" in body and "422" in body
    assert "Retry history" in body and "<td>1</td>" in body
    assert "&quot;title&quot;: &quot;Sales overview&quot;" in body  # the decoded blob
    assert ">Retry this item</button>" in body


def test_an_undecodable_blob_is_explained_not_fatal(operator_client):
    item = make_dead_letter(make_running_session(), content_data=b"\xc1 not msgpack")
    response = operator_client.get(f"/dead-letters/{item.pk}/")
    assert response.status_code == 200
    assert "not valid MessagePack" in response.content.decode()


def test_a_list_blob_is_explained(operator_client):
    item = make_dead_letter(make_running_session(), content_data=encode_blob([1, 2]))  # type: ignore[arg-type]
    assert (
        "not a Looker object" in operator_client.get(f"/dead-letters/{item.pk}/").content.decode()
    )


def test_auditors_see_it_without_action_buttons(auditor_client):
    item = make_dead_letter(make_running_session())
    body = auditor_client.get(f"/dead-letters/{item.pk}/").content.decode()
    assert "Retry history" in body and ">Retry this item</button>" not in body


def test_a_missing_dead_letter_is_404(operator_client):
    assert operator_client.get("/dead-letters/999/").status_code == 404


def test_a_dead_letter_whose_id_holds_a_slash_links_to_its_backup_row(operator_client):
    letter = make_dead_letter(make_session(), content_id="x/../y")
    response = operator_client.get(f"/dead-letters/{letter.pk}/")
    assert response.status_code == 200
    assert 'href="/backup/dashboard/x%252F..%252Fy/"' in response.content.decode()
