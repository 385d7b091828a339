from django.contrib import admin

from safercities.accounts.admin_scoping import CityScopedAdmin
from safercities.places.models import Area, AreaPopulation, City


@admin.register(City)
class CityAdmin(CityScopedAdmin):
    city_path = "pk"
    list_display = ["name", "slug", "country", "languages", "timezone", "is_synthetic", "is_public"]
    list_filter = ["country", "is_synthetic", "is_public"]
    search_fields = ["name", "slug"]

    def get_queryset(self, request):
        from safercities.accounts.permissions import cities_for, is_network_admin

        queryset = admin.ModelAdmin.get_queryset(self, request)
        if is_network_admin(request.user):
            return queryset
        return queryset.filter(pk__in=cities_for(request.user, self.minimum_role))

    def has_add_permission(self, request):
        from safercities.accounts.permissions import is_network_admin

        return is_network_admin(request.user)


class PopulationInline(admin.TabularInline):
    model = AreaPopulation
    extra = 0


@admin.register(Area)
class AreaAdmin(CityScopedAdmin):
    list_display = ["code", "name", "level", "parent", "city", "area_km2"]
    list_filter = ["city", "level"]
    search_fields = ["code", "name"]
    list_select_related = ["parent", "city"]
    raw_id_fields = ["parent"]
    inlines = [PopulationInline]


@admin.register(AreaPopulation)
class AreaPopulationAdmin(CityScopedAdmin):
    city_path = "area__city"
    list_display = ["area", "year", "sex", "age_group", "population"]
    list_filter = ["year", "sex", "area__city"]
    search_fields = ["area__code", "area__name"]
    list_select_related = ["area"]
    raw_id_fields = ["area"]
