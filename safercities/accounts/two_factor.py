"""Two-factor sign-in: who must have it, enrolment, verification and recovery codes.

City admins and network admins (and superusers) must use a second factor: they can change who has
access to a city's data. Everyone else may turn it on.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

from django.db import transaction
from django.utils import timezone

from safercities.accounts import totp
from safercities.accounts.models import Membership, RecoveryCode, Role, TwoFactor

RECOVERY_CODE_COUNT = 10
ISSUER = "Safer Cities Monitor"


def _now() -> float:
    """The clock the codes are checked against (a seam for tests)."""
    return time.time()


def requires_two_factor(user: Any) -> bool:
    """True for superusers, network admins and city admins of any city."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(user=user, role__in=[Role.CITY_ADMIN, Role.NETWORK_ADMIN]).exists()


def confirmed_device(user: Any) -> TwoFactor | None:
    return TwoFactor.objects.filter(user=user, confirmed_at__isnull=False).first()


def start_enrolment(user: Any) -> TwoFactor:
    """The user's pending (unconfirmed) device, created with a fresh secret if there is none."""
    device, _created = TwoFactor.objects.get_or_create(user=user, defaults={"secret": totp.new_secret()})
    return device


def provisioning_uri(device: TwoFactor) -> str:
    return totp.provisioning_uri(device.secret, account=device.user.get_username(), issuer=ISSUER)


def _hash_code(code: str) -> str:
    return hashlib.sha256("".join(code.split()).replace("-", "").lower().encode()).hexdigest()


def _new_recovery_codes(user: Any) -> list[str]:
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create([RecoveryCode(user=user, code_hash=_hash_code(code)) for code in codes])
    return codes


def check_code(device: TwoFactor, code: str, *, now: float | None = None) -> bool:
    """Accept a current TOTP code once; remember its step so that it cannot be replayed."""
    step = totp.matching_step(device.secret, code, _now() if now is None else now, after_step=device.last_step)
    if step is None:
        return False
    # Compare-and-swap: of two simultaneous uses of one code, only one wins.
    updated = TwoFactor.objects.filter(pk=device.pk, last_step__lt=step).update(last_step=step)
    device.last_step = step
    return updated == 1


def confirm_enrolment(device: TwoFactor, code: str) -> list[str] | None:
    """Confirm the device with a first valid code; returns the new recovery codes (shown once)."""
    with transaction.atomic():
        if not check_code(device, code):
            return None
        device.confirmed_at = timezone.now()
        device.save(update_fields=["confirmed_at"])
        return _new_recovery_codes(device.user)


def use_recovery_code(user: Any, code: str) -> bool:
    """Spend one unused recovery code."""
    updated = RecoveryCode.objects.filter(user=user, code_hash=_hash_code(code), used_at__isnull=True).update(
        used_at=timezone.now()
    )
    return updated == 1


def verify(user: Any, code: str) -> bool:
    """A TOTP code from the user's confirmed device, or one of their recovery codes."""
    device = confirmed_device(user)
    if device is None:
        return False
    cleaned = "".join(code.split())
    if cleaned.isdigit() and len(cleaned) == totp.DIGITS:
        return check_code(device, cleaned)
    return use_recovery_code(user, cleaned)


def disable(user: Any) -> None:
    """Remove the user's device and recovery codes (refused by the view for those who require it)."""
    with transaction.atomic():
        TwoFactor.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
