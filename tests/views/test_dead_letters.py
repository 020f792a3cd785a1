"""GET /dead-letters/: filters, the breakdown by error type, keyset paging, bulk controls."""

from restoration.content_types import ContentType
from tests.views.conftest import make_dead_letter, make_running_session, make_session


def test_it_lists_dead_letters_with_a_breakdown_by_error_type(
    operator_client, django_assert_max_num_queries
):
    session = make_running_session()
    first = make_dead_letter(session)
    make_dead_letter(session, content_id="43", error_type="ConnectionError")
    make_dead_letter(session, content_id="44", error_type="ConnectionError")
    with django_assert_max_num_queries(10):
        body = operator_client.get("/dead-letters/").content.decode()
    assert f"/dead-letters/{first.pk}/" in body
    assert 'ConnectionError <span class="count">2</span>' in body
    assert 'LookerValidationError <span class="count">1</span>' in body
    assert ">Retry</button>" in body and ">Delete…</button>" in body
    assert 'name="all_matching" value="yes"' in body


def test_it_filters_by_session_type_and_error_type(operator_client):
    one, other = make_running_session(), make_session()
    wanted = make_dead_letter(one, content_id="1", error_type="ConnectionError")
    unwanted = [
        make_dead_letter(other, content_id="2", error_type="ConnectionError"),
        make_dead_letter(one, content_id="3", error_type="LookerValidationError"),
        make_dead_letter(
            one, content_id="4", content_type=ContentType.LOOK, error_type="ConnectionError"
        ),
    ]
    body = operator_client.get(
        f"/dead-letters/?session={one.pk}&type=1&error_type=ConnectionError"
    ).content.decode()
    assert f"/dead-letters/{wanted.pk}/" in body
    assert not [d.pk for d in unwanted if f"/dead-letters/{d.pk}/" in body]
    # The breakdown keeps the other error types of this session reachable.
    assert "LookerValidationError" in body


def test_load_more_returns_only_the_next_rows(operator_client, htmx_headers):
    session = make_running_session()
    items = [make_dead_letter(session, content_id=str(i)) for i in range(55)]
    response = operator_client.get(f"/dead-letters/?after={items[5].pk}", **htmx_headers)
    body = response.content.decode()
    assert "<html" not in body
    assert all(f"/dead-letters/{d.pk}/" in body for d in items[:5])
    assert f"/dead-letters/{items[5].pk}/" not in body


def test_auditors_see_no_bulk_controls(auditor_client):
    make_dead_letter(make_running_session())
    body = auditor_client.get("/dead-letters/").content.decode()
    assert ">Retry</button>" not in body and 'name="ids"' not in body


def test_outsiders_are_refused(outsider_client):
    assert outsider_client.get("/dead-letters/").status_code == 403


def test_rows_loaded_by_load_more_keep_their_select_boxes(operator_client, htmx_headers):
    from restoration.views.paging import PAGE_SIZE

    session = make_session()
    items = [make_dead_letter(session, content_id=str(i)) for i in range(PAGE_SIZE + 2)]
    body = operator_client.get("/dead-letters/").content.decode()
    assert "data-select-all" in body and 'aria-label="Select every dead letter shown"' in body
    assert "restoration/select.js" in body
    after = items[2].pk  # the last row of the first page (newest first)
    more = operator_client.get(f"/dead-letters/?after={after}", **htmx_headers).content.decode()
    assert f'name="ids" value="{items[0].pk}"' in more


def test_auditors_get_no_select_boxes(auditor_client):
    make_dead_letter(make_session())
    body = auditor_client.get("/dead-letters/").content.decode()
    assert 'name="ids"' not in body and "data-select-all" not in body


def test_an_empty_queue_says_so_and_a_filter_without_matches_offers_to_clear(operator_client):
    assert (
        "The dead-letter queue is empty" in operator_client.get("/dead-letters/").content.decode()
    )
    make_dead_letter(make_session())
    body = operator_client.get("/dead-letters/?error_type=Nope").content.decode()
    assert "No dead letter matches this filter" in body and "Retry</button>" not in body
