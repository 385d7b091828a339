from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "safercities.accounts"
    label = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self) -> None:
        from django.core import checks

        from safercities.accounts.ratelimit import check_rate_settings

        checks.register(check_rate_settings)
