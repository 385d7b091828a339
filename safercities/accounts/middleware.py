"""Keep administrators without a second factor out of everything but their account pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import get_language_from_path

from safercities.accounts import two_factor
from safercities.accounts.views import VERIFIED

# Paths (after the language prefix) a user who still has to set up two-factor sign-in may reach.
OPEN_PREFIXES = ("accounts/", "i18n/", "health")


class TwoFactorRequiredMiddleware:
    """City and network admins without a confirmed device are sent to enrolment before any other page;
    an admin whose session was not verified with a code is sent to the code step."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user: Any = request.user
        # is_staff first: residents (the many) cost no query.
        if settings.TWO_FACTOR_REQUIRED and user.is_authenticated and (user.is_staff or user.is_superuser):
            path = request.path_info.lstrip("/")
            language = get_language_from_path(request.path_info)
            if language:
                path = path[len(language) + 1 :]
            static = settings.STATIC_URL.lstrip("/")
            if not path.startswith((*OPEN_PREFIXES, static)) and two_factor.requires_two_factor(user):
                query = urlencode({"next": request.get_full_path()})
                if two_factor.confirmed_device(user) is None:
                    return redirect(f"{reverse('two_factor_setup')}?{query}")
                if not request.session.get(VERIFIED):
                    return redirect(f"{reverse('two_factor_verify')}?{query}")
        return self.get_response(request)
