from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "safercities.portal"
    verbose_name = "Public portal"
