"""Public pages about places, and the health check."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from safercities.places.models import City


@never_cache
def health(request: HttpRequest) -> HttpResponse:
    """200 when the database answers, 503 when it does not (load balancers poll this)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "up"})


def home(request: HttpRequest) -> HttpResponse:
    cities = (
        City.objects.filter(is_public=True)
        .annotate(area_count=Count("areas", distinct=True), indicator_count=Count("indicators", distinct=True))
        .order_by("name")
    )
    return render(request, "places/home.html", {"cities": cities})
