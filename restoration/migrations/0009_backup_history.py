"""The backup's history: backup runs, content versions, superseded blobs, backup schedules.

A database that already holds a backup gets one "baseline" run with a version per
content_items row (as of its newest synced_at), so the first change recorded after
the upgrade has a version to supersede, and a point-in-time restore sees every object.
"""

import hashlib

import django.db.models.deletion
import django.utils.timezone
import msgspec
from django.conf import settings
from django.db import migrations, models

BATCH = 500


class _LastUpdater(msgspec.Struct):
    last_updater_id: object = None


def record_baseline(apps, schema_editor):
    ContentItem = apps.get_model("restoration", "ContentItem")
    BackupRun = apps.get_model("restoration", "BackupRun")
    ContentVersion = apps.get_model("restoration", "ContentVersion")
    if not ContentItem.objects.exists():
        return
    now = django.utils.timezone.now()
    taken = ContentItem.objects.aggregate(m=models.Max("synced_at"))["m"] or now
    run = BackupRun.objects.create(
        kind="baseline", status="completed", taken_at=taken, started_at=now, finished_at=now
    )
    decoder = msgspec.msgpack.Decoder(_LastUpdater)
    fields = ("row_id", "content_id", "content_type", "name", "updated_at", "folder_id")
    last, added = 0, 0
    while True:
        rows = list(
            ContentItem.objects.filter(row_id__gt=last)
            .order_by("row_id")
            .values_list(*fields, "deleted_at", "content_data")[:BATCH]
        )
        if not rows:
            break
        versions = []
        for row_id, cid, ctype, name, updated, folder, deleted, blob in rows:
            blob = bytes(blob or b"")
            try:
                updater = decoder.decode(blob).last_updater_id
            except (msgspec.DecodeError, msgspec.ValidationError):
                updater = None
            versions.append(
                ContentVersion(
                    content_type=ctype,
                    content_id=cid,
                    run=run,
                    valid_from=taken,
                    deleted=deleted is not None,
                    blob_hash=hashlib.sha256(blob).hexdigest(),
                    content_size=len(blob),
                    name=name or "",
                    updated_at=updated,
                    changed_by_id=None if updater in (None, "") else str(updater),
                    folder_id=folder,
                )
            )
            last = row_id
        ContentVersion.objects.bulk_create(versions)
        added += len(versions)
    BackupRun.objects.filter(pk=run.pk).update(new_versions=added)


def let_operators_schedule(apps, schema_editor):
    """Restore operators set backup schedules and retention (as in 0002)."""
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("restoration")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perm = Permission.objects.get(
        content_type__app_label="restoration", codename="schedule_backups"
    )
    for group in Group.objects.filter(name="Restore operators"):
        group.permissions.add(perm)


class Migration(migrations.Migration):
    dependencies = [
        ("restoration", "0008_alerts_and_user_attributes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="BackupRun",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("extract", "Backup (extract)"),
                            ("import", "Imported lookervault file"),
                            ("baseline", "Backup held before history was kept"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("running", "Running"),
                            ("completed", "Completed"),
                            ("failed", "Failed"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="running",
                        max_length=16,
                    ),
                ),
                (
                    "taken_at",
                    models.DateTimeField(
                        db_index=True,
                        help_text="The point in time its versions describe: when an extraction started, or the newest synced_at of an imported file.",
                    ),
                ),
                ("started_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "instance",
                    models.TextField(blank=True, default="", help_text="Base URL read from."),
                ),
                ("section", models.CharField(blank=True, default="", max_length=200)),
                (
                    "source_file",
                    models.TextField(blank=True, default="", help_text="The imported file."),
                ),
                ("incremental", models.BooleanField(default=False)),
                (
                    "scheduled",
                    models.BooleanField(default=False, help_text="Started by a backup schedule."),
                ),
                ("new_versions", models.IntegerField(default=0)),
                (
                    "deleted_versions",
                    models.IntegerField(default=0, help_text="Objects found gone from Looker."),
                ),
                (
                    "bytes_added",
                    models.BigIntegerField(default=0, help_text="Bytes added to content_blobs."),
                ),
                ("last_error", models.TextField(blank=True, default="")),
            ],
            options={
                "verbose_name": "backup run",
                "db_table": "backup_runs",
            },
        ),
        migrations.CreateModel(
            name="BackupSchedule",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "section",
                    models.CharField(help_text="looker.ini section.", max_length=200, unique=True),
                ),
                (
                    "cron",
                    models.CharField(
                        help_text="Cron expression in the server's time zone: '0 2 * * *'.",
                        max_length=100,
                    ),
                ),
                ("incremental", models.BooleanField(default=True)),
                (
                    "keep_days",
                    models.IntegerField(
                        blank=True,
                        help_text="Delete versions superseded more than this many days ago (the latest version of every object is always kept). Empty: keep every version.",
                        null=True,
                    ),
                ),
                ("enabled", models.BooleanField(default=True)),
                ("rate_limit_per_second", models.IntegerField(default=10)),
                ("rate_limit_per_minute", models.IntegerField(default=600)),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "verbose_name": "backup schedule",
                "db_table": "backup_schedules",
                "permissions": [("schedule_backups", "Can set backup schedules and retention")],
            },
        ),
        migrations.CreateModel(
            name="ContentBlob",
            fields=[
                (
                    "hash",
                    models.CharField(
                        help_text="SHA-256 of the uncompressed bytes.",
                        max_length=64,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("data", models.BinaryField(help_text="zlib-compressed MessagePack.")),
                ("size", models.IntegerField(help_text="Bytes uncompressed.")),
                ("stored_size", models.IntegerField(help_text="Bytes stored (compressed).")),
                ("stored_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "verbose_name": "stored version blob",
                "db_table": "content_blobs",
            },
        ),
        migrations.CreateModel(
            name="ContentVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "content_type",
                    models.IntegerField(
                        choices=[
                            (1, "Dashboard"),
                            (2, "Look"),
                            (3, "LookML model"),
                            (4, "Explore"),
                            (5, "Folder"),
                            (6, "Board"),
                            (7, "User"),
                            (8, "Group"),
                            (9, "Role"),
                            (10, "Permission set"),
                            (11, "Model set"),
                            (12, "Scheduled plan"),
                            (13, "Alert"),
                            (14, "User attribute"),
                        ]
                    ),
                ),
                ("content_id", models.TextField(verbose_name="id")),
                ("valid_from", models.DateTimeField()),
                ("valid_to", models.DateTimeField(blank=True, null=True)),
                (
                    "deleted",
                    models.BooleanField(
                        default=False, help_text="The object was gone from Looker."
                    ),
                ),
                ("blob_hash", models.CharField(help_text="SHA-256 of the content.", max_length=64)),
                ("content_size", models.IntegerField(default=0)),
                ("name", models.TextField(blank=True, default="")),
                (
                    "updated_at",
                    models.DateTimeField(blank=True, help_text="Changed in Looker at.", null=True),
                ),
                (
                    "changed_by_id",
                    models.TextField(
                        blank=True,
                        help_text="Looker user who last changed it (last_updater_id).",
                        null=True,
                    ),
                ),
                ("folder_id", models.TextField(blank=True, null=True)),
            ],
            options={
                "verbose_name": "content version",
                "db_table": "content_versions",
            },
        ),
        migrations.RemoveConstraint(
            model_name="auditevent",
            name="audit_events_action_valid",
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("delete_dead_letters", "Deleted dead letters"),
                    ("clear_mappings", "Cleared ID mappings"),
                    ("launch", "Launched a session"),
                    ("cancel", "Cancelled a session"),
                    ("resume", "Resumed a session"),
                    ("import_backup", "Imported a backup"),
                    ("schedule_backup", "Set a backup schedule"),
                    ("apply_retention", "Deleted old backup versions"),
                ],
                max_length=32,
            ),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "action__in",
                        [
                            "delete_dead_letters",
                            "clear_mappings",
                            "launch",
                            "cancel",
                            "resume",
                            "import_backup",
                            "schedule_backup",
                            "apply_retention",
                        ],
                    )
                ),
                name="audit_events_action_valid",
            ),
        ),
        migrations.AddField(
            model_name="backuprun",
            name="session",
            field=models.ForeignKey(
                blank=True,
                help_text="The extraction session that ran it.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="backup_runs",
                to="restoration.restorationsession",
            ),
        ),
        migrations.AddField(
            model_name="backupschedule",
            name="updated_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="contentversion",
            name="run",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="versions",
                to="restoration.backuprun",
            ),
        ),
        migrations.AddConstraint(
            model_name="backuprun",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["running", "completed", "failed", "cancelled"])),
                name="backup_runs_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="backuprun",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind__in", ["extract", "import", "baseline"])),
                name="backup_runs_kind_valid",
            ),
        ),
        migrations.AddIndex(
            model_name="contentversion",
            index=models.Index(fields=["valid_to"], name="idx_version_valid_to"),
        ),
        migrations.AddIndex(
            model_name="contentversion",
            index=models.Index(fields=["blob_hash"], name="idx_version_blob"),
        ),
        migrations.AddConstraint(
            model_name="contentversion",
            constraint=models.UniqueConstraint(
                fields=("content_type", "content_id", "valid_from"),
                name="content_versions_once_per_time",
            ),
        ),
        migrations.RunPython(record_baseline, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(let_operators_schedule, migrations.RunPython.noop),
    ]
