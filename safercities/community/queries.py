"""What the community pages read, with the disclosure rules applied before anything is public."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from safercities.analytics import disclosure
from safercities.community.models import (
    AGE_GROUPS,
    DISABILITY,
    SEXES,
    Action,
    Appraisal,
    GroupMember,
    MappingPoint,
    WorkingGroup,
)
from safercities.indicators.models import Indicator, Observation
from safercities.places.models import City
from safercities.portal.queries import sensitive_categories, threshold_for

SMALL = disclosure.DEFAULT_THRESHOLD


@dataclass(frozen=True)
class Count:
    """A count as published: ``shown`` is the number, or None when withheld (``small``: under k)."""

    raw: int
    shown: int | None
    small: bool = False


def protect_counts(counts: list[int], *, full: bool) -> list[Count]:
    """Counts under 5 are withheld in public (with a second cell where a total would give it away)."""
    if full:
        return [Count(c, c) for c in counts]
    shown = disclosure.suppress_counts(counts, SMALL) if counts else []
    return [Count(c, None if s is None else int(s), small=0 < c < SMALL) for c, s in zip(counts, shown, strict=True)]


@dataclass
class Breakdown:
    title: Any
    rows: list[tuple[Any, Count]] = field(default_factory=list)


def participation(group: WorkingGroup, *, full: bool) -> dict[str, Any]:
    """Members by sex, age group and disability, and the share of women among the conveners."""
    members = list(group.members.all())
    tables = []
    for title, name, choices in (
        (_("By sex"), "sex", SEXES),
        (_("By age group"), "age_group", AGE_GROUPS),
        (_("By disability"), "disability", DISABILITY),
    ):
        tally = Counter(getattr(member, name) for member in members)
        counts = protect_counts([tally.get(code, 0) for code, _label in choices], full=full)
        tables.append(Breakdown(title, [(label, count) for (_code, label), count in zip(choices, counts, strict=True)]))
    by_role = Counter(member.role for member in members)
    conveners = [m for m in members if m.role == GroupMember.CONVENER]
    women = sum(1 for m in conveners if m.sex == "female")
    return {
        "total": len(members),
        "total_shown": protect_counts([len(members)], full=full)[0],
        "tables": tables,
        "roles": [
            (label, count)
            for (code, label), count in zip(
                GroupMember.ROLES,
                protect_counts([by_role.get(code, 0) for code, _label in GroupMember.ROLES], full=full),
                strict=True,
            )
        ],
        "conveners": len(conveners),
        "women_conveners_share": round(100 * women / len(conveners)) if conveners else None,
    }


def appraisal_participants(appraisal: Appraisal, *, full: bool) -> list[Breakdown]:
    groups = (
        (_("By sex"), ("participants_female", "participants_male", "participants_other_sex")),
        (_("By age group"), ("participants_youth", "participants_adult", "participants_older")),
        (_("By disability"), ("participants_disability",)),
    )
    out = []
    for title, names in groups:
        counts = protect_counts([getattr(appraisal, n) for n in names], full=full)
        labels = [Appraisal._meta.get_field(n).verbose_name for n in names]
        out.append(Breakdown(title, list(zip(labels, counts, strict=True))))
    return out


# --- what the public sees ---------------------------------------------------------------------------


def public_groups(city: City) -> QuerySet[WorkingGroup]:
    return WorkingGroup.objects.filter(city=city, is_public=True).prefetch_related("areas")


def public_appraisals(city: City) -> QuerySet[Appraisal]:
    return Appraisal.objects.filter(city=city, status=Appraisal.FINAL, group__is_public=True).select_related(
        "group", "area"
    )


def public_actions(city: City) -> QuerySet[Action]:
    return Action.objects.filter(city=city, is_public=True).select_related("area").prefetch_related("indicators")


def get_or_404(queryset: QuerySet, **lookup: Any) -> Any:
    found = queryset.filter(**lookup).first()
    if found is None:
        raise Http404("not found")
    return found


@dataclass(frozen=True)
class PointCells:
    features: list[dict[str, Any]]
    withheld: int
    category_counts: list[tuple[Any, Count]]


def mapping_cells(points: list[MappingPoint]) -> PointCells:
    """Points of concern as published: snapped to h3 cells and rolled up (analytics.disclosure)."""
    general = [p for p in points if p.category not in MappingPoint.SENSITIVE]
    sensitive = [p for p in points if p.category in MappingPoint.SENSITIVE]
    features: list[dict[str, Any]] = []
    withheld = 0
    for subset, resolution, k in (
        (general, disclosure.DEFAULT_RESOLUTION, disclosure.DEFAULT_THRESHOLD),
        (sensitive, disclosure.SENSITIVE_RESOLUTION, disclosure.SENSITIVE_THRESHOLD),
    ):
        if not subset:
            continue
        masked = disclosure.mask_points(
            [p.lat for p in subset], [p.lon for p in subset], resolution=resolution, threshold=k
        )
        features += masked.as_features()
        withheld += masked.withheld
    tally = Counter(p.category for p in points)
    labels = dict(MappingPoint.CATEGORIES)
    codes = [code for code, _label in MappingPoint.CATEGORIES if tally.get(code)]
    counts = protect_counts([tally[c] for c in codes], full=False)
    return PointCells(features, withheld, [(labels[c], n) for c, n in zip(codes, counts, strict=True)])


# --- actions: indicator before and after, and the accountability dashboard ----------------------------


@dataclass(frozen=True)
class Movement:
    indicator: Indicator
    area_name: str
    before: tuple[str, float | None] | None  # (period, value or None when withheld)
    after: tuple[str, float | None] | None
    series: list[tuple[str, float]]


def _publish(indicator: Indicator, obs: Observation, k: int, full: bool) -> float | None:
    if full:
        return obs.value
    if indicator.aggregation == "sum" and 0 < obs.value < k:
        return None
    if obs.numerator is not None and 0 < obs.numerator < k:
        return None
    return obs.value


def movements(action: Action, *, full: bool) -> list[Movement]:
    """Each linked indicator in the action's area (or the whole city's area rows): at start and latest."""
    out = []
    sensitive = sensitive_categories(action.city)
    indicators = action.indicators.all() if full else action.indicators.filter(is_public=True)
    for indicator in indicators.select_related("dimension"):
        rows = Observation.objects.filter(indicator=indicator, sex="", age_group="", disability="")
        if action.area_id:
            rows = rows.filter(area_id=action.area_id)
        rows = list(rows.select_related("area").order_by("period_start", "area__code"))
        k = threshold_for(indicator, sensitive)
        # Without an area the rows span every area: no single series to draw.
        series = [(o.period, _publish(indicator, o, k, full)) for o in rows] if action.area_id else []
        before_rows = [o for o in rows if o.period_start <= action.start_date]
        before = before_rows[-1] if before_rows else None
        after = rows[-1] if rows else None
        out.append(
            Movement(
                indicator=indicator,
                area_name=action.area.name if action.area_id else "",
                before=(before.period, _publish(indicator, before, k, full)) if before and action.area_id else None,
                after=(after.period, _publish(indicator, after, k, full)) if after and action.area_id else None,
                series=[(p, v) for p, v in series if v is not None],
            )
        )
    return out


@dataclass
class Tally:
    label: str
    total: int = 0
    done: int = 0
    overdue: int = 0
    dropped: int = 0

    @property
    def rate(self) -> int | None:
        counted = self.total - self.dropped
        return round(100 * self.done / counted) if counted else None


def dashboard(city: City, today: date) -> dict[str, Any]:
    """Overdue actions, completion rate, and both by area and by dimension (public actions only)."""
    actions = list(public_actions(city).prefetch_related("indicators__dimension"))
    overall = Tally(str(_("All actions")))
    by_area: dict[str, Tally] = {}
    by_dimension: dict[str, Tally] = {}
    for action in actions:
        buckets = [overall]
        area_key = action.area.name if action.area_id else str(_("Whole city"))
        buckets.append(by_area.setdefault(area_key, Tally(area_key)))
        dims = {i.dimension.translated("name") for i in action.indicators.all()} or {str(_("No indicator linked"))}
        buckets += [by_dimension.setdefault(d, Tally(d)) for d in sorted(dims)]
        for tally in buckets:
            tally.total += 1
            tally.done += action.status == Action.DONE
            tally.dropped += action.status == Action.DROPPED
            tally.overdue += action.is_overdue(today)
    overdue = [a for a in actions if a.is_overdue(today)]
    return {
        "overall": overall,
        "overdue": sorted(overdue, key=lambda a: a.due_date),
        "by_area": sorted(by_area.values(), key=lambda t: t.label),
        "by_dimension": sorted(by_dimension.values(), key=lambda t: t.label),
        "actions": actions,
        "by_status": Counter(a.status for a in actions),
    }


def group_of_user(city: City, user: Any) -> QuerySet[WorkingGroup]:
    """Groups in which the user is a member (the ones whose appraisals they may record)."""
    if not getattr(user, "is_authenticated", False):
        return WorkingGroup.objects.none()
    return WorkingGroup.objects.filter(Q(city=city) & Q(members__user=user)).distinct()
