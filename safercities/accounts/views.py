"""Sign-in with throttling and a second factor; two-factor enrolment.

The password step (``login``) never logs a user with a confirmed device in: it parks the user's id in
the session and sends them to ``two_factor_verify``. Only a valid code completes the sign-in, which
rotates the session key (``django.contrib.auth.login``).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from safercities.accounts import throttle, two_factor
from safercities.accounts.forms import (
    CodeForm,
    DisableForm,
    EnrolForm,
    ThrottledAuthenticationForm,
    ThrottledPasswordResetForm,
    locked_error,
)

PENDING_USER = "_2fa_pending_user"
PENDING_BACKEND = "_2fa_pending_backend"
PENDING_SINCE = "_2fa_pending_since"
PENDING_NEXT = "_2fa_pending_next"
VERIFIED = "_2fa_verified"
PENDING_SECONDS = 300


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def complete_login(request: HttpRequest, user: Any, *, backend: str | None, verified: bool) -> None:
    """Log in (new session key), forget past failures, shorten staff sessions."""
    auth.login(request, user, backend=backend)
    for key in (PENDING_USER, PENDING_BACKEND, PENDING_SINCE, PENDING_NEXT):
        request.session.pop(key, None)
    throttle.clear(user.get_username(), request)
    request.session[VERIFIED] = verified
    if user.is_staff or user.is_superuser:
        request.session.set_expiry(settings.STAFF_SESSION_AGE)


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = False

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        next_url = self.get_redirect_url()
        if two_factor.confirmed_device(user) is not None:
            self.request.session.cycle_key()
            self.request.session[PENDING_USER] = user.pk
            self.request.session[PENDING_BACKEND] = user.backend
            self.request.session[PENDING_SINCE] = time.time()
            self.request.session[PENDING_NEXT] = next_url
            return redirect("two_factor_verify")
        complete_login(self.request, user, backend=user.backend, verified=False)
        if settings.TWO_FACTOR_REQUIRED and two_factor.requires_two_factor(user):
            return redirect("two_factor_setup")
        return HttpResponseRedirect(_safe_next(self.request, next_url))


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's own sign-in page would bypass throttling and the second factor: send it here."""
    target = reverse("login")
    next_url = request.GET.get("next")
    if next_url:
        target += "?" + urlencode({"next": next_url})
    return redirect(target)


def _pending_user(request: HttpRequest) -> tuple[Any, str | None]:
    if request.user.is_authenticated:
        return request.user, None
    user_id = request.session.get(PENDING_USER)
    since = request.session.get(PENDING_SINCE, 0)
    if user_id is None or time.time() - since > PENDING_SECONDS:
        return None, None
    user = auth.get_user_model()._default_manager.filter(pk=user_id, is_active=True).first()
    return user, request.session.get(PENDING_BACKEND)


@never_cache
@sensitive_post_parameters("code")
def verify(request: HttpRequest) -> HttpResponseBase:
    """Second step: a TOTP code or a recovery code completes the sign-in."""
    user, backend = _pending_user(request)
    if user is None or two_factor.confirmed_device(user) is None:
        return redirect("login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = user.get_username()
        wait = throttle.locked_for(username, request)
        if wait:
            form.add_error(None, locked_error(wait))
        elif two_factor.verify(user, form.cleaned_data["code"]):
            next_url = request.session.get(PENDING_NEXT) or request.GET.get("next")
            if request.user.is_authenticated:
                request.session.cycle_key()
                request.session[VERIFIED] = True
                throttle.clear(username, request)
            else:
                complete_login(request, user, backend=backend, verified=True)
            return HttpResponseRedirect(_safe_next(request, next_url))
        else:
            throttle.record_failure(username, request)
            form.add_error("code", _("That code is not valid. Check your device's clock and try again."))
    return render(request, "accounts/two_factor_verify.html", {"form": form})


@never_cache
@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator (secret as text and an otpauth:// URI), or show the current state."""
    user = request.user
    required = two_factor.requires_two_factor(user)
    if two_factor.confirmed_device(user) is not None:
        return render(request, "accounts/two_factor_status.html", {"required": required, "form": DisableForm()})
    device = two_factor.start_enrolment(user)
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = two_factor.confirm_enrolment(device, form.cleaned_data["code"])
        if codes is not None:
            request.session.cycle_key()
            request.session[VERIFIED] = True
            next_url = _safe_next(request, request.GET.get("next"))
            return render(request, "accounts/two_factor_codes.html", {"codes": codes, "next": next_url})
        form.add_error("code", _("That code is not valid. Check your device's clock and try again."))
    spaced = " ".join(device.secret[i : i + 4] for i in range(0, len(device.secret), 4))
    context = {"form": form, "secret": spaced, "uri": two_factor.provisioning_uri(device), "required": required}
    return render(request, "accounts/two_factor_setup.html", context)


@never_cache
@login_required
@sensitive_post_parameters("password")
def disable(request: HttpRequest) -> HttpResponse:
    """Turn the second factor off (only for those who are not required to use it)."""
    if request.method != "POST":
        return redirect("two_factor_setup")
    required = two_factor.requires_two_factor(request.user)
    form = DisableForm(request.POST)
    if required:
        form.add_error(None, _("City and network administrators must keep two-factor sign-in on."))
    elif form.is_valid() and not request.user.check_password(form.cleaned_data["password"]):
        form.add_error("password", _("Your password was entered incorrectly."))
    if form.is_valid() and not form.errors:
        two_factor.disable(request.user)
        return redirect("two_factor_setup")
    return render(request, "accounts/two_factor_status.html", {"required": required, "form": form}, status=400)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset page behind a per-address and per-client limit; a refused request gets 429."""

    form_class = ThrottledPasswordResetForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        if any(error.code == "throttled" for error in form.errors.as_data().get("email", [])):
            response.status_code = 429
        return response
