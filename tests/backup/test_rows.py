"""The searchable columns of a backup row, read from the Looker object."""

from datetime import UTC, datetime

from restoration.backup.rows import display_name, folder_id, owner_id, to_datetime
from restoration.content_types import ContentType


def test_timestamps_in_the_sdk_format_and_iso_become_utc():
    expected = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert to_datetime("2024-01-02T03:04:05.000000+0000") == expected
    assert to_datetime("2024-01-02T04:04:05+01:00") == expected
    assert to_datetime("2024-01-02T03:04:05Z") == expected
    assert to_datetime("2024-01-02T03:04:05") == expected  # no zone: Looker means UTC
    assert to_datetime("") is None and to_datetime("yesterday") is None


def test_names_are_what_an_operator_searches_for():
    assert display_name(ContentType.DASHBOARD, {"title": "Sales"}) == "Sales"
    assert display_name(ContentType.USER, {"first_name": "Ada", "last_name": "Lovelace"}) == (
        "Ada Lovelace"
    )
    user = {"credentials_email": {"email": "ada@example.com"}}
    assert display_name(ContentType.USER, user) == "ada@example.com"
    assert display_name(ContentType.EXPLORE, {"model_name": "shop", "name": "orders"}) == (
        "shop::orders"
    )
    assert display_name(ContentType.ROLE, {"name": "Admin"}) == "Admin"


def test_owner_and_folder_columns():
    look = {"user_id": 7, "folder_id": "12"}
    assert owner_id(ContentType.LOOK, look) == "7"
    assert folder_id(ContentType.LOOK, look) == "12"
    folder = {"creator_id": "3", "parent_id": "1"}
    assert owner_id(ContentType.FOLDER, folder) == "3"
    assert folder_id(ContentType.FOLDER, folder) == "1"
    assert owner_id(ContentType.GROUP, {"id": "2"}) is None
    assert folder_id(ContentType.BOARD, {"id": "2"}) is None
