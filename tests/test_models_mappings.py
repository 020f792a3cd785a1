"""ID mappings: one row per (source, destination, type, source id); recorded clears."""

import pytest
from django.db import IntegrityError, transaction

from restoration.content_types import ContentType
from restoration.models import IDMapping, RestorationSession

pytestmark = pytest.mark.django_db

SRC = "https://source.example"
DEST = "https://dest.example"
OTHER_DEST = "https://staging.example"


def mapping(source, destination, content_type, source_id, destination_id, **fields) -> IDMapping:
    return IDMapping.objects.create(
        source_instance=source,
        destination_instance=destination,
        content_type=content_type,
        source_id=source_id,
        destination_id=destination_id,
        **fields,
    )


def destination_id(source, destination, content_type, source_id) -> str | None:
    return (
        IDMapping.objects.filter(
            source_instance=source,
            destination_instance=destination,
            content_type=content_type,
            source_id=source_id,
        )
        .values_list("destination_id", flat=True)
        .first()
    )


def test_the_same_source_object_maps_separately_per_destination():
    mapping(SRC, DEST, ContentType.LOOK, "5", "50")
    mapping(SRC, OTHER_DEST, ContentType.LOOK, "5", "77")
    assert destination_id(SRC, DEST, ContentType.LOOK, "5") == "50"
    assert destination_id(SRC, OTHER_DEST, ContentType.LOOK, "5") == "77"


def test_ids_repeat_across_types_without_colliding():
    mapping(SRC, DEST, ContentType.LOOK, "5", "50")
    mapping(SRC, DEST, ContentType.DASHBOARD, "5", "60")
    assert destination_id(SRC, DEST, ContentType.DASHBOARD, "5") == "60"


def test_the_database_refuses_a_second_row_for_the_same_source_key():
    IDMapping.objects.create(
        source_instance=SRC,
        destination_instance=DEST,
        content_type=ContentType.USER,
        source_id="1",
        destination_id="2",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        IDMapping.objects.create(
            source_instance=SRC,
            destination_instance=DEST,
            content_type=ContentType.USER,
            source_id="1",
            destination_id="3",
        )


def test_a_deleted_session_leaves_its_mappings_in_place():
    session = RestorationSession.objects.create(destination_instance=DEST)
    kept = mapping(SRC, DEST, ContentType.ROLE, "1", "2", session=session)
    session.delete()
    kept.refresh_from_db()
    assert kept.session is None


def test_clear_recorded_writes_who_and_what_to_the_audit_log(operator):
    from restoration.models import AuditEvent

    mapping(SRC, DEST, ContentType.LOOK, "1", "10")
    mapping(SRC, DEST, ContentType.LOOK, "2", "20")
    mapping(SRC, OTHER_DEST, ContentType.LOOK, "1", "12")
    cleared = IDMapping.objects.filter(destination_instance=DEST).clear_recorded(
        operator, "destination was wiped"
    )
    assert cleared == 2
    assert list(IDMapping.objects.values_list("destination_id", flat=True)) == ["12"]
    event = AuditEvent.objects.get()
    assert (event.user, event.action, event.count) == (operator, "clear_mappings", 2)
    assert event.description == "destination was wiped"
    assert event.details["scope"] == [
        {
            "source_instance": SRC,
            "destination_instance": DEST,
            "content_type": ContentType.LOOK,
            "n": 2,
        }
    ]
    assert IDMapping.objects.none().clear_recorded(operator, "nothing") == 0
    assert AuditEvent.objects.count() == 1
