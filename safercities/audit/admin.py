from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from safercities.accounts.admin_scoping import CityScopedAdmin
from safercities.accounts.models import Role
from safercities.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(CityScopedAdmin):
    """Read-only: the trail is append-only from the application's side."""

    minimum_role = Role.CITY_ADMIN
    list_display = ["created_at", "city", "username", "action", "model_label", "object_repr"]
    list_filter = ["action", "model_label", "city"]
    search_fields = ["username", "object_repr", "object_id", "request_id"]
    list_select_related = ["city"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
