"""Perception surveys: the questionnaire, its protections, the estimator and the observations."""

from __future__ import annotations

import csv
import io
from datetime import date

import numpy as np
import pytest
from django.core.cache import cache
from django.test import Client

from safercities.indicators.models import Indicator, Observation
from safercities.places.models import Area
from safercities.surveys import actions, analysis, estimates
from safercities.surveys.models import SurveyResponse, SurveyRound

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_budget():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def small(city):
    from safercities.portal.tests.factories import build_small_city

    return build_small_city(city)


@pytest.fixture
def survey(city, small):
    return actions.create_round(city=city, title="Round one", period="2026-q1", area_level="neighbourhood")


def answers(where: Area, **extra) -> dict:
    data = {
        "area": where.pk,
        "avoided_area": "",
        "day_feeling": "safe",
        "night_feeling": "unsafe",
        "places_avoided": ["parks", "markets"],
        "harassment": "no",
        "sex": "female",
        "age_group": "15-29",
        "disability": "without_disability",
        "website": "",
    }
    data.update(extra)
    return data


def url(survey: SurveyRound, lang: str = "en") -> str:
    return f"/{lang}/surveys/{survey.city.slug}/{survey.pk}/"


def add(survey: SurveyRound, area: Area, n: int, **fields) -> None:
    base = {
        "day_feeling": "safe",
        "night_feeling": "safe",
        "harassment": "no",
        "sex": "male",
        "age_group": "30-59",
        "disability": "without_disability",
    }
    base.update(fields)
    SurveyResponse.objects.bulk_create(
        [
            SurveyResponse(city=survey.city, round=survey, area=area, submitted_on=date(2026, 2, 1), **base)
            for _ in range(n)
        ]
    )


# --- the estimator ---------------------------------------------------------------------------------


def test_wilson_interval_matches_published_values():
    # Reference: Newcombe (1998), Statistics in Medicine 17, 857-872, Table I: 81/263 → 0.2553–0.3662
    lo, hi = estimates.wilson_interval(81, 263)
    assert (round(lo, 4), round(hi, 4)) == (0.2553, 0.3662)
    # Reference: statsmodels.stats.proportion.proportion_confint(0, 10, method="wilson")
    assert estimates.wilson_interval(0, 10) == pytest.approx((0.0, 0.27753279986288926))
    assert estimates.wilson_interval(10, 10)[1] == pytest.approx(1.0)
    with pytest.raises(ValueError):
        estimates.wilson_interval(11, 10)


def _no_line_with_one_hidden(table: np.ndarray, mask: np.ndarray) -> bool:
    for line, hidden in [*zip(table, mask, strict=True), *zip(table.T, mask.T, strict=True)]:
        if (hidden & (line > 0)).sum() == 1 and (line > 0).sum() > 1:
            return False
    return True


def test_suppress_table_protects_every_line_and_forced_rows():
    rng = np.random.default_rng(7)
    for _ in range(200):
        table = rng.integers(0, 12, size=(rng.integers(2, 6), rng.integers(2, 5))).astype(float)
        forced = rng.random(table.shape[0]) < 0.2
        mask = estimates.suppress_table(table, 5, hidden_rows=forced)
        assert not np.any((table > 0) & (table < 5) & ~mask)  # every small cell is withheld
        assert np.all(mask[forced] | (table[forced] == 0))
        assert _no_line_with_one_hidden(table, mask)


# --- the questionnaire -----------------------------------------------------------------------------


def test_an_anonymous_answer_is_stored_without_anything_that_identifies_the_respondent(client, survey, small):
    area = Area.objects.get(city=survey.city, code="A2")
    response = client.post(url(survey), answers(area), REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 302 and response["Location"].endswith(f"/{survey.pk}/thanks/")
    row = SurveyResponse.objects.get()
    assert (row.area, row.night_feeling, row.places_avoided) == (area, "unsafe", ["markets", "parks"])
    stored = repr(SurveyResponse.objects.values().get())
    assert "203.0.113.7" not in stored and "user" not in stored
    assert "203.0.113.7" not in repr(cache._cache)  # type: ignore[attr-defined]
    # One submission per browser session per round.
    again = client.post(url(survey), answers(area))
    assert again.status_code == 200 and b"already answered" in again.content
    assert SurveyResponse.objects.count() == 1
    assert client.get(url(survey)).status_code == 200


def test_the_honeypot_thanks_a_bot_and_stores_nothing(client, survey, small):
    area = Area.objects.get(city=survey.city, code="A1")
    response = client.post(url(survey), answers(area, website="http://spam.example"))
    assert response.status_code == 302
    assert not SurveyResponse.objects.exists()


@pytest.mark.parametrize(
    "bad",
    [
        {"night_feeling": "extremely_safe"},
        {"night_feeling": ["safe", "bogus"]},
        {"area": "not-a-number"},
        {"area": "999999"},
        {"places_avoided": ["parks", "'; DROP TABLE surveys_surveyresponse; --"]},
        {"sex": "\x00"},
        {"age_group": "x" * 10000},
        {"harassment": ""},
        {"avoided_area": "-1"},
    ],
)
def test_hostile_answers_are_refused_naming_the_question(client, survey, small, bad):
    area = Area.objects.get(city=survey.city, code="A1")
    response = client.post(url(survey), answers(area, **bad))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert set(response.context["form"].errors) <= set(answers(area)) | {"__all__"}
    assert not SurveyResponse.objects.exists()


def test_an_area_of_another_city_is_refused(client, survey, small, other_city):
    elsewhere = Area.objects.create(city=other_city, code="A1", name="Elsewhere", level="neighbourhood")
    response = client.post(url(survey), answers(elsewhere))
    assert response.status_code == 200 and "area" in response.context["form"].errors
    assert not SurveyResponse.objects.exists()


def test_csrf_is_required(survey, small):
    client = Client(enforce_csrf_checks=True)
    area = Area.objects.get(city=survey.city, code="A1")
    assert client.post(url(survey), answers(area)).status_code == 403
    assert not SurveyResponse.objects.exists()


def test_a_client_over_its_budget_gets_429(survey, small, settings):
    settings.SURVEYS_RATE = "3/h"
    area = Area.objects.get(city=survey.city, code="A1")
    codes = [Client().post(url(survey), answers(area)).status_code for _ in range(4)]
    assert codes == [302, 302, 302, 429]
    assert SurveyResponse.objects.count() == 3


def test_a_closed_round_and_a_private_city(client, survey, small, city, rita):
    actions.set_round_open(survey=survey, is_open=False)
    area = Area.objects.get(city=city, code="A1")
    response = client.post(url(survey), answers(area))
    assert response.status_code == 200 and not SurveyResponse.objects.exists()
    city.is_public = False
    city.save(update_fields=["is_public"])
    assert client.get(url(survey)).status_code == 404
    assert client.get(f"/en/surveys/{city.slug}/").status_code == 404
    member = Client()
    member.force_login(rita)
    assert member.get(f"/en/surveys/{city.slug}/").status_code == 200


def test_a_round_of_another_city_is_404(client, survey, other_city):
    assert client.get(f"/en/surveys/{other_city.slug}/{survey.pk}/").status_code == 404


def test_the_form_is_in_spanish(client, survey, small):
    page = client.get(url(survey, "es")).content.decode()
    assert "después del anochecer" in page and "Prefiero no decirlo" in page


# --- estimates and observations --------------------------------------------------------------------


def test_small_cells_are_withheld_with_a_complementary_cell(survey, small):
    a1, a2, a3 = (Area.objects.get(city=survey.city, code=c) for c in ("A1", "A2", "A3"))
    add(survey, a1, 20, sex="female", night_feeling="unsafe")
    add(survey, a1, 20, sex="male")
    add(survey, a1, 2, sex="prefer_not")  # a small unpublished group: women or men must go too
    add(survey, a2, 30, sex="female")
    add(survey, a2, 30, sex="male")
    add(survey, a3, 3)  # a small area: withheld, and a second area with it (the total is published)
    cells = {(c.indicator, c.area.code if c.area else None, c.dimension, c.group): c for c in analysis.results(survey)}
    night = "feel-safe-after-dark"
    assert cells[(night, "A3", "", "")].withheld
    assert cells[(night, "A1", "", "")].withheld  # the smaller of the others (42 < 60)
    assert not cells[(night, "A2", "", "")].withheld
    assert not cells[(night, None, "", "")].withheld
    assert cells[(night, None, "", "")].respondents == 105
    assert cells[(night, "A2", "age_group", "30-59")].share == 1.0
    assert cells[(night, "A1", "sex", "female")].withheld  # hidden with its whole area
    # City-wide, the 2 "prefer not to say" could be rebuilt from the total minus women and men: the
    # women's column is withheld too, and with it the women of A2 — and then the men of A2 (row total).
    assert cells[(night, None, "sex", "female")].withheld
    assert cells[(night, "A2", "sex", "female")].withheld and cells[(night, "A2", "sex", "male")].withheld
    assert not cells[(night, None, "sex", "male")].withheld
    result = actions.compute_observations(survey=survey)
    assert result.written > 0 and result.withheld > 0
    written = Observation.objects.filter(quality=Observation.COMMUNITY, source=survey.source_label)
    assert not written.filter(area__code__in=["A1", "A3"]).exists()
    top = written.get(indicator__code=night, area__code="C", sex="", age_group="", disability="")
    assert (top.period, top.period_type, top.denominator) == ("2026Q1", "quarter", 105)
    assert top.value == pytest.approx(100 * 85 / 105, abs=1e-3)
    # Harassment: "prefer not to say" is left out of the denominator.
    assert (
        written.get(indicator__code="harassment-victims", area__code="A2", sex="", age_group="", disability="").value
        == 0
    )


def test_recompute_replaces_its_rows_keeps_other_sources_and_is_all_or_nothing(survey, small, monkeypatch):
    a2 = Area.objects.get(city=survey.city, code="A2")
    add(survey, a2, 40, sex="female", age_group="60+", disability="with_disability")
    indicator = Indicator.objects.get(city=survey.city, code="feel-safe-after-dark")
    official = Observation.objects.create(
        city=survey.city,
        indicator=indicator,
        area=a2,
        period="2026Q1",
        period_type="quarter",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 3, 31),
        value=55.0,
    )
    first = actions.compute_observations(survey=survey)
    assert first.kept_other_source == 1
    official.refresh_from_db()
    assert official.value == 55.0 and official.quality == Observation.OFFICIAL
    count = Observation.objects.filter(source=survey.source_label).count()
    second = actions.compute_observations(survey=survey)
    assert second.removed == count == second.written
    add(survey, a2, 10, sex="male")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Observation.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        actions.compute_observations(survey=survey)
    assert Observation.objects.filter(source=survey.source_label).count() == count


def test_staff_page_csv_and_compute_button(client, survey, small, ana):
    a2 = Area.objects.get(city=survey.city, code="A2")
    add(survey, a2, 12, sex="female")
    add(survey, a2, 2, sex="male")
    client.force_login(ana)
    base = f"/en/surveys/{survey.city.slug}/manage/{survey.pk}/"
    page = client.get(base)
    assert page.status_code == 200 and b"SDG 16.1.4" in page.content and b"&lt;5" in page.content
    body = client.get(base + "results.csv").content.decode()
    rows = list(csv.DictReader(io.StringIO(body)))[1:]  # after the HXL row
    male = [r for r in rows if r["sex"] == "male"]
    female = [r for r in rows if r["sex"] == "female" and r["area"] == "A2"]
    assert male and all(r["withheld"] == "true" and r["respondents"] == "" and r["value"] == "" for r in male)
    assert female and female[0]["withheld"] == "true"  # the complementary cell
    response = client.post(base + "compute/")
    assert response.status_code == 302
    survey.refresh_from_db()
    assert survey.computed_at is not None
    from safercities.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="surveys.compute", city=survey.city).exists()


def test_staff_open_a_round_with_validation(client, city, small, ana):
    client.force_login(ana)
    base = f"/en/surveys/{city.slug}/manage/"
    bad = client.post(base, {"title": "x", "period": "2026Q9", "area_level": "neighbourhood", "min_respondents": 5})
    assert bad.status_code == 200 and "period" in bad.context["form"].errors
    ok = client.post(base, {"title": "Round", "period": "2026", "area_level": "neighbourhood", "min_respondents": 5})
    assert ok.status_code == 302
    dup = client.post(base, {"title": "Again", "period": "2026", "area_level": "neighbourhood", "min_respondents": 5})
    assert dup.status_code == 200 and SurveyRound.objects.filter(city=city).count() == 1


def test_demo_builds_300_responses_once(city, small):
    from safercities.surveys import demo

    said: list[str] = []
    demo.build(city, say=said.append)
    survey = SurveyRound.objects.get(city=city)
    assert survey.responses.count() == demo.RESPONSES
    written = Observation.objects.filter(source=survey.source_label).count()
    assert written > 0
    demo.build(city, say=said.append)
    assert SurveyResponse.objects.count() == demo.RESPONSES
    assert Observation.objects.filter(source=survey.source_label).count() == written


def test_the_command_recomputes(city, small, survey):
    from django.core.management import call_command

    add(survey, Area.objects.get(city=city, code="A1"), 10)
    out = io.StringIO()
    call_command("survey_observations", "--city", city.slug, "--period", "2026Q1", "--json", stdout=out)
    assert '"written":' in out.getvalue()


def test_a_sheet_sent_back_with_errors_does_not_use_the_budget(survey, small, settings):
    settings.SURVEYS_RATE = "1/h"
    area = Area.objects.get(city=survey.city, code="A1")
    client = Client()
    assert client.post(url(survey), answers(area, sex="")).status_code == 200
    assert client.post(url(survey), {}).status_code == 200
    assert client.post(url(survey), answers(area)).status_code == 302
    assert Client().post(url(survey), answers(area)).status_code == 429


def test_places_and_areas_avoided_withhold_small_counts(survey, small):
    a1, a2 = (Area.objects.get(city=survey.city, code=c) for c in ("A1", "A2"))
    add(survey, a1, 6, places_avoided=["parks", "markets"], avoided_area=a2)
    add(survey, a1, 2, places_avoided=["streets"], avoided_area=a1)
    assert dict(analysis.places_avoided(survey)) == {"parks": 6, "markets": 6, "streets": None}
    assert [(area.code, n) for area, n in analysis.areas_avoided(survey)] == [("A2", 6), ("A1", None)]
