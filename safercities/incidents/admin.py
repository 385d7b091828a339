from django.contrib import admin

from safercities.accounts.admin_scoping import CityScopedAdmin
from safercities.incidents.models import Incident, IncidentCategory


@admin.register(IncidentCategory)
class IncidentCategoryAdmin(CityScopedAdmin):
    list_display = ["code", "name", "sensitive", "city"]
    list_filter = ["city", "sensitive"]
    search_fields = ["code", "name"]


@admin.register(Incident)
class IncidentAdmin(CityScopedAdmin):
    list_display = ["occurred_at", "category", "area", "h3_cell", "source", "city"]
    list_filter = ["city", "source", "category"]
    search_fields = ["external_id", "category", "area__code", "h3_cell"]
    list_select_related = ["area", "city"]
    raw_id_fields = ["area", "import_run"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False
