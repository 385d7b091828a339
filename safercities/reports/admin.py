"""Categories, departments and the retention policy are edited in the admin (city admins; audited).

Reports themselves are deliberately not in the admin: their personal data and the sensitive-report
designation are handled only through the queue (``views``), which applies those rules.
"""

from django.contrib import admin

from safercities.accounts.admin_scoping import CityScopedAdmin
from safercities.accounts.models import Role
from safercities.reports.models import Department, ReportCategory, ReportPolicy


@admin.register(Department)
class DepartmentAdmin(CityScopedAdmin):
    minimum_role = Role.CITY_ADMIN
    list_display = ["name", "email", "city"]
    list_filter = ["city"]
    search_fields = ["name"]


@admin.register(ReportCategory)
class ReportCategoryAdmin(CityScopedAdmin):
    minimum_role = Role.CITY_ADMIN
    list_display = ["code", "name", "sensitive", "incident_category", "department", "active", "city"]
    list_filter = ["city", "sensitive", "active"]
    search_fields = ["code", "name"]


@admin.register(ReportPolicy)
class ReportPolicyAdmin(CityScopedAdmin):
    minimum_role = Role.CITY_ADMIN
    list_display = ["city", "contact_retention_days"]
