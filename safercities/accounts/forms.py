"""Sign-in forms: the password step is throttled, the second step takes a code."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from safercities.accounts import throttle


def locked_error(seconds: int) -> ValidationError:
    minutes = max(1, (seconds + 59) // 60)
    message = ngettext(
        "Too many failed attempts. Try again in %(minutes)d minute.",
        "Too many failed attempts. Try again in %(minutes)d minutes.",
        minutes,
    )
    return ValidationError(message, code="locked", params={"minutes": minutes})


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form behind a lockout: a locked username is refused before its password is tried."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        wait = throttle.locked_for(username, self.request)
        if wait:
            raise locked_error(wait)
        try:
            return super().clean()
        except ValidationError:
            throttle.record_failure(username, self.request)
            raise


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The 6-digit code from your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class EnrolForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=6,
        min_length=6,
        help_text=_("Enter the 6-digit code your authenticator app shows for this account."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class DisableForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class ThrottledPasswordResetForm(PasswordResetForm):
    """Django's reset form, limited per e-mail address and per client (``throttle.password_reset_allowed``)."""

    def __init__(self, *args: Any, request: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if not throttle.password_reset_allowed(email, self.request):
            minutes = max(1, throttle.reset_window() // 60)
            raise ValidationError(
                ngettext(
                    "Too many password reset requests. Try again in %(minutes)d minute.",
                    "Too many password reset requests. Try again in %(minutes)d minutes.",
                    minutes,
                ),
                code="throttled",
                params={"minutes": minutes},
            )
        return email
