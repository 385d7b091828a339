from django.contrib import admin

from safercities.accounts.admin_scoping import CityScopedAdmin
from safercities.monitoring.models import Alert, HotspotResult, IndexDefinition, IndexResult


@admin.register(IndexDefinition)
class IndexDefinitionAdmin(CityScopedAdmin):
    list_display = ["name", "slug", "city", "is_default", "is_published"]
    list_filter = ["city", "is_default", "is_published"]
    search_fields = ["name", "slug"]


@admin.register(IndexResult)
class IndexResultAdmin(CityScopedAdmin):
    list_display = ["definition", "period", "area", "score", "rank", "rank_low", "rank_high", "computed_at"]
    list_filter = ["city", "definition", "period", "level"]
    search_fields = ["area__code", "area__name"]
    list_select_related = ["definition", "area"]
    raw_id_fields = ["area"]


@admin.register(Alert)
class AlertAdmin(CityScopedAdmin):
    list_display = ["created_at", "severity", "kind", "indicator", "area", "period", "observed", "expected", "status"]
    list_filter = ["city", "status", "severity", "kind"]
    search_fields = ["indicator__code", "area__code", "area__name", "explanation"]
    list_select_related = ["indicator", "area"]
    raw_id_fields = ["indicator", "area", "assigned_to", "acknowledged_by"]


@admin.register(HotspotResult)
class HotspotResultAdmin(CityScopedAdmin):
    list_display = ["indicator", "period", "unit", "weights", "computed_at"]
    list_filter = ["city", "unit"]
    search_fields = ["indicator__code", "period"]
    raw_id_fields = ["indicator"]
