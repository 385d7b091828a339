"""The demo city's working groups and actions: called by ``safercities demo`` after the data and users are loaded.

Two groups, one finalised women's safety audit walk of eight locations in N061 (its ratings become
``audit-poor-*`` observations for 2025Q4), a community safety mapping, a focus group, and six actions
in every status — two of them overdue — linked to indicators. Idempotent: once the first group
exists, a re-run changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from safercities.community import actions
from safercities.community.models import (
    Action,
    ActionUpdate,
    Appraisal,
    Finding,
    GroupMember,
    MappingPoint,
    Meeting,
    Recommendation,
    WorkingGroup,
)
from safercities.indicators.models import Indicator
from safercities.places.models import Area, City

FIRST_GROUP = "Women's safety working group — Centro"
# (description, lighting, openness, visibility, people, security, walk path, transport, gender usage, feeling)
ROUTE = [
    ("Bus stop on the main avenue", 1, 2, 2, 3, 1, 2, 3, 2, 2),
    ("Underpass to the market", 1, 1, 1, 2, 1, 1, 2, 1, 1),
    ("Market entrance", 2, 3, 3, 3, 2, 2, 3, 3, 3),
    ("School corner", 3, 3, 2, 2, 2, 3, 2, 3, 3),
    ("Footpath beside the canal", 1, 1, 1, 1, 1, 1, 1, 1, 1),
    ("Park entrance", 2, 2, 2, 2, 1, 2, 2, 2, 2),
    ("Vacant lot on the side street", 1, 2, 1, 1, 1, 1, 1, 1, 1),
    ("Health centre", 3, 3, 3, 3, 3, 3, 3, 3, 3),
]
PARAMETER_FIELDS = (
    "lighting",
    "openness",
    "visibility",
    "people",
    "security",
    "walk_path",
    "transport",
    "gender_usage",
    "feeling",
)


def _member(group: WorkingGroup, name: str, role: str, sex: str, age: str, disability: str = "no", user=None) -> None:  # noqa: ANN001
    GroupMember.objects.create(
        group=group, name=name, role=role, sex=sex, age_group=age, disability=disability, user=user
    )


def build(city: City, *, say: Callable[[str], None]) -> None:
    """Create this app's demo records; a re-run changes nothing."""
    if WorkingGroup.objects.filter(city=city, name=FIRST_GROUP).exists():
        say("Working groups: already in place.")
        return
    areas = {a.code: a for a in Area.objects.filter(city=city, code__in=["N061", "N062", "N010", "N011"])}
    if "N061" not in areas or "N010" not in areas:
        say("Working groups: skipped (the demo areas N061 and N010 are missing).")
        return
    monitor = get_user_model().objects.filter(username="demo-monitor").first()
    with transaction.atomic():
        centro = WorkingGroup.objects.create(
            city=city,
            name=FIRST_GROUP,
            mandate="Map where women and girls feel unsafe in Centro, walk the routes with officials, and follow "
            "the city's answer until the places are safe.",
        )
        centro.areas.set([areas[c] for c in ("N061", "N062") if c in areas])
        _member(centro, "Demo monitor", "convener", "female", "25-59", user=monitor)
        _member(centro, "María L.", "convener", "female", "25-59")
        _member(centro, "Jorge P.", "convener", "male", "60+")
        for i, (sex, age, disability) in enumerate(
            [
                ("female", "15-24", "no"),
                ("female", "15-24", "no"),
                ("female", "25-59", "yes"),
                ("male", "15-24", "no"),
                ("female", "60+", "no"),
                ("female", "25-59", "no"),
                ("male", "25-59", "no"),
            ],
            start=1,
        ):
            _member(centro, f"Participant {i}", "member", sex, age, disability)
        _member(centro, "Public works liaison", "liaison", "male", "25-59")
        youth = WorkingGroup.objects.create(
            city=city,
            name="Youth safety working group — Norte",
            mandate="Young people of Norte appraise the routes to school and sports grounds.",
        )
        youth.areas.set([areas[c] for c in ("N010", "N011") if c in areas])
        for i, (sex, age) in enumerate(
            [("female", "15-24"), ("male", "15-24"), ("male", "15-24"), ("female", "15-24")]
        ):
            _member(youth, f"Youth member {i + 1}", "convener" if i == 0 else "member", sex, age)
        meeting = Meeting.objects.create(
            group=centro,
            date=date(2025, 11, 20),
            minutes="Reviewed the audit walk of 12 November with the public works liaison.",
            decisions="Ask public works to repair the lights of the underpass and the canal footpath.",
        )

        walk = Appraisal.objects.create(
            city=city,
            group=centro,
            kind=Appraisal.AUDIT_WALK,
            title="Night audit walk, Centro market route",
            area=areas["N061"],
            date=date(2025, 11, 12),
            summary="Eleven residents walked from the bus stop to the health centre after dark.",
            participants_female=8,
            participants_male=3,
            participants_youth=3,
            participants_adult=6,
            participants_older=2,
            participants_disability=1,
        )
        lat0 = areas["N061"].centroid_lat or 19.0
        lon0 = areas["N061"].centroid_lon or -98.2
        for i, (description, *ratings) in enumerate(ROUTE):
            actions.do_add_location(
                appraisal=walk,
                user=None,
                data={
                    "description": description,
                    "lat": round(lat0 + 0.0006 * (i - 4), 6),
                    "lon": round(lon0 + 0.0004 * (i % 3 - 1), 6),
                    **dict(zip(PARAMETER_FIELDS, ratings, strict=True)),
                },
            )
        Finding.objects.create(
            appraisal=walk, theme="infrastructure", text="Four of eight places have broken or no street lights."
        )
        actions.do_finalise(appraisal=walk, user=None, queue_compute=False)

        mapping = Appraisal.objects.create(
            city=city,
            group=youth,
            kind=Appraisal.SAFETY_MAPPING,
            title="Safety map of the routes to school",
            area=areas["N010"],
            date=date(2025, 10, 4),
            participants_female=6,
            participants_male=7,
            participants_youth=13,
        )
        lat1, lon1 = areas["N010"].centroid_lat or 19.0, areas["N010"].centroid_lon or -98.2
        for i in range(14):
            category = ("dark_spot", "isolated", "traffic", "harassment")[i % 4]
            MappingPoint.objects.create(
                appraisal=mapping, category=category, lat=lat1 + 0.0003 * (i % 5), lon=lon1 + 0.0003 * (i // 5)
            )
        actions.do_finalise(appraisal=mapping, user=None, queue_compute=False)

        focus = Appraisal.objects.create(
            city=city,
            group=youth,
            kind=Appraisal.FOCUS_GROUP,
            title="Focus group: getting home after evening classes",
            area=areas["N010"],
            date=date(2025, 9, 18),
            participants_female=5,
            participants_male=4,
            participants_youth=9,
        )
        Finding.objects.create(appraisal=focus, theme="youth", text="Buses stop running before evening classes end.")
        Finding.objects.create(
            appraisal=focus, theme="violence_women", text="Girls avoid the canal path because of harassment."
        )
        actions.do_finalise(appraisal=focus, user=None, queue_compute=False)

        lights = Recommendation.objects.create(
            city=city, appraisal=walk, text="Repair the street lights along the market route and the canal footpath."
        )
        transport = Recommendation.objects.create(
            city=city, appraisal=focus, text="Extend the evening bus service until classes end."
        )
        patrol = Recommendation.objects.create(
            city=city, meeting=meeting, text="Community patrols with the police on market days."
        )
        indicator = {i.code: i for i in Indicator.objects.filter(city=city)}

        def link(*codes: str) -> list[Indicator]:
            return [indicator[c] for c in codes if c in indicator]

        plans = [
            (
                "Repair the underpass lights",
                lights,
                "Public works",
                "N061",
                45000,
                (2025, 3, 1),
                (2025, 6, 30),
                Action.DONE,
                link("audit-poor-lighting", "feel-safe-after-dark"),
            ),
            (
                "Light the canal footpath",
                lights,
                "Public works",
                "N061",
                120000,
                (2025, 4, 1),
                (2025, 9, 30),
                Action.IN_PROGRESS,
                link("audit-poor-lighting", "audit-poor-visibility"),
            ),
            (
                "Clear and fence the vacant lot",
                lights,
                "Urban development",
                "N061",
                30000,
                (2025, 5, 1),
                (2025, 8, 31),
                Action.PLANNED,
                link("audit-poor-visibility"),
            ),
            (
                "Evening bus service to 22:00",
                transport,
                "Transport department",
                "N010",
                250000,
                (2025, 10, 1),
                (2026, 9, 30),
                Action.IN_PROGRESS,
                link("public-transport-access", "feel-safe-after-dark"),
            ),
            (
                "Market-day community patrols",
                patrol,
                "Police liaison office",
                "N062",
                None,
                (2025, 12, 1),
                (2026, 12, 31),
                Action.PLANNED,
                link("violence-victimisation"),
            ),
            (
                "Safety signage at the school corner",
                lights,
                "Education department",
                "N061",
                5000,
                (2025, 2, 1),
                (2025, 4, 30),
                Action.DROPPED,
                [],
            ),
        ]
        for title, recommendation, owner, code, budget, start, due, status, linked in plans:
            action = actions.do_save_action(
                city=city,
                user=None,
                queue_compute=False,
                data={
                    "title": title,
                    "recommendation": recommendation,
                    "owner_department": owner,
                    "area": areas.get(code),
                    "budget": Decimal(budget) if budget is not None else None,
                    "start_date": date(*start),
                    "due_date": date(*due),
                    "status": status,
                    "indicators": linked,
                },
            )
            if status == Action.DONE:
                action.completed_on = date(2025, 6, 20)
                action.save(update_fields=["completed_on"])
            if status != Action.PLANNED:
                ActionUpdate.objects.create(
                    action=action,
                    date=date(*start),
                    text="Work began: the contractor is on site.",
                    status=Action.IN_PROGRESS,
                )
    say("Working groups: 2 groups, 3 appraisals (one audit walk → audit-poor-* observations), 6 actions.")
