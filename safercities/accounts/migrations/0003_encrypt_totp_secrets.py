"""TOTP secrets encrypted at rest: widen the column, encrypt what is there, then switch the field.

The middle step works on the raw column (the historical field is still a plain CharField), so it
sees the stored text as it is; it skips values that are already encrypted, so re-running is harmless.
"""

from django.db import migrations, models

import safercities.accounts.crypto


def _rewrite(schema_editor, change) -> None:
    connection = schema_editor.connection
    table = connection.ops.quote_name("accounts_twofactor")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, secret FROM {table}")  # noqa: S608 — fixed identifiers
        rows = cursor.fetchall()
        for pk, value in rows:
            new = change(value or "")
            if new is not None and new != value:
                cursor.execute(f"UPDATE {table} SET secret = %s WHERE id = %s", [new, pk])  # noqa: S608


def encrypt_secrets(apps, schema_editor) -> None:
    crypto = safercities.accounts.crypto
    _rewrite(schema_editor, lambda value: None if not value or crypto.is_encrypted(value) else crypto.encrypt(value))


def decrypt_secrets(apps, schema_editor) -> None:
    crypto = safercities.accounts.crypto
    _rewrite(schema_editor, lambda value: crypto.decrypt(value) if value and crypto.is_encrypted(value) else None)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_loginfailure_twofactor_recoverycode")]

    operations = [
        migrations.AlterField(model_name="twofactor", name="secret", field=models.CharField(max_length=255)),
        migrations.RunPython(encrypt_secrets, decrypt_secrets, elidable=False),
        migrations.AlterField(
            model_name="twofactor",
            name="secret",
            field=safercities.accounts.crypto.EncryptedCharField(max_length=255),
        ),
    ]
