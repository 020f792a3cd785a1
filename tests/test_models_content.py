"""Backup content (`content_items`): looked up by (id, type), listed, counted, inventoried."""

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError

from restoration.content_types import ContentType
from restoration.models import BlobDecodeError, ContentItem, content_rows, decode_blob, encode_blob

pytestmark = pytest.mark.django_db

SYNCED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def make_item(content_id: str, content_type: int, **fields) -> ContentItem:
    data = fields.pop("data", {"id": content_id, "title": f"item {content_id}"})
    return ContentItem.objects.create(
        content_id=content_id,
        content_type=content_type,
        name=fields.pop("name", f"item {content_id}"),
        content_data=encode_blob(data),
        synced_at=fields.pop("synced_at", SYNCED),
        **fields,
    )


def test_get_content_tells_types_apart_for_the_same_id():
    make_item("7", ContentType.DASHBOARD, name="Sales")
    make_item("7", ContentType.LOOK, name="Revenue")
    assert ContentItem.objects.get_content("7", ContentType.DASHBOARD).name == "Sales"
    assert ContentItem.objects.get_content("7", ContentType.LOOK).name == "Revenue"
    assert ContentItem.objects.get_content("7", ContentType.FOLDER) is None


def test_get_content_accepts_an_integer_id():
    make_item("42", ContentType.USER)
    assert ContentItem.objects.get_content(42, ContentType.USER).content_id == "42"


def test_the_same_id_and_type_cannot_be_stored_twice():
    make_item("1", ContentType.DASHBOARD)
    with pytest.raises(IntegrityError):
        make_item("1", ContentType.DASHBOARD)


def test_active_of_type_leaves_out_deleted_items_and_other_types():
    make_item("1", ContentType.LOOK)
    make_item("2", ContentType.LOOK, deleted_at=SYNCED)
    make_item("3", ContentType.DASHBOARD)
    looks = ContentItem.objects.active().of_type(ContentType.LOOK)
    assert [i.content_id for i in looks] == ["1"]
    assert ContentItem.objects.of_type(ContentType.LOOK).count() == 2


def test_inventory_counts_active_items_per_type_with_the_last_sync():
    later = datetime(2026, 3, 1, tzinfo=UTC)
    make_item("1", ContentType.LOOK)
    make_item("2", ContentType.LOOK, synced_at=later)
    make_item("3", ContentType.LOOK, deleted_at=SYNCED)
    make_item("4", ContentType.USER)
    rows = ContentItem.objects.inventory()
    assert rows == [
        {"content_type": ContentType.LOOK, "count": 2, "last_synced": later},
        {"content_type": ContentType.USER, "count": 1, "last_synced": SYNCED},
    ]


def test_decoded_returns_the_looker_object():
    item = make_item("9", ContentType.DASHBOARD, data={"id": "9", "title": "Ops", "tiles": [1, 2]})
    item.refresh_from_db()
    assert item.decoded() == {"id": "9", "title": "Ops", "tiles": [1, 2]}


def test_a_blob_that_is_not_messagepack_names_the_item():
    item = ContentItem.objects.create(
        content_id="5", content_type=ContentType.LOOK, content_data=b"\xc1\xc1garbage"
    )
    with pytest.raises(BlobDecodeError, match="Look 5 is not valid MessagePack"):
        item.decoded()


def test_a_blob_that_is_not_a_map_is_refused():
    with pytest.raises(BlobDecodeError, match="holds a list, not a Looker object"):
        decode_blob(encode_blob([1, 2]))  # type: ignore[arg-type]
    with pytest.raises(BlobDecodeError, match="is empty"):
        decode_blob(None)


def test_content_rows_fetches_pairs_across_types_in_batches(django_assert_max_num_queries):
    ContentItem.objects.bulk_create(
        ContentItem(content_id=str(n), content_type=ContentType.LOOK, content_data=b"\x80")
        for n in range(2000)
    )
    make_item("1", ContentType.DASHBOARD)
    wanted = [(str(n), ContentType.LOOK) for n in range(0, 2000, 2)] + [("1", 1), ("nope", 1)]
    with django_assert_max_num_queries(4):
        found = {(i.content_id, i.content_type) for i in content_rows(wanted)}
    assert found == set(wanted) - {("nope", 1)}


def test_blobs_are_lz4_compressed_on_postgresql():
    from django.db import connection

    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        pytest.skip("lz4 column compression is a PostgreSQL 14+ feature")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attcompression FROM pg_attribute "
            "WHERE attrelid = 'content_items'::regclass AND attname = 'content_data'"
        )
        assert cursor.fetchone()[0] == "l"
