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


def test_it_explains_a_reference_deleted_before_the_backup_and_links_the_fix(operator_client):
    from django.utils import timezone

    from restoration.content_types import ContentType
    from tests.views.conftest import make_content

    make_content("50", ContentType.LOOK, name="Old look", deleted_at=timezone.now())
    item = make_dead_letter(
        make_running_session(),
        error_type="MissingReference",
        error_message="look 50 'Old look' was not restored",
    )
    body = operator_client.get(f"/dead-letters/{item.pk}/").content.decode()
    assert "Why, and what fixes it" in body
    assert "It needs Look 50, which was deleted in Looker before the backup was taken" in body
    assert "/sessions/new?content_types=2&amp;content_ids=50&amp;include_deleted=on" in body
    assert "&amp;destination=staging&amp;source=prod" in body
    assert ">Restore Look 50 first</a>" in body


def test_a_reference_the_backup_never_held_is_explained_without_a_false_fix(operator_client):
    item = make_dead_letter(
        make_running_session(),
        error_type="MissingReference",
        error_message="look 50 was not restored (it is not in the backup)",
    )
    body = operator_client.get(f"/dead-letters/{item.pk}/").content.decode()
    assert "It needs Look 50, which the backup does not hold" in body
    assert "probably deleted in Looker before the backup was taken" in body
    assert "Restore Look 50 first" not in body


def test_a_known_error_type_gets_its_usual_cause(operator_client):
    item = make_dead_letter(make_running_session())  # LookerValidationError
    body = operator_client.get(f"/dead-letters/{item.pk}/").content.decode()
    assert "Looker refused the object&#x27;s fields" in body or "Looker refused the object" in body


def test_an_unknown_error_gets_no_guess(operator_client):
    item = make_dead_letter(make_running_session(), error_type="SomethingNew")
    body = operator_client.get(f"/dead-letters/{item.pk}/").content.decode()
    assert 'data-testid="advice"' not in body


def test_a_reference_that_failed_too_points_at_its_own_dead_letter(operator_client):
    from restoration.content_types import ContentType
    from tests.views.conftest import make_content

    session = make_running_session()
    make_content("1", ContentType.LOOK, name="Brand")
    look = make_dead_letter(session, content_type=ContentType.LOOK, content_id="1")
    plan = make_dead_letter(
        session,
        content_type=ContentType.SCHEDULED_PLAN,
        content_id="8",
        error_type="MissingReference",
        error_message="look 1 'Brand' was not restored",
    )
    body = operator_client.get(f"/dead-letters/{plan.pk}/").content.decode()
    assert "It needs Look 1, which failed too" in body
    assert f'href="/dead-letters/{look.pk}/">Look 1&#x27;s dead letter</a>' in body


def test_a_dead_letter_whose_id_holds_a_slash_links_to_its_backup_row(operator_client):
    letter = make_dead_letter(make_session(), content_id="x/../y")
    response = operator_client.get(f"/dead-letters/{letter.pk}/")
    assert response.status_code == 200
    assert 'href="/backup/dashboard/x%252F..%252Fy/"' in response.content.decode()
