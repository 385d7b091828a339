"""The ceiling for ``bench/load.py``: the project's own settings and middleware, one view returning a constant.

Served by gunicorn exactly like ``safercities.wsgi`` (same workers, same environment), it measures what
Django itself costs per request on this machine, so the portal's figures can be read against it. It is
its own settings module and URLconf, so nothing is added to the product's URLs::

    DJANGO_SETTINGS_MODULE=ceiling_wsgi gunicorn --pythonpath bench ceiling_wsgi:application

The constant view touches neither the session nor the database.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from safercities.settings import *  # noqa: F403 — the same settings, middleware included

ROOT_URLCONF = __name__
BODY = b"ok\n"


def constant(request: HttpRequest) -> HttpResponse:
    """Return the same few bytes to everyone: no template, no query."""
    return HttpResponse(BODY, content_type="text/plain; charset=utf-8")


urlpatterns = [path("ceiling", constant)]

# Last, so that settings and URLconf above are defined when Django imports this module as both.
from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
