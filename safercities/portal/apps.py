from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "safercities.portal"
    verbose_name = "Public portal"

    def ready(self) -> None:
        # Public pages' cached parts go stale the moment what they show is saved (portal/cache.py).
        from safercities.portal.cache import connect_signals

        connect_signals()
