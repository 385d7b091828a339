"""The one gate in front of every workspace view: signed in, and a role in the city of the URL.

A user with no role in the city gets 404, not 403, so the workspace does not reveal which cities
exist; a member whose role is too low (a resident, a community monitor) gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from safercities.accounts.models import ROLE_RANK, Role
from safercities.accounts.permissions import role_in
from safercities.places.models import City

View = Callable[..., HttpResponse]


def city_role(minimum: str) -> Callable[[View], View]:
    """Decorate a view ``view(request, city, ...)`` routed as ``<slug:city>/…``.

    The view receives the :class:`City` instead of the slug, and ``request.city_role`` holds the
    user's role there.
    """
    needed = ROLE_RANK[Role(minimum)]

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, city: str, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            place = get_object_or_404(City, slug=city)
            role = role_in(request.user, place)
            if role is None:
                raise Http404("no such workspace")
            if ROLE_RANK[Role(role)] < needed:
                raise PermissionDenied("your role in this city does not allow this")
            request.city_role = role  # type: ignore[attr-defined]
            return view(request, place, *args, **kwargs)

        wrapper.city_role_minimum = minimum  # type: ignore[attr-defined]
        return wrapper

    return decorate


def is_city_admin(request: HttpRequest) -> bool:
    role = getattr(request, "city_role", None)
    return role is not None and ROLE_RANK[Role(role)] >= ROLE_RANK[Role.CITY_ADMIN]
