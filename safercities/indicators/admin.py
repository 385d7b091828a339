from django.contrib import admin

from safercities.accounts.admin_scoping import CityScopedAdmin
from safercities.indicators.models import Dimension, Indicator, Observation


@admin.register(Dimension)
class DimensionAdmin(admin.ModelAdmin):
    list_display = ["order", "code", "name"]
    search_fields = ["code", "name"]

    def has_add_permission(self, request):
        return False  # the seven dimensions are fixed (UNDP 1994)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Indicator)
class IndicatorAdmin(CityScopedAdmin):
    list_display = [
        "code",
        "name",
        "dimension",
        "unit",
        "direction",
        "aggregation",
        "official_code",
        "is_public",
        "city",
    ]
    list_filter = ["city", "dimension", "direction", "aggregation", "is_public"]
    search_fields = ["code", "name", "official_code", "definition"]
    list_select_related = ["dimension", "city"]


@admin.register(Observation)
class ObservationAdmin(CityScopedAdmin):
    list_display = ["indicator", "area", "period", "value", "sex", "age_group", "disability", "quality"]
    list_filter = ["city", "quality", "period_type", "sex", "indicator__dimension"]
    search_fields = ["indicator__code", "area__code", "area__name", "period"]
    list_select_related = ["indicator", "area"]
    raw_id_fields = ["indicator", "area", "import_run"]
    show_full_result_count = False
