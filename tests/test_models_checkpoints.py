"""Checkpoints: writing only the named fields, and deleted with their session."""

import pytest

from restoration.content_types import ContentType
from restoration.models import RestorationCheckpoint, RestorationSession

pytestmark = pytest.mark.django_db


@pytest.fixture
def session() -> RestorationSession:
    return RestorationSession.objects.create(destination_instance="https://dest.example")


def test_update_restoration_checkpoint_writes_only_the_named_fields(session):
    checkpoint_id = RestorationCheckpoint.objects.create(
        session=session, content_type=ContentType.FOLDER, checkpoint_data={"last_offset": 0}
    ).pk
    first = RestorationCheckpoint.objects.get(pk=checkpoint_id)
    second = RestorationCheckpoint.objects.get(pk=checkpoint_id)
    first.update_restoration_checkpoint(item_count=10)
    second.update_restoration_checkpoint(checkpoint_data={"last_offset": 10, "completed_ids": []})
    stored = RestorationCheckpoint.objects.get(pk=checkpoint_id)
    assert stored.item_count == 10
    assert stored.checkpoint_data["last_offset"] == 10


def test_deleting_a_session_deletes_its_checkpoints(session):
    RestorationCheckpoint.objects.create(session=session, content_type=ContentType.LOOK)
    session.delete()
    assert not RestorationCheckpoint.objects.exists()
