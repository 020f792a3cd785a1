"""Backups record versions: one per object at first, none for an unchanged object, one
per change (the superseded bytes kept once, by hash), deletion and return included."""

import pytest

from restoration.content_types import ContentType
from restoration.looker.instances import make_sdk
from restoration.models import ContentItem
from restoration.versions import BackupRun, ContentBlob, ContentVersion, blob_hash
from tests.history.conftest import take_backup

pytestmark = pytest.mark.django_db

DASHBOARD = ContentType.DASHBOARD


def test_a_first_backup_is_one_version_per_object_and_stores_no_extra_bytes(looker_ini):
    session = take_backup("source")
    run = BackupRun.objects.get(session=session)
    assert run.status == "completed" and run.kind == "extract"
    assert ContentVersion.objects.count() == ContentItem.objects.count() == run.new_versions
    assert not ContentBlob.objects.exists() and run.bytes_added == 0
    item = ContentItem.objects.filter(content_type=DASHBOARD).first()
    (version,) = ContentVersion.objects.of_object(DASHBOARD, item.content_id)
    assert version.blob_hash == blob_hash(item.content_data)
    assert version.blob() == bytes(item.content_data)  # read from content_items
    assert session.metadata["summary"]["backup_run"] == run.pk


def test_an_unchanged_backup_adds_no_version(looker_ini):
    take_backup("source")
    before = ContentVersion.objects.count()
    second = BackupRun.objects.get(session=take_backup("source"))
    assert ContentVersion.objects.count() == before and second.new_versions == 0


def test_a_change_supersedes_the_version_and_keeps_its_bytes_once(looker_ini):
    take_backup("source")
    sdk = make_sdk("source")
    dashboard_id = str(sdk.all_dashboards(fields="id")[0].id)
    old_blob = bytes(ContentItem.objects.get_content(dashboard_id, DASHBOARD).content_data)
    sdk.update_dashboard(dashboard_id, body={"title": "Renamed"})
    run = BackupRun.objects.get(session=take_backup("source", incremental=True))

    older, newer = ContentVersion.objects.of_object(DASHBOARD, dashboard_id).order_by("valid_from")
    assert older.valid_to == newer.valid_from == run.taken_at and newer.valid_to is None
    assert newer.name == "Renamed" and older.blob() == old_blob
    kept = ContentBlob.objects.get(hash=older.blob_hash)
    assert kept.size == len(old_blob) and kept.stored_size < kept.size  # compressed
    assert run.bytes_added >= kept.stored_size


def test_a_deleted_object_gets_a_deletion_version_and_a_new_one_when_it_returns(looker_ini):
    take_backup("source", types=[DASHBOARD])
    sdk = make_sdk("source")
    dashboard_id = str(sdk.all_dashboards(fields="id")[0].id)
    sdk.update_dashboard(dashboard_id, body={"deleted": True})  # Looker's trash
    take_backup("source", types=[DASHBOARD])
    sdk.update_dashboard(dashboard_id, body={"deleted": False})
    take_backup("source", types=[DASHBOARD])

    versions = list(
        ContentVersion.objects.of_object(DASHBOARD, dashboard_id).order_by("valid_from")
    )
    assert [v.deleted for v in versions] == [False, True, False]
    assert versions[1].blob()  # the deletion keeps the last content
    assert BackupRun.objects.filter(deleted_versions=1).count() == 1
