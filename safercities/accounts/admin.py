from django.contrib import admin

from safercities.accounts.admin_scoping import CityScopedAdmin
from safercities.accounts.models import Membership, Role


@admin.register(Membership)
class MembershipAdmin(CityScopedAdmin):
    minimum_role = Role.CITY_ADMIN
    list_display = ["user", "city", "role", "created_at"]
    list_filter = ["role", "city"]
    search_fields = ["user__username", "user__email", "city__name"]
    list_select_related = ["user", "city"]
    autocomplete_fields = ["user"]
