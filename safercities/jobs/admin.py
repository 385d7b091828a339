from django.contrib import admin

from safercities.accounts.admin_scoping import CityScopedAdmin
from safercities.jobs.models import Job


@admin.register(Job)
class JobAdmin(CityScopedAdmin):
    list_display = ["created_at", "kind", "city", "status", "attempts", "progress", "worker", "finished_at"]
    list_filter = ["status", "kind", "city"]
    search_fields = ["key", "error"]
    readonly_fields = [field.name for field in Job._meta.fields]

    def has_add_permission(self, request):
        return False
