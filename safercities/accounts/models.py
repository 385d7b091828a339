"""Who may do what in which city: a user's rights come from a membership with a role."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from safercities.accounts.crypto import EncryptedCharField
from safercities.places.models import City


class Role(models.TextChoices):
    RESIDENT = "resident", _("resident")
    MONITOR = "monitor", _("community monitor")
    ANALYST = "analyst", _("analyst")
    CITY_ADMIN = "city_admin", _("city admin")
    NETWORK_ADMIN = "network_admin", _("network admin")


# Higher rank includes the rights of lower ranks within the same city.
ROLE_RANK = {Role.RESIDENT: 1, Role.MONITOR: 2, Role.ANALYST: 3, Role.CITY_ADMIN: 4, Role.NETWORK_ADMIN: 5}
STAFF_ROLES = {Role.ANALYST, Role.CITY_ADMIN}


class Membership(models.Model):
    """A user's role in a city. A network admin's membership has no city: it spans the network."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    city = models.ForeignKey(City, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["city", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "city"], name="membership_one_per_city"),
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(city__isnull=True), name="membership_one_network_role"
            ),
            models.CheckConstraint(
                condition=(models.Q(role="network_admin") & models.Q(city__isnull=True))
                | (~models.Q(role="network_admin") & models.Q(city__isnull=False)),
                name="membership_network_admin_has_no_city",
            ),
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} · {self.city or _('network')} · {self.get_role_display()}"


class LoginFailure(models.Model):
    """One failed sign-in, keyed by a keyed hash of the username or of the client address.

    Neither the username nor the IP address is stored in clear (privacy: no IP kept beyond rate
    limiting); rows older than the throttling window are purged.
    """

    class Kind(models.TextChoices):
        USERNAME = "username", _("username")
        CLIENT = "client", _("client address")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    key = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "key", "created_at"])]
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")

    def __str__(self) -> str:
        return f"{self.kind} failure at {self.created_at:%Y-%m-%d %H:%M}"


class TwoFactor(models.Model):
    """A user's TOTP (RFC 6238) secret; confirmed once the user has entered a valid code.

    The secret is stored encrypted (``accounts.crypto``): the server must read it back to check codes,
    so it cannot be hashed, but a copy of the database alone must not yield working second factors.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="two_factor")
    secret = EncryptedCharField(max_length=255)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last accepted time step: a code is never accepted twice (RFC 6238 §5.2).
    last_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("two-factor device")
        verbose_name_plural = _("two-factor devices")

    def __str__(self) -> str:
        return f"{self.user} · TOTP"


class RecoveryCode(models.Model):
    """A single-use code for when the authenticator is lost; only its SHA-256 is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_unique")]
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self) -> str:
        return f"{self.user} · {'used' if self.used_at else 'unused'} recovery code"
