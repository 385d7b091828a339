from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "safercities.reports"
    label = "reports"
    verbose_name = _("Resident reports")

    def ready(self) -> None:
        from safercities.jobs.queue import TASKS

        TASKS["reports_sync"] = "safercities.reports.tasks:sync"
        TASKS["reports_purge"] = "safercities.reports.tasks:purge"
