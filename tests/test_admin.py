"""The Django admin: every table listed, blobs decoded read-only, no COUNT(*), recorded deletes."""

import pytest
from django.contrib.admin import helpers
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from restoration.content_types import ContentType
from restoration.models import (
    AuditEvent,
    ContentItem,
    DeadLetterItem,
    IDMapping,
    RestorationCheckpoint,
    RestorationSession,
    SessionStatus,
    encode_blob,
)

pytestmark = pytest.mark.django_db

MODELS = [
    "contentitem",
    "restorationsession",
    "restorationcheckpoint",
    "idmapping",
    "deadletteritem",
    "auditevent",
    "dryrunitem",
    "ratelimitstate",
]


@pytest.fixture
def admin_user(db) -> User:
    return User.objects.create_superuser("root", password="root-pass-123")


@pytest.fixture
def staff_operator(operator) -> User:
    operator.is_staff = True
    operator.save()
    return operator


@pytest.fixture
def staff_auditor(auditor) -> User:
    auditor.is_staff = True
    auditor.save()
    return auditor


@pytest.fixture
def data(db):
    session = RestorationSession.objects.create(destination_instance="https://dest.example")
    ContentItem.objects.create(
        content_id="12",
        content_type=ContentType.DASHBOARD,
        name="Sales overview",
        content_data=encode_blob({"id": "12", "title": "Sales overview", "tiles": [1, 2]}),
    )
    ContentItem.objects.create(
        content_id="13", content_type=ContentType.LOOK, name="Broken", content_data=b"\xc1"
    )
    RestorationCheckpoint.objects.create(
        session=session,
        content_type=ContentType.DASHBOARD,
        checkpoint_data={"last_offset": 3, "completed_ids": ["7"]},
    )
    IDMapping.objects.create(
        source_instance="https://src",
        destination_instance="https://dest.example",
        content_type=ContentType.DASHBOARD,
        source_id="12",
        destination_id="99",
    )
    for n in range(3):
        DeadLetterItem.objects.create(
            session=session,
            content_id=str(n),
            content_type=ContentType.LOOK,
            content_data=encode_blob({"id": str(n), "title": "Dup"}),
            error_message="Validation Failed: title already exists",
            error_type="LookerValidationError",
            retry_count=0,
            metadata={"response_status": 422},
        )
    return session


def changelist(model: str) -> str:
    return reverse(f"admin:restoration_{model}_changelist")


def test_the_admin_index_lists_every_table(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("admin:index"))
    for model in MODELS:
        assert changelist(model) in response.text


@pytest.mark.parametrize("model", MODELS)
def test_lists_load_without_counting_the_table(client, admin_user, data, model):
    client.force_login(admin_user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(changelist(model), {"q": "1"})
        response = client.get(changelist(model))
    assert response.status_code == 200
    counted = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert counted == []


@pytest.mark.parametrize("model", ["contentitem", "deadletteritem"])
def test_lists_leave_the_blob_out_of_the_query(client, admin_user, data, model):
    client.force_login(admin_user)
    with CaptureQueriesContext(connection) as queries:
        client.get(changelist(model))
    table = {"contentitem": "content_items", "deadletteritem": "dead_letter_queue"}[model]
    list_queries = [q["sql"] for q in queries if f'FROM "{table}"' in q["sql"]]
    assert list_queries
    assert not [sql for sql in list_queries if "content_data" in sql]


def test_a_backup_item_shows_its_blob_as_pretty_json(client, admin_user, data):
    client.force_login(admin_user)
    item = ContentItem.objects.get_content("12", ContentType.DASHBOARD)
    response = client.get(reverse("admin:restoration_contentitem_change", args=[item.pk]))
    assert response.status_code == 200
    assert "&quot;title&quot;: &quot;Sales overview&quot;" in response.text
    assert 'name="content_data"' not in response.text  # read-only, never an input


def test_a_blob_that_does_not_decode_shows_why_instead_of_failing(client, admin_user, data):
    client.force_login(admin_user)
    item = ContentItem.objects.get_content("13", ContentType.LOOK)
    response = client.get(reverse("admin:restoration_contentitem_change", args=[item.pk]))
    assert response.status_code == 200
    assert "is not valid MessagePack" in response.text


def test_backup_items_cannot_be_added_changed_or_deleted(client, admin_user, data):
    client.force_login(admin_user)
    item = ContentItem.objects.get_content("12", ContentType.DASHBOARD)
    assert client.get(reverse("admin:restoration_contentitem_add")).status_code == 403
    url = reverse("admin:restoration_contentitem_delete", args=[item.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert ContentItem.objects.filter(pk=item.pk).exists()


def test_deleting_dead_letters_asks_for_confirmation_first(client, staff_operator, data):
    client.force_login(staff_operator)
    ids = list(DeadLetterItem.objects.values_list("pk", flat=True)[:2])
    response = client.post(
        changelist("deadletteritem"),
        {"action": "delete_selected_recorded", helpers.ACTION_CHECKBOX_NAME: ids},
    )
    assert response.status_code == 200
    assert "2 dead letters will be deleted" in response.text
    assert "Why (kept in the audit log)" in response.text
    assert DeadLetterItem.objects.count() == 3


def test_confirming_deletes_and_records_who_and_why(client, staff_operator, data):
    client.force_login(staff_operator)
    ids = list(DeadLetterItem.objects.values_list("pk", flat=True)[:2])
    response = client.post(
        changelist("deadletteritem"),
        {
            "action": "delete_selected_recorded",
            helpers.ACTION_CHECKBOX_NAME: ids,
            "confirmed": "yes",
            "description": "fixed the titles by hand",
        },
    )
    assert response.status_code == 302
    assert DeadLetterItem.objects.count() == 1
    event = AuditEvent.objects.get(action=AuditEvent.Action.DELETE_DEAD_LETTERS)
    assert (event.user, event.count, event.description) == (
        staff_operator,
        2,
        "fixed the titles by hand",
    )


def test_confirming_without_a_reason_deletes_nothing(client, staff_operator, data):
    client.force_login(staff_operator)
    ids = list(DeadLetterItem.objects.values_list("pk", flat=True))
    client.post(
        changelist("deadletteritem"),
        {
            "action": "delete_selected_recorded",
            helpers.ACTION_CHECKBOX_NAME: ids,
            "confirmed": "yes",
        },
    )
    assert DeadLetterItem.objects.count() == 3
    assert not AuditEvent.objects.exists()


def test_deleting_one_dead_letter_from_its_page_is_recorded(client, staff_operator, data):
    client.force_login(staff_operator)
    item = DeadLetterItem.objects.first()
    url = reverse("admin:restoration_deadletteritem_delete", args=[item.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not DeadLetterItem.objects.filter(pk=item.pk).exists()
    assert AuditEvent.objects.get().user == staff_operator


def test_an_auditor_cannot_delete_dead_letters(client, staff_auditor, data):
    client.force_login(staff_auditor)
    ids = list(DeadLetterItem.objects.values_list("pk", flat=True))
    response = client.get(changelist("deadletteritem"))
    assert response.status_code == 200
    assert "delete_selected_recorded" not in response.text
    client.post(
        changelist("deadletteritem"),
        {
            "action": "delete_selected_recorded",
            helpers.ACTION_CHECKBOX_NAME: ids,
            "confirmed": "yes",
            "description": "x",
        },
    )
    assert DeadLetterItem.objects.count() == 3
    url = reverse("admin:restoration_deadletteritem_delete", args=[ids[0]])
    assert client.post(url, {"post": "yes"}).status_code == 403


def test_a_dead_letter_page_shows_the_blob_and_the_failed_call(client, admin_user, data):
    client.force_login(admin_user)
    item = DeadLetterItem.objects.first()
    response = client.get(reverse("admin:restoration_deadletteritem_change", args=[item.pk]))
    assert "&quot;title&quot;: &quot;Dup&quot;" in response.text
    assert "&quot;response_status&quot;: 422" in response.text


def test_clearing_mappings_is_confirmed_and_recorded(client, staff_operator, data):
    client.force_login(staff_operator)
    ids = list(IDMapping.objects.values_list("pk", flat=True))
    form = {"action": "clear_selected", helpers.ACTION_CHECKBOX_NAME: ids}
    response = client.post(changelist("idmapping"), form)
    assert "1 ID mappings will be cleared" in response.text
    assert IDMapping.objects.exists()
    client.post(changelist("idmapping"), {**form, "confirmed": "yes", "description": "wiped"})
    assert not IDMapping.objects.exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.CLEAR_MAPPINGS)
    assert (event.user, event.count, event.description) == (staff_operator, 1, "wiped")


def test_an_auditor_cannot_clear_mappings(client, staff_auditor, data):
    client.force_login(staff_auditor)
    ids = list(IDMapping.objects.values_list("pk", flat=True))
    client.post(
        changelist("idmapping"),
        {
            "action": "clear_selected",
            helpers.ACTION_CHECKBOX_NAME: ids,
            "confirmed": "yes",
            "description": "x",
        },
    )
    assert IDMapping.objects.exists()


def test_an_operator_can_cancel_sessions_from_the_list(client, staff_operator, data):
    client.force_login(staff_operator)
    client.post(
        changelist("restorationsession"),
        {"action": "request_cancel", helpers.ACTION_CHECKBOX_NAME: [data.pk]},
    )
    data.refresh_from_db()
    assert data.status == SessionStatus.CANCELLED


def test_a_cancel_from_the_admin_is_recorded_in_the_audit_log(client, staff_operator, data):
    client.force_login(staff_operator)
    client.post(
        changelist("restorationsession"),
        {"action": "request_cancel", helpers.ACTION_CHECKBOX_NAME: [data.pk]},
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.CANCEL)
    assert (event.user, event.session_id) == (staff_operator, data.pk)


def test_a_session_page_shows_its_config_and_checkpoints(client, admin_user, data):
    client.force_login(admin_user)
    data.update_restoration_session(config={"workers": 8})
    response = client.get(reverse("admin:restoration_restorationsession_change", args=[data.pk]))
    assert "&quot;workers&quot;: 8" in response.text
    assert "Dashboard" in response.text  # the checkpoint inline


def test_the_audit_log_cannot_be_deleted_even_by_a_superuser(client, admin_user, data):
    client.force_login(admin_user)
    event = AuditEvent.objects.create(action=AuditEvent.Action.LAUNCH, description="x")
    url = reverse("admin:restoration_auditevent_delete", args=[event.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_deleting_one_mapping_from_its_page_is_recorded(client, staff_operator, data):
    client.force_login(staff_operator)
    mapping = IDMapping.objects.get()
    url = reverse("admin:restoration_idmapping_delete", args=[mapping.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not IDMapping.objects.exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.CLEAR_MAPPINGS)
    assert event.user == staff_operator and event.count == 1


def test_a_dead_letter_page_keeps_the_stack_traces_indentation(client, admin_user, data):
    client.force_login(admin_user)
    item = DeadLetterItem.objects.first()
    item.stack_trace = 'Traceback (most recent call last):\n  File "x.py", line 1\n    boom()\n'
    item.save()
    response = client.get(reverse("admin:restoration_deadletteritem_change", args=[item.pk]))
    assert (
        '<pre class="restoreadmin-trace">Traceback (most recent call last):\n'
        "  File &quot;x.py&quot;, line 1\n    boom()\n</pre>"
    ) in response.text
