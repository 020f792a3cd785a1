"""Checkpoints: save, latest incomplete per type, update, mark complete, cascade."""

from datetime import timedelta

import pytest
from django.utils import timezone

from restoration.content_types import ContentType
from restoration.models import RestorationCheckpoint, RestorationSession

pytestmark = pytest.mark.django_db


@pytest.fixture
def session() -> RestorationSession:
    return RestorationSession.objects.create(destination_instance="https://dest.example")


def test_save_restoration_checkpoint_returns_its_id(session):
    checkpoint_id = RestorationCheckpoint.objects.save_restoration_checkpoint(
        session, ContentType.DASHBOARD, {"last_offset": 100, "completed_ids": ["105"]}, item_count=3
    )
    checkpoint = RestorationCheckpoint.objects.get(pk=checkpoint_id)
    assert checkpoint.session == session
    assert checkpoint.checkpoint_data == {"last_offset": 100, "completed_ids": ["105"]}
    assert (checkpoint.item_count, checkpoint.error_count) == (3, 0)


def test_latest_checkpoint_is_the_newest_incomplete_one_of_the_type(session):
    now = timezone.now()
    save = RestorationCheckpoint.objects.save_restoration_checkpoint
    save(session, ContentType.LOOK, {"last_offset": 1}, started_at=now - timedelta(minutes=2))
    newest = save(session, ContentType.LOOK, {"last_offset": 2}, started_at=now)
    save(session, ContentType.DASHBOARD, {"last_offset": 9}, started_at=now + timedelta(minutes=1))
    latest = RestorationCheckpoint.objects.get_latest_restoration_checkpoint(ContentType.LOOK)
    assert latest.pk == newest
    RestorationCheckpoint.objects.mark_checkpoint_complete(newest)
    latest = RestorationCheckpoint.objects.get_latest_restoration_checkpoint(ContentType.LOOK)
    assert latest.checkpoint_data == {"last_offset": 1}


def test_latest_checkpoint_can_be_limited_to_one_session(session):
    other = RestorationSession.objects.create(destination_instance="https://dest.example")
    save = RestorationCheckpoint.objects.save_restoration_checkpoint
    mine = save(session, ContentType.USER, {"last_offset": 5}, started_at=timezone.now())
    save(other, ContentType.USER, {"last_offset": 7}, started_at=timezone.now() + timedelta(1))
    found = RestorationCheckpoint.objects.get_latest_restoration_checkpoint(
        ContentType.USER, session_id=session.id
    )
    assert found.pk == mine
    assert (
        RestorationCheckpoint.objects.get_latest_restoration_checkpoint(
            ContentType.GROUP, session_id=session.id
        )
        is None
    )


def test_mark_checkpoint_complete_sets_completed_at(session):
    checkpoint_id = RestorationCheckpoint.objects.save_restoration_checkpoint(
        session, ContentType.ROLE, {}
    )
    RestorationCheckpoint.objects.mark_checkpoint_complete(checkpoint_id)
    assert RestorationCheckpoint.objects.get(pk=checkpoint_id).completed_at is not None


def test_update_restoration_checkpoint_writes_only_the_named_fields(session):
    checkpoint_id = RestorationCheckpoint.objects.save_restoration_checkpoint(
        session, ContentType.FOLDER, {"last_offset": 0}
    )
    first = RestorationCheckpoint.objects.get(pk=checkpoint_id)
    second = RestorationCheckpoint.objects.get(pk=checkpoint_id)
    first.update_restoration_checkpoint(item_count=10)
    second.update_restoration_checkpoint(checkpoint_data={"last_offset": 10, "completed_ids": []})
    stored = RestorationCheckpoint.objects.get(pk=checkpoint_id)
    assert stored.item_count == 10
    assert stored.checkpoint_data["last_offset"] == 10


def test_deleting_a_session_deletes_its_checkpoints(session):
    RestorationCheckpoint.objects.save_restoration_checkpoint(session, ContentType.LOOK, {})
    session.delete()
    assert not RestorationCheckpoint.objects.exists()
