"""The search index outside Django's portable schema: FTS5 on SQLite, a GIN index on PostgreSQL."""

from django.db import migrations

SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS practices_fts USING fts5("
    "title, body, tokenize = 'porter unicode61 remove_diacritics 2')"
)
POSTGRES_CREATE = (
    "CREATE INDEX IF NOT EXISTS practices_practice_search_gin ON practices_practice USING GIN (search_vector)"
)


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE)
    elif vendor == "postgresql":
        schema_editor.execute(POSTGRES_CREATE)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS practices_fts")
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS practices_practice_search_gin")


class Migration(migrations.Migration):
    dependencies = [("practices", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
