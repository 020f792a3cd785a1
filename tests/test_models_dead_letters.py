"""Dead letters: what a retry needs is kept, filters, and deletes recorded in the audit log."""

import pytest

from restoration.content_types import ContentType
from restoration.models import AuditEvent, DeadLetterItem, RestorationSession, encode_blob

pytestmark = pytest.mark.django_db


@pytest.fixture
def session() -> RestorationSession:
    return RestorationSession.objects.create(destination_instance="https://dest.example")


def dead_letter(session, content_id="1", content_type=ContentType.DASHBOARD, **fields) -> int:
    return DeadLetterItem.objects.create(
        session=session,
        content_id=content_id,
        content_type=content_type,
        content_data=encode_blob({"id": content_id, "title": "Broken"}),
        error_message=fields.pop("error_message", "title is already taken"),
        error_type=fields.pop("error_type", "LookerValidationError"),
        retry_count=fields.pop("retry_count", 0),
        **fields,
    ).pk


def test_a_dead_letter_keeps_what_a_retry_needs(session):
    metadata = {
        "request_payload": {"title": "Broken"},
        "response_status": 422,
        "response_body": '{"message": "Validation Failed"}',
        "retry_history": [],
    }
    dlq_id = dead_letter(session, stack_trace="Traceback ...", metadata=metadata)
    item = DeadLetterItem.objects.get(pk=dlq_id)
    assert item.decoded() == {"id": "1", "title": "Broken"}
    assert item.metadata == metadata
    assert item.stack_trace == "Traceback ..."


def test_filtered_narrows_by_session_and_type(session):
    other = RestorationSession.objects.create(destination_instance="https://dest.example")
    dead_letter(session, "1")
    dead_letter(session, "2", ContentType.LOOK)
    dead_letter(other, "3")
    assert DeadLetterItem.objects.filtered(session_id=session.id).count() == 2
    only_looks = DeadLetterItem.objects.filtered(content_type=ContentType.LOOK)
    assert [i.content_id for i in only_looks] == ["2"]
    assert DeadLetterItem.objects.filtered(session_id="other").count() == 0


def test_filtered_narrows_by_error_type(session):
    dead_letter(session, "1", error_type="LookerValidationError")
    dead_letter(session, "2", error_type="ConnectionError")
    assert DeadLetterItem.objects.filtered(error_type="ConnectionError").get().content_id == "2"


def test_delete_recorded_writes_who_and_what_to_the_audit_log(session, operator):
    dead_letter(session, "1")
    dead_letter(session, "2", ContentType.LOOK)
    keep = dead_letter(session, "3", error_type="ConnectionError")
    deleted = DeadLetterItem.objects.filter(error_type="LookerValidationError").delete_recorded(
        operator, "validation failures, fixed by hand in Looker"
    )
    assert deleted == 2
    assert list(DeadLetterItem.objects.values_list("pk", flat=True)) == [keep]
    event = AuditEvent.objects.get()
    assert event.user == operator
    assert event.action == AuditEvent.Action.DELETE_DEAD_LETTERS
    assert event.count == 2
    assert event.description == "validation failures, fixed by hand in Looker"
    assert {(row[1], row[2]) for row in event.details["items"]} == {
        (ContentType.DASHBOARD, "1"),
        (ContentType.LOOK, "2"),
    }
    assert event.details["truncated"] is False


def test_delete_recorded_of_nothing_writes_no_event(session, operator):
    dead_letter(session, "1")
    assert DeadLetterItem.objects.filter(content_id="nope").delete_recorded(operator, "x") == 0
    assert not AuditEvent.objects.exists()


def test_deleting_a_session_deletes_its_dead_letters(session):
    dead_letter(session)
    session.delete()
    assert not DeadLetterItem.objects.exists()


def failure(session, content_id="1", **fields) -> DeadLetterItem:
    return DeadLetterItem(
        session=session,
        content_id=content_id,
        content_type=fields.pop("content_type", ContentType.DASHBOARD),
        content_data=encode_blob({"id": content_id, "title": "Broken"}),
        error_message=fields.pop("error_message", "title is already taken"),
        error_type="LookerValidationError",
        retry_count=fields.pop("retry_count", 0),
        metadata={"retry_history": [{"attempt": 1, "status": 422, "error": "taken"}]},
        **fields,
    )


def test_a_new_failure_of_an_item_updates_its_dead_letter_instead_of_adding_one():
    first = RestorationSession.objects.create(
        destination_instance="https://dest.example", source_instance="https://src.example"
    )
    second = RestorationSession.objects.create(
        destination_instance="https://dest.example", source_instance="https://src.example"
    )
    elsewhere = RestorationSession.objects.create(
        destination_instance="https://other.example", source_instance="https://src.example"
    )
    DeadLetterItem.objects.record_failures(first, [failure(first, "1"), failure(first, "2")])
    DeadLetterItem.objects.record_failures(
        second, [failure(second, "1", error_message="still taken", retry_count=2)]
    )
    DeadLetterItem.objects.record_failures(elsewhere, [failure(elsewhere, "1")])
    assert DeadLetterItem.objects.count() == 3
    again = DeadLetterItem.objects.get(
        content_id="1", session__destination_instance="https://dest.example"
    )
    assert again.failure_count == 2
    assert again.retry_count == 0 + 1 + 2
    assert again.session_id == second.pk and again.error_message == "still taken"
    assert len(again.metadata["retry_history"]) == 2
    assert again.metadata["retry_history"][-1]["session"] == second.pk
    assert again.metadata["sessions"] == [first.pk, second.pk]


def test_a_failed_manual_retry_increases_the_retry_count():
    origin = RestorationSession.objects.create(destination_instance="https://dest.example")
    retry = RestorationSession.objects.create(destination_instance="https://dest.example")
    pk = dead_letter(origin, "7", retry_count=3)
    DeadLetterItem.objects.record_retry_failures({pk: failure(retry, "7", retry_count=0)})
    item = DeadLetterItem.objects.get(pk=pk)
    assert item.retry_count == 4 and item.failure_count == 2


def test_an_item_restored_later_leaves_the_dead_letters_of_its_pair():
    first = RestorationSession.objects.create(destination_instance="https://dest.example")
    later = RestorationSession.objects.create(destination_instance="https://dest.example")
    dead_letter(first, "1")
    dead_letter(first, "2")
    assert DeadLetterItem.objects.resolve(later, ContentType.DASHBOARD, ["1"]) == 1
    assert list(DeadLetterItem.objects.values_list("content_id", flat=True)) == ["2"]
