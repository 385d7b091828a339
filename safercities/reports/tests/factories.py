"""Reports test data: categories (one sensitive), departments, and small helpers."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from safercities.incidents.models import IncidentCategory
from safercities.indicators.models import Dimension
from safercities.places.models import City
from safercities.portal.tests.factories import LAT0, LON0, SIDE
from safercities.reports.models import Department, ReportCategory

# A point inside area A1 (the first square of build_small_city) and one inside A2.
A1_POINT = (LAT0 + SIDE / 2, LON0 + SIDE / 2)
A2_POINT = (LAT0 + SIDE / 2, LON0 + 1.5 * SIDE)


def setup_categories(city: City) -> dict[str, Any]:
    roads = Department.objects.create(city=city, name="Public works", email="works@example.org")
    women = Department.objects.create(city=city, name="Women's office", email="women@example.org")
    IncidentCategory.objects.get_or_create(city=city, code="vandalism", defaults={"name": "Vandalism"})
    IncidentCategory.objects.get_or_create(city=city, code="gbv", defaults={"name": "GBV", "sensitive": True})
    lighting = ReportCategory.objects.create(
        city=city,
        code="lighting",
        name="Street lighting",
        translations={"es": "Alumbrado público"},
        dimension=Dimension.objects.get(code="community"),
        incident_category="vandalism",
        department=roads,
    )
    gbv = ReportCategory.objects.create(
        city=city,
        code="gbv",
        name="Gender-based violence",
        translations={"es": "Violencia de género"},
        dimension=Dimension.objects.get(code="personal"),
        sensitive=True,
        incident_category="gbv",
        department=women,
        referral_text="Women's helpline: 800 123 456 (free, 24 h).",
    )
    return {"lighting": lighting, "gbv": gbv, "roads": roads, "women": women}


def jpeg(size: tuple[int, int] = (40, 30), *, exif: bytes | None = None) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    image = Image.new("RGB", size, "navy")
    if exif is not None:
        image.save(buffer, format="JPEG", exif=exif)
    else:
        image.save(buffer, format="JPEG")
    return buffer.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)
