"""Migration 0007 on a database that already holds a backup: one baseline run, and a
version per content_items row, so history starts from what was there."""

import hashlib

import msgspec
import pytest
from django.core.management import call_command
from django.db import connection

from restoration.versions import BackupRun, ContentVersion

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_backup_already_held_becomes_the_baseline():
    call_command("migrate", "restoration", "0006", verbosity=0)
    try:
        blob = msgspec.msgpack.encode({"id": "7", "title": "Sales", "last_updater_id": "3"})
        with connection.cursor() as cursor:
            for cid, deleted in (("7", None), ("8", "2026-01-02 00:00:00")):
                cursor.execute(
                    "INSERT INTO content_items (id, content_type, name, synced_at, deleted_at, "
                    "content_size, content_data) VALUES (%s, 1, 'Sales', %s, %s, %s, %s)",
                    [cid, "2026-01-03 00:00:00", deleted, len(blob), blob],
                )
    finally:
        call_command("migrate", "restoration", verbosity=0)

    run = BackupRun.objects.get()
    assert (run.kind, run.status, run.new_versions) == ("baseline", "completed", 2)
    live, gone = ContentVersion.objects.order_by("content_id")
    assert live.blob_hash == hashlib.sha256(blob).hexdigest() and live.changed_by_id == "3"
    assert not live.deleted and gone.deleted
    assert live.valid_from == run.taken_at and live.valid_to is None
    assert live.blob() == blob
