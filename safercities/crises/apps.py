from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrisesConfig(AppConfig):
    name = "safercities.crises"
    label = "crises"
    verbose_name = _("Urban crises")
