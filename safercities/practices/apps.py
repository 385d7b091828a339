from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PracticesConfig(AppConfig):
    name = "safercities.practices"
    label = "practices"
    verbose_name = _("Lessons-learned library")

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from safercities.practices import search
        from safercities.practices.models import Practice

        # Index upkeep only (the FTS5 table is outside the ORM, so a cascade would not reach it).
        post_delete.connect(
            lambda sender, instance, **kwargs: search.unindex(instance.pk),
            sender=Practice,
            weak=False,
            dispatch_uid="practices_unindex",
        )
