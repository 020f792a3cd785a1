"""ID mappings remember what the last restore left: the backup item's hash and the
destination object's fingerprint, so an unchanged re-run skips the item without reading
it (docs/restore.md, "Re-runs"). Existing mappings start empty: their next run compares
in full, as before, and records both."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("restoration", "0009_backup_history"),
    ]

    operations = [
        migrations.AddField(
            model_name="idmapping",
            name="source_hash",
            field=models.CharField(
                blank=True,
                default="",
                help_text="SHA-256 of the backup item (and the restore options that shape it) "
                "as last restored or verified; empty: not recorded.",
                max_length=64,
            ),
        ),
        migrations.AddField(
            model_name="idmapping",
            name="destination_stamp",
            field=models.CharField(
                blank=True,
                default="",
                help_text="Fingerprint of the destination object's bulk-listed fields right "
                "after that restore; a re-run skips the item while both still match.",
                max_length=64,
            ),
        ),
    ]
