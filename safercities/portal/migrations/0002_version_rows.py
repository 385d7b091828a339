"""Give every existing city its cache version (new cities get one from the portal's signals)."""

import secrets

from django.db import migrations


def create(apps, schema_editor):
    City = apps.get_model("places", "City")
    CacheVersion = apps.get_model("portal", "CacheVersion")
    have = set(CacheVersion.objects.values_list("city_id", flat=True))
    CacheVersion.objects.bulk_create(
        [CacheVersion(city_id=pk, token=secrets.token_hex(8)) for pk in City.objects.values_list("pk", flat=True) if pk not in have]
    )


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
