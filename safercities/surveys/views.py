"""Public questionnaire pages and the staff pages of the perception surveys."""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safercities.ingest.cells import csv_writer, safe_row
from safercities.portal.queries import visible_city
from safercities.surveys import actions, analysis, throttle
from safercities.surveys.forms import GROUP_LABELS, PLACE_LABELS, RoundForm, SurveyForm
from safercities.surveys.models import SurveyRound
from safercities.workspace.access import city_role

SESSION_KEY = "surveys_answered"


def _answered(request: HttpRequest, survey: SurveyRound) -> bool:
    return survey.pk in request.session.get(SESSION_KEY, [])


def _message(request: HttpRequest, city, survey, title: str, text: str, status: int = 200) -> HttpResponse:
    context = {"city": city, "survey": survey, "title": title, "text": text}
    return render(request, "surveys/message.html", context, status=status)


def city_surveys(request: HttpRequest, city: str) -> HttpResponse:
    place = visible_city(request.user, city)
    rounds = SurveyRound.objects.filter(city=place, is_open=True)
    return render(request, "surveys/city.html", {"city": place, "rounds": rounds})


def take(request: HttpRequest, city: str, pk: int) -> HttpResponse:
    place = visible_city(request.user, city)
    survey = get_object_or_404(SurveyRound, pk=pk, city=place)
    if not survey.is_open:
        return _message(request, place, survey, _("This survey is closed"), _("Thank you for your interest."))
    if _answered(request, survey):
        return _message(
            request, place, survey, _("You have already answered"), _("Each browser answers a survey round once.")
        )
    form = SurveyForm(request.POST if request.method == "POST" else None, survey=survey)
    if request.method == "POST" and form.is_valid():
        # Only complete answer sheets use the budget: a resident correcting mistakes is not throttled.
        if not throttle.allow(request):
            return _message(
                request,
                place,
                survey,
                _("Too many answers from your connection"),
                _("Please try again in an hour."),
                status=429,
            )
        if not form.is_bot:
            try:
                with transaction.atomic():
                    actions.submit_response(survey=survey, answers=form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
        if not form.errors:
            request.session[SESSION_KEY] = [*request.session.get(SESSION_KEY, []), survey.pk][-50:]
            return redirect("surveys:thanks", city=place.slug, pk=survey.pk)
    return render(request, "surveys/take.html", {"city": place, "survey": survey, "form": form})


def thanks(request: HttpRequest, city: str, pk: int) -> HttpResponse:
    place = visible_city(request.user, city)
    survey = get_object_or_404(SurveyRound, pk=pk, city=place)
    return _message(
        request,
        place,
        survey,
        _("Thank you"),
        _("Your answers were recorded anonymously. They count towards the city's perception indicators."),
    )


# --- staff ---------------------------------------------------------------------------------------


@city_role("analyst")
def rounds(request: HttpRequest, city) -> HttpResponse:
    form = RoundForm(request.POST if request.method == "POST" else None, city=city)
    if request.method == "POST" and form.is_valid():
        try:
            survey = actions.create_round(city=city, user=request.user, request=request, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Survey round opened."))
            return redirect("surveys:results", city=city.slug, pk=survey.pk)
    items = SurveyRound.objects.filter(city=city)
    return render(request, "surveys/rounds.html", {"city": city, "rounds": items, "form": form})


def _table(survey: SurveyRound) -> list[dict]:
    """Rows (area) × columns (group) per indicator, for the staff page."""
    cells = analysis.results(survey)
    columns = [("", "")] + [(d, g) for d, (_codes, published) in analysis.DIMENSIONS.items() for g in published]
    out = []
    for code in analysis.INDICATORS:
        mine = [c for c in cells if c.indicator == code]
        by_key = {(c.area.pk if c.area else None, c.dimension, c.group): c for c in mine}
        areas = []
        for c in mine:
            if c.area is not None and c.area not in areas:
                areas.append(c.area)
        rows = [
            {"area": area, "cells": [by_key.get((area.pk if area else None, d, g)) for d, g in columns]}
            for area in [None, *sorted(areas, key=lambda a: a.code)]
        ]
        out.append({"code": code, "rows": rows})
    return out


@city_role("analyst")
def results(request: HttpRequest, city, pk: int) -> HttpResponse:
    survey = get_object_or_404(SurveyRound, pk=pk, city=city)
    columns = [GROUP_LABELS[""]] + [
        GROUP_LABELS[g] for _d, (_codes, published) in analysis.DIMENSIONS.items() for g in published
    ]
    context = {
        "city": city,
        "survey": survey,
        "tables": _table(survey),
        "columns": columns,
        "responses": survey.responses.count(),
        "places": [(PLACE_LABELS.get(p, p), n) for p, n in analysis.places_avoided(survey)],
        "avoided_areas": analysis.areas_avoided(survey),
    }
    return render(request, "surveys/results.html", context)


CSV_COLUMNS = [
    ("indicator", "#indicator+code"),
    ("area", "#adm+code"),
    ("area_name", "#adm+name"),
    ("period", "#date+period"),
    ("sex", "#meta+sex"),
    ("age_group", "#meta+age"),
    ("disability", "#meta+disability"),
    ("respondents", "#indicator+num+denominator"),
    ("numerator", "#indicator+num+numerator"),
    ("value", "#indicator+value+num"),
    ("ci_low", "#indicator+value+low"),
    ("ci_high", "#indicator+value+high"),
    ("withheld", "#meta+withheld"),
]


@city_role("analyst")
def results_csv(request: HttpRequest, city, pk: int) -> HttpResponse:
    survey = get_object_or_404(SurveyRound, pk=pk, city=city)
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow([name for name, _tag in CSV_COLUMNS])
    writer.writerow([tag for _name, tag in CSV_COLUMNS])
    for cell in analysis.results(survey):
        groups = {"sex": "", "age_group": "", "disability": ""}
        if cell.dimension:
            groups[cell.dimension] = cell.group
        lo, hi = cell.percent_interval
        # Every cell through the spreadsheet guard: names and codes are typed by staff.
        writer.writerow(
            safe_row(
                [
                    cell.indicator,
                    cell.area.code if cell.area else "",
                    cell.area.name if cell.area else _("All areas"),
                    survey.period,
                    groups["sex"],
                    groups["age_group"],
                    groups["disability"],
                    "" if cell.withheld else cell.respondents,
                    "" if cell.withheld else cell.yes,
                    "" if cell.percent is None else cell.percent,
                    "" if lo is None else lo,
                    "" if hi is None else hi,
                    "true" if cell.withheld else "false",
                ]
            )
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="survey-{city.slug}-{survey.period}.csv"'
    return response


@city_role("analyst")
@require_POST
def compute(request: HttpRequest, city, pk: int) -> HttpResponse:
    survey = get_object_or_404(SurveyRound, pk=pk, city=city)
    result = actions.compute_observations(survey=survey, user=request.user, request=request)
    messages.success(
        request,
        _("Observations written: %(written)s; withheld: %(withheld)s; kept from other sources: %(kept)s.")
        % {"written": result.written, "withheld": result.withheld, "kept": result.kept_other_source},
    )
    return redirect("surveys:results", city=city.slug, pk=survey.pk)


@city_role("analyst")
@require_POST
def toggle(request: HttpRequest, city, pk: int) -> HttpResponse:
    survey = get_object_or_404(SurveyRound, pk=pk, city=city)
    actions.set_round_open(survey=survey, is_open=not survey.is_open, user=request.user, request=request)
    return redirect("surveys:results", city=city.slug, pk=survey.pk)
