"""On PostgreSQL 14+, compress backup blobs with lz4 instead of pglz.

A 20 KB MessagePack blob is compressed when written; pglz does that about six
times slower than lz4 for the same size, and it was the import's bottleneck on
PostgreSQL. SQLite does not compress, so nothing changes there. A server built
without lz4 keeps pglz.
"""

from django.db import DatabaseError, migrations, transaction

BLOB_COLUMNS = [("content_items", "content_data"), ("dead_letter_queue", "content_data")]


def use_compression(method: str):
    def apply(apps, schema_editor):
        connection = schema_editor.connection
        if connection.vendor != "postgresql" or connection.pg_version < 140000:
            return
        for table, column in BLOB_COLUMNS:
            try:
                with transaction.atomic(using=connection.alias):
                    schema_editor.execute(
                        f"ALTER TABLE {schema_editor.quote_name(table)} ALTER COLUMN "
                        f"{schema_editor.quote_name(column)} SET COMPRESSION {method}"
                    )
            except DatabaseError:
                return  # built without lz4: pglz stays

    return apply


class Migration(migrations.Migration):
    dependencies = [("restoration", "0005_id_mapping_source_id_index")]

    operations = [migrations.RunPython(use_compression("lz4"), use_compression("pglz"))]
