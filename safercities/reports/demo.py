"""The demo city's resident reports: called by ``safercities demo`` after the data and users are loaded.

Two departments, five categories (one sensitive, with referral text), and about 40 reports across the
life cycle with officials' answers. Deterministic (a fixed seed) and idempotent: once the city has demo
reports, a re-run changes nothing.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import h3
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from safercities.indicators.models import Dimension, Indicator
from safercities.places.models import Area, City
from safercities.reports.models import Department, Report, ReportCategory, ReportUpdate, SensitiveAccess

SEED = 20261202
DEPARTMENTS = (("Public works", "obras@example.org"), ("Women's office", "mujeres@example.org"))
# code, name, Spanish name, dimension, incident category, indicator, department index, sensitive
CATEGORIES = (
    (
        "lighting",
        "Broken street lighting",
        "Alumbrado público dañado",
        "community",
        "vandalism",
        "vandalism-incidents",
        0,
        False,
    ),
    (
        "vandalism",
        "Vandalism or graffiti",
        "Vandalismo o grafiti",
        "community",
        "vandalism",
        "vandalism-incidents",
        0,
        False,
    ),
    ("unsafe-space", "Unsafe public space", "Espacio público inseguro", "community", "", "", 0, False),
    ("drugs", "Drug dealing", "Venta de drogas", "community", "drug_offence", "drug-offence-incidents", 0, False),
    (
        "gbv",
        "Harassment or gender-based violence",
        "Acoso o violencia de género",
        "personal",
        "harassment",
        "gbv-incidents",
        1,
        True,
    ),
)
REFERRAL = (
    "If you are in danger, call 911. Free and confidential support for women, 24 hours: "
    "Línea Mujeres 800 108 4053. The Women's office (Av. Central 12) offers legal and psychological help."
)
TEXTS = {
    "lighting": [
        "The street lamps on this block have been off for two weeks.",
        "Dark corner: the lamp post is broken.",
    ],
    "vandalism": ["The bus shelter glass was smashed again.", "Graffiti with threats on the school wall."],
    "unsafe-space": ["The park path is overgrown and nobody walks there at night.", "Abandoned lot used at night."],
    "drugs": ["People sell drugs every evening at this corner.", "Dealing near the sports field."],
    "gbv": ["Women are harassed at this bus stop in the evening."],
}
ANSWERS = {
    Report.ACKNOWLEDGED: "Thank you, we have received your report and passed it to the team.",
    Report.IN_PROGRESS: "A crew is scheduled to work on this place this week.",
    Report.RESOLVED: "The problem has been fixed. Tell us if it happens again.",
    Report.CLOSED: "Closed: the place is now covered by the new lighting plan.",
}
PATH = [Report.RECEIVED, Report.ACKNOWLEDGED, Report.IN_PROGRESS, Report.RESOLVED, Report.CLOSED]


def build(city: City, *, say: Callable[[str], None]) -> None:
    """Create this app's demo records; a re-run changes nothing."""
    if Report.objects.filter(city=city).exists():
        say("reports: demo reports already present")
        return
    with transaction.atomic():
        _build(city, say)


def _build(city: City, say: Callable[[str], None]) -> None:
    rng = random.Random(SEED)
    departments = [
        Department.objects.get_or_create(city=city, name=name, defaults={"email": email})[0]
        for name, email in DEPARTMENTS
    ]
    dimensions = {d.code: d for d in Dimension.objects.all()}
    indicators = {i.code: i for i in Indicator.objects.filter(city=city)}
    categories = []
    for code, name, spanish, dimension, incident, indicator, dept, sensitive in CATEGORIES:
        category, _created = ReportCategory.objects.get_or_create(
            city=city,
            code=code,
            defaults={
                "name": name,
                "translations": {"es": spanish},
                "dimension": dimensions[dimension],
                "incident_category": incident,
                "indicator": indicators.get(indicator),
                "department": departments[dept],
                "sensitive": sensitive,
                "referral_text": REFERRAL if sensitive else "",
            },
        )
        categories.append(category)
    areas = list(Area.objects.filter(city=city, centroid_lat__isnull=False).exclude(level="city").order_by("code"))
    if not areas:
        say("reports: the city has no areas; no demo reports")
        return
    User = get_user_model()
    official = User.objects.filter(username="demo-analyst").first()
    admin = User.objects.filter(username="demo-admin").first()
    if admin is not None:
        SensitiveAccess.objects.get_or_create(city=city, user=admin)
    # The demo's fixed reference date (demo/generate.py): the reports fall in its last quarter, so their
    # community incidents count in months the demo has data for, and a re-build writes the same rows.
    now = datetime(2026, 1, 1, tzinfo=UTC)
    made = 0
    for n in range(40):
        category = categories[4] if n == 7 else categories[n % 4]
        area = rng.choice(areas)
        lat = area.centroid_lat + rng.uniform(-0.002, 0.002)
        lon = area.centroid_lon + rng.uniform(-0.002, 0.002)
        created = now - timedelta(days=rng.randint(1, 90), hours=rng.randint(0, 23))
        steps = rng.choice([0, 1, 1, 2, 2, 3, 3, 3, 4])
        moderation = Report.PENDING if steps == 0 and n % 3 == 0 else Report.PUBLISHED
        if n in (11, 23):
            moderation = Report.SPAM
        text = rng.choice(TEXTS[category.code])
        token = hashlib.sha256(f"demo-{SEED}-{n}".encode()).hexdigest()
        report = Report.objects.create(
            city=city,
            reference=f"R-D{n:05d}",
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
            category=category,
            description=text,
            public_text=text if moderation == Report.PUBLISHED else "",
            lat=lat,
            lon=lon,
            area=area,
            h3_cell=h3.latlng_to_cell(lat, lon, settings.INCIDENT_H3_RESOLUTION),
            status=PATH[steps],
            moderation=moderation,
            department=category.department,
            contact_email="" if category.sensitive or n % 4 else f"resident{n}@example.org",
        )
        updates = [ReportUpdate(report=report, status=Report.RECEIVED, public=True)]
        times = [created]
        when = created
        first = resolved = closed = None
        for status in PATH[1 : steps + 1]:
            when = when + timedelta(hours=rng.randint(4, 120))
            updates.append(ReportUpdate(report=report, author=official, status=status, text=ANSWERS[status]))
            times.append(when)
            first = first or when
            if status == Report.RESOLVED:
                resolved = when
            if status == Report.CLOSED:
                closed = when
        for update, at in zip(ReportUpdate.objects.bulk_create(updates), times, strict=True):
            ReportUpdate.objects.filter(pk=update.pk).update(created_at=at)
        # auto_now_add/auto_now fields are set on save: put the demo's history in place afterwards.
        Report.objects.filter(pk=report.pk).update(
            created_at=created, updated_at=when, first_response_at=first, resolved_at=resolved, closed_at=closed
        )
        made += 1
    from safercities.reports.monitoring import sync_incidents

    # Aggregated at once (and a compute queued), as the reports_sync job does: the incident importer
    # aggregates only its own rows, and a forced demo re-run must find these months already counted.
    synced = sync_incidents(city, aggregate=True)
    say(f"reports: {made} demo reports, {len(categories)} categories; {synced['created']} community incidents")
