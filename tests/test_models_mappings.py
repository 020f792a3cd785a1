"""ID mappings: save (upsert), get, destination id, batch get, clear."""

import pytest
from django.db import IntegrityError, transaction

from restoration.content_types import ContentType
from restoration.models import IDMapping, RestorationSession

pytestmark = pytest.mark.django_db

SRC = "https://source.example"
DEST = "https://dest.example"
OTHER_DEST = "https://staging.example"


def test_save_id_mapping_updates_the_destination_id_on_a_second_save():
    IDMapping.objects.save_id_mapping(SRC, DEST, ContentType.DASHBOARD, "12", "340")
    IDMapping.objects.save_id_mapping(SRC, DEST, ContentType.DASHBOARD, 12, 341)
    assert IDMapping.objects.count() == 1
    assert IDMapping.objects.get_destination_id(SRC, DEST, ContentType.DASHBOARD, "12") == "341"


def test_the_same_source_object_maps_separately_per_destination():
    IDMapping.objects.save_id_mapping(SRC, DEST, ContentType.LOOK, "5", "50")
    IDMapping.objects.save_id_mapping(SRC, OTHER_DEST, ContentType.LOOK, "5", "77")
    assert IDMapping.objects.get_destination_id(SRC, DEST, ContentType.LOOK, "5") == "50"
    assert IDMapping.objects.get_destination_id(SRC, OTHER_DEST, ContentType.LOOK, "5") == "77"


def test_ids_repeat_across_types_without_colliding():
    IDMapping.objects.save_id_mapping(SRC, DEST, ContentType.LOOK, "5", "50")
    IDMapping.objects.save_id_mapping(SRC, DEST, ContentType.DASHBOARD, "5", "60")
    assert IDMapping.objects.get_destination_id(SRC, DEST, ContentType.DASHBOARD, "5") == "60"


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


def test_get_id_mapping_returns_the_row_or_none():
    session = RestorationSession.objects.create(destination_instance=DEST)
    IDMapping.objects.save_id_mapping(SRC, DEST, ContentType.GROUP, "3", "30", session=session)
    mapping = IDMapping.objects.get_id_mapping(SRC, DEST, ContentType.GROUP, "3")
    assert (mapping.destination_id, mapping.session) == ("30", session)
    assert IDMapping.objects.get_id_mapping(SRC, DEST, ContentType.GROUP, "4") is None
    assert IDMapping.objects.get_destination_id(SRC, DEST, ContentType.GROUP, "4") is None


def test_a_deleted_session_leaves_its_mappings_in_place():
    session = RestorationSession.objects.create(destination_instance=DEST)
    IDMapping.objects.save_id_mapping(SRC, DEST, ContentType.ROLE, "1", "2", session=session)
    session.delete()
    assert IDMapping.objects.get_id_mapping(SRC, DEST, ContentType.ROLE, "1").session is None


def test_batch_get_mappings_for_ten_thousand_ids_runs_a_bounded_number_of_queries(
    django_assert_max_num_queries,
):
    IDMapping.objects.bulk_create(
        IDMapping(
            source_instance=SRC,
            destination_instance=DEST,
            content_type=ContentType.DASHBOARD,
            source_id=str(n),
            destination_id=f"d{n}",
        )
        for n in range(0, 10_000, 2)
    )
    wanted = [str(n) for n in range(10_000)]
    with django_assert_max_num_queries(12):  # ceil(10_000 / 900) = 12
        found = IDMapping.objects.batch_get_mappings(SRC, DEST, ContentType.DASHBOARD, wanted)
    assert len(found) == 5_000
    assert found["9998"] == "d9998"
    assert "9999" not in found


def test_batch_get_mappings_reads_only_the_asked_destination_and_type():
    IDMapping.objects.save_id_mapping(SRC, DEST, ContentType.LOOK, "1", "10")
    IDMapping.objects.save_id_mapping(SRC, OTHER_DEST, ContentType.LOOK, "2", "20")
    IDMapping.objects.save_id_mapping(SRC, DEST, ContentType.DASHBOARD, "3", "30")
    found = IDMapping.objects.batch_get_mappings(SRC, DEST, ContentType.LOOK, ["1", "2", "3", "1"])
    assert found == {"1": "10"}


def test_clear_mappings_narrows_by_instance_and_type():
    IDMapping.objects.save_id_mapping(SRC, DEST, ContentType.LOOK, "1", "10")
    IDMapping.objects.save_id_mapping(SRC, DEST, ContentType.DASHBOARD, "1", "11")
    IDMapping.objects.save_id_mapping(SRC, OTHER_DEST, ContentType.LOOK, "1", "12")
    IDMapping.objects.save_id_mapping("https://elsewhere", DEST, ContentType.LOOK, "1", "13")
    assert IDMapping.objects.clear_mappings(SRC, ContentType.LOOK, destination_instance=DEST) == 1
    assert IDMapping.objects.clear_mappings(SRC) == 2
    assert list(IDMapping.objects.values_list("destination_id", flat=True)) == ["13"]
    assert IDMapping.objects.clear_mappings() == 1
    assert not IDMapping.objects.exists()


def test_clear_recorded_writes_who_and_what_to_the_audit_log(operator):
    from restoration.models import AuditEvent

    IDMapping.objects.save_id_mapping(SRC, DEST, ContentType.LOOK, "1", "10")
    IDMapping.objects.save_id_mapping(SRC, DEST, ContentType.LOOK, "2", "20")
    IDMapping.objects.save_id_mapping(SRC, OTHER_DEST, ContentType.LOOK, "1", "12")
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
