from django.contrib import admin

from safercities.accounts.admin_scoping import CityScopedAdmin
from safercities.ingest.models import ImportRun


@admin.register(ImportRun)
class ImportRunAdmin(CityScopedAdmin):
    list_display = [
        "started_at",
        "kind",
        "filename",
        "status",
        "rows",
        "created",
        "updated",
        "error_count",
        "city",
        "user",
    ]
    list_filter = ["city", "kind", "status"]
    search_fields = ["filename", "file_sha256", "message"]
    list_select_related = ["city", "user"]
    readonly_fields = [field.name for field in ImportRun._meta.fields]

    def has_add_permission(self, request):
        return False  # runs are created by imports only
