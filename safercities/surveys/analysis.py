"""Turn a round's responses into the published cells of the two perception indicators.

The one place that reads responses for statistics: the staff page, the CSV export and the
observations all come from :func:`results`, so they apply the same disclosure control.

Cells: every area of residence × (all respondents, and each published group of sex, age group and
disability), plus "all areas" (written to the city's top area when there is exactly one). A cell is
withheld when fewer than ``round.min_respondents`` answered (primary suppression) and, so that totals
cannot reveal it, a complementary cell of the same row or column is withheld too (secondary
suppression; see :func:`safercities.surveys.estimates.suppress_table`). "Prefer not to say" and
"other" answers count in every total but are never published as a group of their own; they take part
in the suppression as cells, so a small unpublished group is protected like any other.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from safercities.analytics.disclosure import suppression_mask
from safercities.places.models import Area
from safercities.surveys import estimates
from safercities.surveys.models import AGE_GROUPS, DISABILITY, SAFE_FEELINGS, SEXES, SurveyResponse, SurveyRound

# indicator code (catalogue) → (question, answers counted as "yes", answers in the denominator or None = all)
INDICATORS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...] | None]] = {
    "feel-safe-after-dark": ("night_feeling", SAFE_FEELINGS, None),
    "harassment-victims": ("harassment", ("yes",), ("yes", "no")),
    # Shown to staff and in the CSV beside the night-time figure; no catalogue indicator, never written.
    "feel-safe-by-day": ("day_feeling", SAFE_FEELINGS, None),
}
OBSERVED = ("feel-safe-after-dark", "harassment-victims")  # the catalogue indicators the round writes
# Groups published per dimension (the remaining answers are counted but never shown on their own).
DIMENSIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "sex": (SEXES, ("female", "male")),
    "age_group": (AGE_GROUPS, ("15-29", "30-59", "60+")),
    "disability": (DISABILITY, ("with_disability", "without_disability")),
}
ALL = ""


@dataclass(frozen=True)
class Cell:
    """One estimate: a share of respondents in an area (None = all areas) and a group."""

    indicator: str
    area: Area | None
    dimension: str  # "" for all respondents, else sex / age_group / disability
    group: str
    respondents: int
    yes: int
    withheld: bool

    @property
    def share(self) -> float | None:
        return None if self.withheld or not self.respondents else self.yes / self.respondents

    @property
    def interval(self) -> tuple[float | None, float | None]:
        return (None, None) if self.withheld else estimates.wilson_interval(self.yes, self.respondents)

    @property
    def percent(self) -> float | None:
        share = self.share
        return None if share is None else round(100 * share, 1)

    @property
    def percent_interval(self) -> tuple[float | None, float | None]:
        lo, hi = self.interval
        return (None if lo is None else round(100 * lo, 1), None if hi is None else round(100 * hi, 1))


def _rows(survey: SurveyRound) -> list[dict]:
    return list(
        SurveyResponse.objects.filter(round=survey).values(
            "area_id", "day_feeling", "night_feeling", "harassment", "sex", "age_group", "disability"
        )
    )


def _cells_for(indicator: str, rows: list[dict], areas: list[Area], k: int) -> list[Cell]:
    question, yes_answers, valid = INDICATORS[indicator]
    rows = [r for r in rows if valid is None or r[question] in valid]
    index = {area.pk: i for i, area in enumerate(areas)}
    totals = np.zeros(len(areas))
    yes_totals = np.zeros(len(areas))
    for r in rows:
        totals[index[r["area_id"]]] += 1
        yes_totals[index[r["area_id"]]] += r[question] in yes_answers
    hidden_areas = suppression_mask(totals, k)
    grand = int(totals.sum())
    cells = [
        Cell(indicator, area, ALL, ALL, int(totals[i]), int(yes_totals[i]), bool(hidden_areas[i]))
        for i, area in enumerate(areas)
        if totals[i] > 0
    ]
    if grand:
        cells.append(Cell(indicator, None, ALL, ALL, grand, int(yes_totals.sum()), grand < k))
    for dimension, (codes, published) in DIMENSIONS.items():
        column = {code: j for j, code in enumerate(codes)}
        table = np.zeros((len(areas), len(codes)))
        yes = np.zeros((len(areas), len(codes)))
        for r in rows:
            i, j = index[r["area_id"]], column[r[dimension]]
            table[i, j] += 1
            yes[i, j] += r[question] in yes_answers
        col_totals = table.sum(axis=0)
        hidden_cols = suppression_mask(col_totals, k) if grand >= k else col_totals > 0
        mask = estimates.suppress_table(table, k, hidden_rows=hidden_areas, hidden_cols=hidden_cols)
        for group in published:
            j = column[group]
            for i, area in enumerate(areas):
                if table[i, j] > 0:
                    cells.append(
                        Cell(indicator, area, dimension, group, int(table[i, j]), int(yes[i, j]), bool(mask[i, j]))
                    )
            if col_totals[j] > 0:
                cells.append(
                    Cell(
                        indicator,
                        None,
                        dimension,
                        group,
                        int(col_totals[j]),
                        int(yes[:, j].sum()),
                        bool(hidden_cols[j]),
                    )
                )
    return cells


def areas_of(survey: SurveyRound) -> list[Area]:
    """The areas respondents choose from (the round's level), in code order."""
    return list(Area.objects.filter(city=survey.city, level=survey.area_level).order_by("code"))


def results(survey: SurveyRound) -> list[Cell]:
    """Every cell of both indicators, withheld ones included (flagged)."""
    rows = _rows(survey)
    areas = areas_of(survey)
    known = {area.pk for area in areas}
    extra = {r["area_id"] for r in rows} - known
    if extra:  # answers from areas that have since changed level: keep them, in their own rows
        areas += list(Area.objects.filter(pk__in=extra).order_by("code"))
    return [cell for code in INDICATORS for cell in _cells_for(code, rows, areas, survey.min_respondents)]


def places_avoided(survey: SurveyRound) -> list[tuple[str, int | None]]:
    """How many respondents avoid each kind of place (a small count is withheld; respondents may tick several)."""
    counter: Counter[str] = Counter()
    for places in SurveyResponse.objects.filter(round=survey).values_list("places_avoided", flat=True):
        counter.update(p for p in places or [] if isinstance(p, str))
    ordered = counter.most_common()
    shown = (
        suppression_mask(np.array([n for _p, n in ordered], dtype=float), survey.min_respondents, with_totals=False)
        if ordered
        else []
    )
    return [(place, None if hide else n) for (place, n), hide in zip(ordered, shown, strict=True)]


def areas_avoided(survey: SurveyRound) -> list[tuple[Area, int | None]]:
    """How many respondents name each area as where most of the places they avoid are (small counts withheld)."""
    counter = Counter(
        SurveyResponse.objects.filter(round=survey, avoided_area__isnull=False).values_list("avoided_area", flat=True)
    )
    areas = {a.pk: a for a in Area.objects.filter(pk__in=list(counter))}
    ordered = counter.most_common()
    counts = np.array([n for _pk, n in ordered], dtype=float)
    hidden = suppression_mask(counts, survey.min_respondents, with_totals=False) if ordered else []
    return [(areas[pk], None if hide else n) for (pk, n), hide in zip(ordered, hidden, strict=True)]


def top_area(areas: Iterable[Area]) -> Area | None:
    """The single top-level ancestor of the survey areas (where the all-areas figure is written), if any."""
    tops = set()
    for area in areas:
        current = area
        seen = 0
        while current.parent_id is not None and seen < 20:
            current = current.parent
            seen += 1
        tops.add(current)
    if len(tops) != 1:
        return None
    (top,) = tops
    return None if any(top.pk == a.pk for a in areas) else top
