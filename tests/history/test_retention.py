"""ContentVersion.objects.apply_retention: versions superseded more than N days ago go,
with the bytes nothing else needs; the latest version of every object stays, and so
does any version a pending or running restore is restoring. Audited."""

from datetime import timedelta

import pytest

from restoration.models import (
    AuditEvent,
    ContentItem,
    RestorationSession,
    SessionKind,
    SessionStatus,
)
from restoration.versions import ContentBlob, ContentVersion

pytestmark = pytest.mark.django_db


def versions_of(d):
    return list(ContentVersion.objects.of_object(1, d.id).order_by("valid_from"))


def test_old_versions_and_their_bytes_go_the_latest_stays(changed_dashboard):
    d = changed_dashboard
    older, latest = versions_of(d)
    assert ContentBlob.objects.filter(hash=older.blob_hash).exists()
    later = d.second_run.taken_at + timedelta(days=8)

    deleted = ContentVersion.objects.apply_retention(7, now=later)

    assert deleted >= 1
    assert versions_of(d) == [latest]
    assert not ContentBlob.objects.filter(hash=older.blob_hash).exists()
    assert not ContentVersion.objects.filter(valid_to__isnull=False).exists()
    assert (
        ContentVersion.objects.filter(valid_to__isnull=True).count() == ContentItem.objects.count()
    )
    event = AuditEvent.objects.get(action="apply_retention")
    assert event.count == deleted and event.details["keep_days"] == 7
    assert event.details["bytes_freed"] > 0


def test_versions_younger_than_the_rule_stay(changed_dashboard):
    d = changed_dashboard
    later = d.second_run.taken_at + timedelta(days=6)
    assert ContentVersion.objects.apply_retention(7, now=later) == 0
    assert len(versions_of(d)) == 2


def test_a_version_a_running_restore_needs_stays(changed_dashboard):
    d = changed_dashboard
    older, latest = versions_of(d)
    RestorationSession.objects.create(
        kind=SessionKind.RESTORE,
        status=SessionStatus.RUNNING,
        destination_instance="https://x",
        config={"as_of": d.between.isoformat()},
    )
    ContentVersion.objects.apply_retention(7, now=d.second_run.taken_at + timedelta(days=30))
    assert versions_of(d) == [older, latest]
    assert ContentVersion(
        pk=older.pk, content_type=1, content_id=d.id, blob_hash=older.blob_hash
    ).blob()


def test_the_last_version_of_a_deleted_object_stays(changed_dashboard):
    d = changed_dashboard
    from restoration.backup.history import VersionRecorder
    from restoration.versions import BackupRun

    run = BackupRun.objects.create(
        kind="extract", status="completed", taken_at=d.second_run.taken_at + timedelta(hours=1)
    )
    VersionRecorder(run).observe_gone(1, [d.id])
    ContentVersion.objects.apply_retention(1, now=run.taken_at + timedelta(days=30))
    (last,) = versions_of(d)
    assert last.deleted and last.blob()  # the content of the deleted dashboard is still there
