"""``recommendations-answered`` from the working groups' own records: known answers, quarter boundaries
(in the city's time zone), other sources never overwritten, and recomputation when the chain changes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from safercities.community import accountability, actions
from safercities.community.models import Action, Meeting, Recommendation
from safercities.indicators.models import Indicator, Observation
from safercities.places.models import Area

pytestmark = pytest.mark.django_db

Q1_2025 = date(2025, 3, 31)


def _at(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def _recommend(city, walk, made: datetime, *, meeting=None) -> Recommendation:
    rec = Recommendation.objects.create(city=city, appraisal=None if meeting else walk, meeting=meeting, text="Do X")
    Recommendation.objects.filter(pk=rec.pk).update(created_at=made)
    return rec


def _answer(city, rec: Recommendation | None, recorded: datetime, title: str = "Act") -> Action:
    action = Action.objects.create(
        city=city,
        recommendation=rec,
        title=title,
        owner_department="Works",
        start_date=date(2025, 1, 1),
        due_date=date(2025, 12, 31),
    )
    Action.objects.filter(pk=action.pk).update(created_at=recorded)
    return action


def _cell(area: Area, period: str) -> Observation:
    return Observation.objects.get(indicator__code=accountability.CODE, area=area, period=period)


def _whole(city) -> Area:
    return Area.objects.get(city=city, code="C")


def test_three_of_four_answered_is_75_percent_for_the_city_and_the_walks_area(city, walk):
    recs = [_recommend(city, walk, _at(2025, 1, day)) for day in (5, 6, 7, 8)]
    for rec in recs[:3]:
        _answer(city, rec, _at(2025, 2, 1))
    _answer(city, recs[0], _at(2025, 2, 2), title="A second action answers nothing new")
    result = accountability.recompute(city, today=date(2025, 3, 15))
    for area in (_whole(city), walk.area):
        obs = _cell(area, "2025Q1")
        assert (obs.value, obs.numerator, obs.denominator) == (75.0, 3.0, 4.0)
        assert obs.quality == Observation.COMMUNITY and obs.source.startswith(accountability.SOURCE)
        assert "3 of 4" in obs.source and (obs.period_start, obs.period_end) == (date(2025, 1, 1), Q1_2025)
    assert result.written == 2 and result.changed


def test_quarter_boundaries_use_the_last_day_of_the_quarter_in_the_citys_time_zone(city, walk):
    # Testville is UTC-6: 1 April 03:00 UTC is still 31 March there, so the recommendation is Q1's.
    late = _recommend(city, walk, _at(2025, 4, 1, hour=3))
    # Answered on 1 April 07:00 UTC = 1 April 01:00 local: a Q2 response, not a Q1 one.
    _answer(city, late, _at(2025, 4, 1, hour=7))
    _recommend(city, walk, _at(2025, 4, 1, hour=7))  # made in Q2: not in Q1's denominator
    accountability.recompute(city, today=date(2025, 5, 1))
    q1, q2 = _cell(walk.area, "2025Q1"), _cell(walk.area, "2025Q2")
    assert (q1.numerator, q1.denominator, q1.value) == (0.0, 1.0, 0.0)
    assert (q2.numerator, q2.denominator, q2.value) == (1.0, 2.0, 50.0)
    assert not Observation.objects.filter(indicator__code=accountability.CODE, period="2025Q3").exists()


def test_the_share_is_cumulative_and_carried_through_quiet_quarters_to_the_current_one(city, walk):
    rec = _recommend(city, walk, _at(2024, 11, 20))
    _answer(city, rec, _at(2025, 2, 10))
    accountability.recompute(city, today=date(2025, 8, 1))
    values = dict(
        Observation.objects.filter(indicator__code=accountability.CODE, area=walk.area).values_list("period", "value")
    )
    assert values == {"2024Q4": 0.0, "2025Q1": 100.0, "2025Q2": 100.0, "2025Q3": 100.0}


def test_a_response_recorded_before_the_recommendation_counts_from_the_recommendations_day(city, walk):
    action = _answer(city, None, _at(2024, 12, 1))  # an existing action, linked to a later recommendation
    rec = _recommend(city, walk, _at(2025, 2, 1))
    Action.objects.filter(pk=action.pk).update(recommendation=rec)
    accountability.recompute(city, today=date(2025, 3, 1))
    assert list(
        Observation.objects.filter(indicator__code=accountability.CODE, area=walk.area).values_list("period", "value")
    ) == [("2025Q1", 100.0)]


def test_a_meeting_recommendation_counts_for_the_city_only(city, walk, group):
    meeting = Meeting.objects.create(group=group, date=date(2025, 1, 10))
    _answer(city, _recommend(city, walk, _at(2025, 1, 5)), _at(2025, 1, 6))
    _recommend(city, walk, _at(2025, 1, 12), meeting=meeting)
    accountability.recompute(city, today=Q1_2025)
    assert (_cell(_whole(city), "2025Q1").value, _cell(walk.area, "2025Q1").value) == (50.0, 100.0)


def test_a_value_from_another_source_is_never_overwritten_nor_deleted(city, walk):
    whole = _whole(city)
    indicator = Indicator.objects.get(city=city, code=accountability.CODE)
    official = Observation.objects.create(
        city=city,
        indicator=indicator,
        area=whole,
        period="2025Q1",
        period_type="quarter",
        period_start=date(2025, 1, 1),
        period_end=Q1_2025,
        value=12.5,
        quality=Observation.OFFICIAL,
        source="Mayor's office register",
    )
    _answer(city, _recommend(city, walk, _at(2025, 1, 5)), _at(2025, 1, 6))
    for _ in range(2):  # twice: a recompute neither overwrites it nor deletes it
        result = accountability.recompute(city, today=Q1_2025)
        official.refresh_from_db()
        assert (official.value, official.source, official.quality) == (12.5, "Mayor's office register", "official")
        assert result.kept_other_source == 1
    assert _cell(walk.area, "2025Q1").value == 100.0  # the cell nobody else holds is still written


def test_adding_an_action_through_the_verbs_recomputes_at_once(city, walk, ana):
    rec = actions.do_create_recommendation(city=city, user=ana, data={"appraisal": walk, "text": "Light it"})
    period = accountability.quarter_of(rec.created_at.astimezone(accountability._zone(city)).date()).code
    assert (_cell(walk.area, period).value, _cell(walk.area, period).denominator) == (0.0, 1.0)
    data = {
        "title": "Lights",
        "recommendation": rec,
        "owner_department": "Works",
        "start_date": date(2025, 1, 1),
        "due_date": date(2025, 2, 1),
        "status": Action.DROPPED,  # a refusal with reasons is a response too
    }
    action = actions.do_save_action(city=city, user=ana, data=data)
    assert (_cell(walk.area, period).value, _cell(walk.area, period).numerator) == (100.0, 1.0)
    actions.do_save_action(city=city, user=ana, data={"recommendation": None}, action=action)  # unlinked again
    assert _cell(walk.area, period).value == 0.0


def test_rows_of_recommendations_that_are_gone_are_removed_and_a_rerun_changes_nothing(city, walk):
    rec = _recommend(city, walk, _at(2025, 1, 5))
    assert accountability.recompute(city, today=Q1_2025).written == 2
    again = accountability.recompute(city, today=Q1_2025)
    assert (again.written, again.unchanged, again.changed) == (0, 2, False)
    rec.delete()
    assert accountability.recompute(city, today=Q1_2025).removed == 2
    assert not Observation.objects.filter(indicator__code=accountability.CODE).exists()


def test_another_citys_recommendations_do_not_count_and_a_removed_indicator_is_not_recreated(city, walk, other_city):
    Recommendation.objects.create(city=other_city, text="Elsewhere")
    _answer(city, _recommend(city, walk, _at(2025, 1, 5)), _at(2025, 1, 6))
    accountability.recompute(city, today=Q1_2025)
    assert _cell(_whole(city), "2025Q1").denominator == 1.0
    Indicator.objects.filter(city=city, code=accountability.CODE).delete()
    result = accountability.recompute(city, today=Q1_2025)
    assert result.missing_indicator and not Indicator.objects.filter(city=city, code=accountability.CODE).exists()


@pytest.mark.parametrize(
    ("history", "end", "expected"),
    [
        ([], Q1_2025, (0, 0)),
        ([(Q1_2025, Q1_2025)], Q1_2025, (1, 1)),  # both days inclusive
        ([(Q1_2025, date(2025, 4, 1))], Q1_2025, (1, 0)),
        ([(date(2025, 4, 1), date(2025, 4, 1))], Q1_2025, (0, 0)),  # made after the end: not counted at all
    ],
)
def test_tally_counts_up_to_and_including_the_end(history, end, expected):
    counts = accountability.tally(history, end)
    assert (counts.made, counts.answered) == expected
    assert counts.percent is None if not counts.made else 0 <= counts.percent <= 100


def test_quarters_run_across_a_year_end():
    codes = [p.code for p in accountability.quarters(date(2024, 11, 30), date(2025, 4, 1))]
    assert codes == ["2024Q4", "2025Q1", "2025Q2"]
