"""POST /dead-letters/delete: confirmation, then deletion recorded in the audit log."""

from restoration.models import AuditEvent, DeadLetterItem
from tests.views.conftest import make_dead_letter, make_running_session


def test_it_asks_for_confirmation_first(operator_client):
    session = make_running_session()
    items = [make_dead_letter(session, content_id=str(i)) for i in range(3)]
    response = operator_client.post("/dead-letters/delete", {"ids": [items[0].pk, items[1].pk]})
    body = response.content.decode()
    assert response.status_code == 200 and "Delete <strong>2 dead letters" in body
    assert DeadLetterItem.objects.count() == 3


def test_confirming_deletes_the_ticked_rows_and_records_who(operator_client, operator):
    session = make_running_session()
    items = [make_dead_letter(session, content_id=str(i)) for i in range(3)]
    response = operator_client.post(
        "/dead-letters/delete", {"ids": [items[0].pk, items[1].pk], "confirmed": "yes"}, follow=True
    )
    assert "Deleted 2 dead letters" in response.content.decode()
    assert list(DeadLetterItem.objects.values_list("pk", flat=True)) == [items[2].pk]
    event = AuditEvent.objects.get(action=AuditEvent.Action.DELETE_DEAD_LETTERS)
    assert event.user == operator and event.count == 2


def test_all_matching_deletes_exactly_the_filtered_rows(operator_client):
    session = make_running_session()
    for i in range(3):
        make_dead_letter(session, content_id=str(i), error_type="ConnectionError")
    kept = make_dead_letter(session, content_id="9", error_type="LookerValidationError")
    operator_client.post(
        "/dead-letters/delete",
        {"all_matching": "yes", "error_type": "ConnectionError", "confirmed": "yes"},
    )
    assert list(DeadLetterItem.objects.values_list("pk", flat=True)) == [kept.pk]
    assert "error_type=ConnectionError" in AuditEvent.objects.get().description


def test_auditors_are_refused(auditor_client):
    item = make_dead_letter(make_running_session())
    response = auditor_client.post("/dead-letters/delete", {"ids": [item.pk], "confirmed": "yes"})
    assert response.status_code == 403 and DeadLetterItem.objects.count() == 1


def test_the_audit_log_names_which_dead_letters_were_deleted(operator_client):
    from restoration.content_types import ContentType

    session = make_running_session()
    look = make_dead_letter(session, content_type=ContentType.LOOK, content_id="50")
    dashboard = make_dead_letter(session, content_id="7")
    operator_client.post(
        "/dead-letters/delete", {"ids": [look.pk, dashboard.pk], "confirmed": "yes"}
    )
    event = AuditEvent.objects.get()
    assert event.description == "Deleted 2 selected dead letters: Dashboard 7, Look 50"
