"""POST /mappings/clear: confirmation first, then the clear, recorded in the audit log."""

from restoration.content_types import ContentType
from restoration.models import AuditEvent, IDMapping
from tests.views.conftest import DESTINATION, make_mapping


def test_it_asks_for_confirmation_with_the_count(operator_client):
    make_mapping("1", "101")
    make_mapping("2", "102")
    response = operator_client.post("/mappings/clear", {"destination": DESTINATION, "type": "1"})
    body = response.content.decode()
    assert response.status_code == 200 and "2 mappings" in body and "Dashboard mappings" in body
    assert IDMapping.objects.count() == 2


def test_confirming_clears_only_that_instance_and_type_and_records_it(operator_client, operator):
    make_mapping("1", "101")
    make_mapping("2", "102", content_type=ContentType.LOOK)
    make_mapping("3", "103", destination_instance="https://other.example.com")
    response = operator_client.post(
        "/mappings/clear",
        {"destination": DESTINATION, "type": "1", "confirmed": "yes"},
        follow=True,
    )
    assert "Cleared 1 ID mappings" in response.content.decode()
    assert sorted(IDMapping.objects.values_list("source_id", flat=True)) == ["2", "3"]
    event = AuditEvent.objects.get(action=AuditEvent.Action.CLEAR_MAPPINGS)
    assert event.user == operator and event.count == 1 and DESTINATION in event.description


def test_it_needs_a_destination(operator_client):
    make_mapping()
    response = operator_client.post("/mappings/clear", {"confirmed": "yes"}, follow=True)
    assert "Choose the destination" in response.content.decode()
    assert IDMapping.objects.count() == 1


def test_auditors_are_refused(auditor_client):
    make_mapping()
    response = auditor_client.post(
        "/mappings/clear", {"destination": DESTINATION, "confirmed": "yes"}
    )
    assert response.status_code == 403 and IDMapping.objects.count() == 1


def test_it_rejects_get(operator_client):
    assert operator_client.get("/mappings/clear").status_code == 405
