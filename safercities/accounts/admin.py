from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from safercities.accounts.admin_scoping import CityScopedAdmin
from safercities.accounts.models import Membership, Role


class MembershipForm(forms.ModelForm):
    """Say in words what the database constraint would otherwise refuse with an error page."""

    class Meta:
        model = Membership
        fields = ["user", "city", "role"]

    def clean(self) -> dict:
        data = super().clean()
        role, city = data.get("role"), data.get("city")
        if role == Role.NETWORK_ADMIN and city is not None:
            self.add_error("city", _("A network admin acts in every city: leave the city empty."))
        if role and role != Role.NETWORK_ADMIN and city is None:
            self.add_error("city", _("Choose the city in which this role applies."))
        return data


@admin.register(Membership)
class MembershipAdmin(CityScopedAdmin):
    form = MembershipForm
    minimum_role = Role.CITY_ADMIN
    list_display = ["user", "city", "role", "created_at"]
    list_filter = ["role", "city"]
    search_fields = ["user__username", "user__email", "city__name"]
    list_select_related = ["user", "city"]
    autocomplete_fields = ["user"]
