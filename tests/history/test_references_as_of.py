"""A point-in-time restore reads what its items refer to as of the same moment: group and
role members and home folders from the users then, a folder's name and content then,
whether a Look was in the backup then (SourceIndex), not from the latest backup."""

from datetime import UTC, datetime

import msgspec
import pytest
from django.utils import timezone
from looker_sdk.sdk.api40 import models as m

from restoration.content_types import ContentType
from restoration.engine.restorer import SourceIndex
from restoration.looker.instances import make_sdk
from tests.engine.conftest import fast_config, restore, take_backup
from tests.test_import_backup import backup_row, run_import, write_backup

FIRST = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
BETWEEN = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SECOND = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def row(content_type: ContentType, content_id: str, name: str, data: dict, **overrides):
    return backup_row(
        content_id,
        content_type,
        name=name,
        blob=msgspec.msgpack.encode({"id": content_id, **data}),
        **overrides,
    )


@pytest.fixture
def two_days(tmp_path, db):
    """Day one: user 5 in group 7 and role 3, home folder 20 "Finance"; Look 30 present.
    Day two: user 5 moved to group 8 and role 4, folder 20 renamed "Finance (old)",
    Look 30 deleted in Looker."""
    day_one = [
        row(
            ContentType.USER,
            "5",
            "Ann",
            {"group_ids": [7], "role_ids": [3], "home_folder_id": "20"},
        ),
        row(ContentType.FOLDER, "20", "Finance", {"name": "Finance", "parent_id": "1"}),
        row(ContentType.LOOK, "30", "Revenue", {"title": "Revenue"}),
    ]
    day_two = [
        row(
            ContentType.USER,
            "5",
            "Ann",
            {"group_ids": [8], "role_ids": [4], "home_folder_id": "21"},
        ),
        row(ContentType.FOLDER, "20", "Finance (old)", {"name": "Finance (old)", "parent_id": "1"}),
        row(
            ContentType.LOOK,
            "30",
            "Revenue",
            {"title": "Revenue"},
            deleted_at="2026-11-01T20:00:00+00:00",
        ),
    ]
    run_import(write_backup(tmp_path / "day1.db", day_one), "--taken-at", FIRST.isoformat())
    run_import(write_backup(tmp_path / "day2.db", day_two), "--taken-at", SECOND.isoformat())


def test_members_and_home_folders_come_from_the_users_as_they_were(two_days):
    users = SourceIndex(BETWEEN).users()
    assert users == {"group": {"7": ["5"]}, "role": {"3": ["5"]}, "home": {"20": ["5"]}}
    latest = SourceIndex().users()
    assert latest == {"group": {"8": ["5"]}, "role": {"4": ["5"]}, "home": {"21": ["5"]}}


def test_a_folder_is_named_and_read_as_it_was(two_days):
    then = SourceIndex(BETWEEN)
    assert then.name(ContentType.FOLDER, "20") == "Finance"
    assert then.blob(ContentType.FOLDER, "20") == {
        "id": "20",
        "name": "Finance",
        "parent_id": "1",
    }
    latest = SourceIndex()
    assert latest.name(ContentType.FOLDER, "20") == "Finance (old)"
    assert latest.blob(ContentType.FOLDER, "20")["name"] == "Finance (old)"


def test_a_look_deleted_later_was_in_the_backup_then(two_days):
    assert SourceIndex(BETWEEN).in_backup(ContentType.LOOK, "30")
    assert not SourceIndex().in_backup(ContentType.LOOK, "30")
    assert not SourceIndex(SECOND).in_backup(ContentType.LOOK, "30")


def test_an_object_the_backup_did_not_hold_yet_is_unknown(two_days):
    before = datetime(2026, 10, 1, tzinfo=UTC)
    index = SourceIndex(before)
    assert index.name(ContentType.FOLDER, "20") == ""
    assert index.blob(ContentType.FOLDER, "20") is None
    assert index.users() == {"group": {}, "role": {}, "home": {}}


@pytest.mark.django_db(transaction=True)
def test_a_missing_folder_is_named_as_it_was_at_the_point_in_time(
    looker_ini, looker_source, looker_destination
):
    src = make_sdk("source")
    root = next(f.id for f in src.all_folders() if f.is_shared_root)
    folder = src.create_folder(m.CreateFolder(name="Nowhere", parent_id=root))
    dash = src.create_dashboard(m.WriteDashboard(title="Lost", folder_id=folder.id))
    take_backup("source")
    between = timezone.now()
    src.update_folder(folder.id, m.UpdateFolder(name="Renamed since"))
    take_backup("source")

    session = restore(
        fast_config(
            looker_source,
            looker_destination,
            content_types=[ContentType.DASHBOARD],
            content_ids=[dash.id],
            as_of=between,
        )
    )
    assert session.error_count == 1
    letter = session.dead_letters.get()
    assert f"folder {folder.id} 'Nowhere' was not restored" in letter.error_message
