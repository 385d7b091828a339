"""Safety audit findings as community-sourced indicator observations.

For every finalised audit walk, per area and quarter, and per parameter of the nine: the share of the
audited locations rated *poor* among those rated on that parameter (``100 × poor ÷ rated``). Every walk
of the same area and quarter is pooled, so the rows are a function of the finalised walks alone and a
recomputation is idempotent. docs/community.md explains the method.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import transaction

from safercities.analytics.periods import Period, quarter_period
from safercities.community.models import PARAMETER_CODES, PARAMETERS, POOR, Appraisal, AuditLocation
from safercities.indicators.models import Dimension, Indicator, Observation
from safercities.places.models import Area, City

SOURCE = "Community safety audit walks (working groups)"
PREFIX = "audit-poor-"
_ES_NAMES = {
    "lighting": "iluminación",
    "openness": "apertura",
    "visibility": "visibilidad",
    "people": "presencia de personas",
    "security": "presencia de seguridad",
    "walk_path": "camino peatonal",
    "transport": "transporte público",
    "gender_usage": "uso por género",
    "feeling": "sensación",
}


def indicator_code(parameter: str) -> str:
    return PREFIX + parameter.replace("_", "-")


def ensure_indicators(city: City) -> dict[str, Indicator]:
    """The nine audit indicators of the city, created when missing (a city's edits are kept)."""
    existing = {i.code: i for i in Indicator.objects.filter(city=city, code__startswith=PREFIX)}
    community = Dimension.objects.get(code="community")
    out: dict[str, Indicator] = {}
    for parameter, label in PARAMETERS:
        code = indicator_code(parameter)
        if code not in existing:
            english = str(label).lower()
            existing[code] = Indicator.objects.create(
                city=city,
                code=code,
                name=f"Audited locations rated poor for {english}",
                definition=(
                    f"Share of the locations of women's safety audit walks rated poor for {english} among "
                    "those rated on it, per area and quarter (community-sourced)."
                ),
                dimension=community,
                unit="% of audited locations",
                direction=Indicator.HIGHER_IS_WORSE,
                aggregation="mean",
                source=SOURCE,
                translations={
                    "es": {
                        "name": f"Lugares auditados calificados como malos en {_ES_NAMES[parameter]}",
                        "unit": "% de los lugares auditados",
                        "definition": (
                            "Proporción de los lugares de las caminatas exploratorias de seguridad de las mujeres "
                            f"calificados como malos en {_ES_NAMES[parameter]}, entre los calificados en ese "
                            "parámetro, por área y trimestre (fuente comunitaria)."
                        ),
                    }
                },
            )
        out[parameter] = existing[code]
    return out


def shares(locations: Iterable[AuditLocation]) -> dict[str, tuple[int, int]]:
    """Per parameter: (locations rated poor, locations rated)."""
    out = dict.fromkeys(PARAMETER_CODES, (0, 0))
    for location in locations:
        for code, rating in location.ratings():
            if rating is None:
                continue
            poor, rated = out[code]
            out[code] = (poor + (rating == POOR), rated + 1)
    return out


def period_of(day: date) -> Period:
    """The quarter of a walk (the catalogue's audit indicators are quarterly)."""
    return quarter_period(day.year, (day.month - 1) // 3 + 1)


def recompute(city: City, area: Area, day: date) -> int:
    """Rewrite the audit observations of one area and quarter from its finalised walks; rows written."""
    period = period_of(day)
    with transaction.atomic():
        indicators = ensure_indicators(city)
        walks = Appraisal.objects.filter(
            city=city,
            area=area,
            kind=Appraisal.AUDIT_WALK,
            status=Appraisal.FINAL,
            date__gte=period.start,
            date__lte=period.end,
        )
        locations = AuditLocation.objects.filter(appraisal__in=walks)
        counts = shares(locations)
        written = 0
        for parameter, indicator in indicators.items():
            poor, rated = counts[parameter]
            cell = Observation.objects.filter(
                indicator=indicator, area=area, period=period.code, sex="", age_group="", disability=""
            )
            ours = cell.filter(quality=Observation.COMMUNITY, source__startswith=SOURCE)
            if rated == 0:
                ours.delete()
                continue
            if cell.exclude(pk__in=ours.values("pk")).exists():
                # A value from another source (an import, another tool) is kept, never overwritten —
                # as the surveys do; the walk's finding stays on its appraisal page.
                continue
            value = round(100.0 * poor / rated, 4)
            # The poor count is of places, not people: kept out of ``numerator`` so that the portal's
            # small-count rule (which protects people) does not withhold it; the text keeps it.
            Observation.objects.update_or_create(
                indicator=indicator,
                area=area,
                period=period.code,
                sex="",
                age_group="",
                disability="",
                defaults={
                    "city": city,
                    "period_type": period.kind,
                    "period_start": period.start,
                    "period_end": period.end,
                    "value": value,
                    "numerator": None,
                    "denominator": float(rated),
                    "quality": Observation.COMMUNITY,
                    "source": f"{SOURCE}: {poor} of {rated} locations rated poor",
                },
            )
            written += 1
    return written
