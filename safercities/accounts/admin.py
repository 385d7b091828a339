"""Admin for memberships (city-scoped) and users, every change written to the audit trail."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from safercities.accounts.admin_scoping import CityScopedAdmin
from safercities.accounts.models import Membership, Role
from safercities.audit.models import AuditEvent
from safercities.audit.trail import REDACTED, diff, record, snapshot


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


class AuditedUserAdmin(UserAdmin):
    """Django's user admin, with every add, change, delete and password set in the audit trail.

    Django's LogEntry says only "changed"; the trail keeps who, when and the fields before and after
    (the password hash never: ``audit.trail`` redacts it). User accounts are not a city's rows, so
    the events carry no city and only network admins see them in the trail.
    """

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            stored = type(obj)._default_manager.filter(pk=obj.pk).first() if change else None
            before = snapshot(stored) if stored is not None else None
            super().save_model(request, obj, form, change)
            if before is None:
                record(action=AuditEvent.Action.CREATE, request=request, obj=obj, after=snapshot(obj))
            else:
                old, new = diff(before, snapshot(obj))
                if old or new:
                    record(action=AuditEvent.Action.UPDATE, request=request, obj=obj, before=old, after=new)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Groups and permissions are many-to-many: compare them around the save of the relations."""
        obj = form.instance
        before = _grants(obj) if change else None
        super().save_related(request, form, formsets, change)
        after = _grants(obj)
        if before is not None and before != after:
            record(action=AuditEvent.Action.UPDATE, request=request, obj=obj, before=before, after=after)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            record(action=AuditEvent.Action.DELETE, request=request, obj=obj, before=snapshot(obj))
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic():
            for obj in queryset:
                record(action=AuditEvent.Action.DELETE, request=request, obj=obj, before=snapshot(obj))
            super().delete_queryset(request, queryset)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, id)
            if user is not None:
                record(action="user.set_password", request=request, obj=user, after={"password": REDACTED})
        return response


def _grants(user: Any) -> dict[str, list[str]]:
    return {
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "user_permissions": sorted(
            f"{app}.{codename}"
            for app, codename in user.user_permissions.values_list("content_type__app_label", "codename")
        ),
    }


_User = get_user_model()
if admin.site.is_registered(_User):
    admin.site.unregister(_User)
admin.site.register(_User, AuditedUserAdmin)
