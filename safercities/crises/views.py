"""Crisis pages: the officials' side (behind ``workspace.access.city_role``) and the public page."""

from __future__ import annotations

import io
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from safercities.analytics import disclosure
from safercities.crises import actions, advisor, checklists, fourw, gaps, recovery
from safercities.crises.forms import ActivityForm, CrisisForm, EndForm, ImportForm, PhaseForm, ScenarioForm, SitrepForm
from safercities.crises.models import REACHED_FIELDS, Activity, ChecklistStatus, Crisis, Phase, Scenario, Sector
from safercities.ingest.cells import csv_writer, safe_row
from safercities.monitoring.models import Alert
from safercities.places.models import City
from safercities.portal import queries
from safercities.workspace.access import city_role, is_city_admin

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD = 20 * 1024 * 1024


def _crisis(city: City, pk: int) -> Crisis:
    if pk >= 2**31:
        raise Http404("no such crisis")
    return get_object_or_404(Crisis.objects.select_related("alert", "indicator"), city=city, pk=pk)


def _home(crisis: Crisis) -> str:
    return reverse("crises:detail", args=[crisis.city.slug, crisis.pk])


# --- list, declare, edit --------------------------------------------------------------------------


@city_role("analyst")
def crisis_list(request: HttpRequest, city: City) -> HttpResponse:
    crises = Crisis.objects.filter(city=city).prefetch_related("areas")
    alerts = Alert.objects.filter(city=city).exclude(status=Alert.RESOLVED).select_related("indicator", "area")[:10]
    return render(
        request,
        "crises/list.html",
        {"city": city, "crises": crises, "alerts": alerts, "is_admin": is_city_admin(request)},
    )


def _declare(request: HttpRequest, city: City, *, alert: Alert | None) -> HttpResponse:
    initial: dict[str, Any] = {"started_on": timezone.localdate(), "phase": Phase.RESPOND if alert else Phase.PREPARE}
    if alert is not None:
        initial.update(
            name=f"{alert.indicator.name} — {alert.area.name} ({alert.period})"[:200],
            indicator=alert.indicator_id,
            areas=[alert.area_id],
        )
    form = CrisisForm(request.POST or None, request.FILES or None, city=city, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        crisis = actions.declare(
            city,
            request=request,
            name=data["name"],
            hazard=data["hazard"],
            phase=data["phase"],
            started_on=data["started_on"],
            description=data["description"],
            areas=form.chosen_areas(),
            drawn=form.drawn,
            alert=alert,
            indicator=data.get("indicator"),
        )
        messages.success(request, _("The crisis was declared."))
        return redirect(_home(crisis))
    return render(request, "crises/form.html", {"city": city, "form": form, "alert": alert, "crisis": None})


@city_role("city_admin")
@require_http_methods(["GET", "POST"])
def crisis_new(request: HttpRequest, city: City) -> HttpResponse:
    return _declare(request, city, alert=None)


@city_role("city_admin")
@require_http_methods(["GET", "POST"])
def from_alert(request: HttpRequest, city: City, alert_id: int) -> HttpResponse:
    if alert_id >= 2**31:
        raise Http404("no such alert")
    alert = get_object_or_404(Alert.objects.select_related("indicator", "area"), city=city, pk=alert_id)
    return _declare(request, city, alert=alert)


@city_role("analyst")
@require_http_methods(["GET", "POST"])
def crisis_edit(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    crisis = _crisis(city, pk)
    form = CrisisForm(request.POST or None, request.FILES or None, city=city, instance=crisis)
    form.fields.pop("phase")  # the phase changes through its own form, so that its history is kept
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {k: data[k] for k in ("name", "hazard", "started_on", "description", "indicator")}
        if form.drawn is not None:
            fields["drawn_geometry"] = form.drawn
        actions.update(crisis, request=request, fields=fields, areas=form.chosen_areas())
        messages.success(request, _("The crisis was updated."))
        return redirect(_home(crisis))
    return render(request, "crises/form.html", {"city": city, "form": form, "alert": crisis.alert, "crisis": crisis})


@city_role("analyst")
@require_POST
def crisis_phase(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    crisis = _crisis(city, pk)
    form = PhaseForm(request.POST)
    if form.is_valid() and actions.change_phase(
        crisis, request=request, phase=form.cleaned_data["phase"], note=form.cleaned_data["note"]
    ):
        messages.success(request, _("The phase was changed."))
    else:
        messages.error(request, _("The phase was not changed: choose a different phase."))
    return redirect(_home(crisis))


@city_role("city_admin")
@require_POST
def crisis_end(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    crisis = _crisis(city, pk)
    form = EndForm(request.POST, crisis=crisis)
    if form.is_valid():
        actions.end(crisis, request=request, ended_on=form.cleaned_data["ended_on"])
        messages.success(request, _("The crisis was ended."))
    else:
        messages.error(request, _("The crisis was not ended: %(errors)s") % {"errors": form.errors.as_text()})
    return redirect(_home(crisis))


@city_role("city_admin")
@require_POST
def crisis_publish(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    crisis = _crisis(city, pk)
    published = request.POST.get("published") == "1"
    actions.set_published(crisis, request=request, published=published)
    messages.success(request, _("The public page is on.") if published else _("The public page is off."))
    return redirect(_home(crisis))


# --- the situation dashboard ---------------------------------------------------------------------


def _gap_context(crisis: Crisis, as_of: date | None = None, *, public: bool = False) -> dict[str, Any]:
    rows, facts = gaps.compute(crisis, as_of=as_of)

    def link(area: Any) -> str:
        return f"#area-{area.code}"

    gap_map = gaps.gap_map(crisis, rows, href=None if public else link)
    labels = {key: label for key, label, _colour in gaps.GAP_CLASSES}
    colours = {key: colour for key, _label, colour in gaps.GAP_CLASSES}
    for row in rows:
        row.gap_label = labels[row.gap]
        row.gap_colour = colours[row.gap]
        row.sectors = ", ".join(f"{dict(Sector.choices)[s]} ({n})" for s, n in sorted(row.by_sector.items()))
    if public:
        reached = disclosure.suppress_counts([r.reached for r in rows], with_total=False)
        for row, shown in zip(rows, reached, strict=True):
            row.reached_public = shown
    return {
        "rows": rows,
        "facts": facts,
        "gap_map": gap_map,
        "critical": [r for r in rows if r.gap == gaps.CRITICAL],
        "dimensions": queries.dimensions(),
    }


@city_role("analyst")
def crisis_detail(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    crisis = _crisis(city, pk)
    context = {
        "city": city,
        "crisis": crisis,
        "is_admin": is_city_admin(request),
        "phases": crisis.phase_changes.select_related("changed_by"),
        "phase_form": PhaseForm(initial={"phase": crisis.phase}),
        "end_form": EndForm(crisis=crisis),
        "sectors": gaps.sector_summary(crisis),
        "sitrep_form": SitrepForm(initial={"date": timezone.localdate()}),
        **_gap_context(crisis),
    }
    return render(request, "crises/detail.html", context)


# --- checklists ------------------------------------------------------------------------------------


@city_role("analyst")
@require_http_methods(["GET", "POST"])
def checklist(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    crisis = _crisis(city, pk)
    if request.method == "POST":
        statuses = {}
        for key, value in request.POST.items():
            if not key.startswith("s-"):
                continue
            area_id, _sep, item = key[2:].partition("-")
            if area_id.isdigit() and len(area_id) < 12:
                statuses[(int(area_id), item)] = value
        changed = actions.set_checklist(crisis, request=request, statuses=statuses)
        messages.success(request, _("%(n)d status(es) changed.") % {"n": changed})
        return redirect(reverse("crises:checklist", args=[city.slug, crisis.pk]))
    context = {
        "city": city,
        "crisis": crisis,
        "progress": checklists.progress(crisis),
        "choices": ChecklistStatus.STATUSES,
    }
    return render(request, "crises/checklist.html", context)


# --- 4W ----------------------------------------------------------------------------------------------


def run_import(crisis: Crisis, upload: Any, *, user: Any, dry_run: bool) -> Any:
    """Save the upload under our own name in a private temporary folder and import it."""
    folder = Path(tempfile.mkdtemp(prefix="sc-4w-"))
    try:
        suffix = ".xlsx" if str(upload.name).lower().endswith(".xlsx") else ".csv"
        path = folder / f"upload{suffix}"
        with open(path, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        return fourw.import_sheet(crisis, path, user=user, dry_run=dry_run)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@city_role("analyst")
@require_http_methods(["GET", "POST"])
def fourw_page(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    crisis = _crisis(city, pk)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            form.add_error("file", _("The file is larger than 20 MB."))
        else:
            report = run_import(crisis, upload, user=request.user, dry_run=form.cleaned_data["dry_run"])
            if report.ok and not report.dry_run:
                messages.success(request, report.summary())
                return redirect(reverse("crises:fourw", args=[city.slug, crisis.pk]))
    activities = crisis.activities.select_related("organisation", "area").order_by("ref")
    context = {
        "city": city,
        "crisis": crisis,
        "form": form,
        "report": report,
        "activities": activities,
        "columns": fourw.COLUMNS,
        "sectors": gaps.sector_summary(crisis),
        "reached": gaps.reached_breakdown(crisis),
    }
    return render(request, "crises/fourw.html", context, status=422 if report is not None and not report.ok else 200)


@city_role("analyst")
@require_http_methods(["GET", "POST"])
def activity_new(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    crisis = _crisis(city, pk)
    form = ActivityForm(request.POST or None, crisis=crisis, initial={"start": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        actions.add_activity(crisis, request=request, data=form.cleaned_data)
        messages.success(request, _("The activity was added."))
        return redirect(reverse("crises:fourw", args=[city.slug, crisis.pk]))
    return render(request, "crises/activity_form.html", {"city": city, "crisis": crisis, "form": form})


@city_role("analyst")
@require_POST
def activity_delete(request: HttpRequest, city: City, pk: int, aid: int) -> HttpResponse:
    crisis = _crisis(city, pk)
    if aid >= 2**31:
        raise Http404("no such activity")
    actions.delete_activity(get_object_or_404(Activity, crisis=crisis, pk=aid), request=request)
    messages.success(request, _("The activity was deleted."))
    return redirect(reverse("crises:fourw", args=[city.slug, crisis.pk]))


@city_role("analyst")
def fourw_export(request: HttpRequest, city: City, pk: int, fmt: str) -> HttpResponse:
    crisis = _crisis(city, pk)
    if fmt not in ("csv", "xlsx"):
        raise Http404("no such format")
    name = f"{city.slug}-crisis-{crisis.pk}-4w"
    if fmt == "xlsx":
        response = HttpResponse(fourw.export_xlsx(crisis), content_type=XLSX)
        response["Content-Disposition"] = content_disposition_header(True, f"{name}.xlsx")
        return response
    response = HttpResponse(fourw.export_csv(crisis).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{name}.csv")
    return response


# --- allocation ------------------------------------------------------------------------------------


def _equity_keys() -> list[tuple[str, str]]:
    return [
        ("concentration_index", _("Concentration index (need-ranked)")),
        ("share_to_neediest_quintile", _("Share to the neediest fifth of residents")),
        ("gini_per_capita", _("Gini of amounts per resident")),
    ]


@city_role("analyst")
@require_http_methods(["GET", "POST"])
def allocation(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    crisis = _crisis(city, pk)
    form = ScenarioForm(request.POST or None, crisis=crisis)
    if request.method == "POST" and form.is_valid():
        actions.save_scenario(crisis, request=request, **form.cleaned_data)
        messages.success(request, _("The scenario was saved."))
        return redirect(reverse("crises:allocation", args=[city.slug, crisis.pk]))
    results = [advisor.run(s) for s in crisis.scenarios.all()]
    codes = sorted({row["code"] for r in results for row in r.rows})
    names = {row["code"]: row["name"] for r in results for row in r.rows}
    comparison = [
        {
            "code": code,
            "name": names[code],
            "amounts": [next((x["amount"] for x in r.rows if x["code"] == code), None) for r in results],
        }
        for code in codes
    ]
    context = {
        "city": city,
        "crisis": crisis,
        "form": form,
        "results": results,
        "comparison": comparison,
        "equity_keys": _equity_keys(),
    }
    return render(request, "crises/allocation.html", context, status=200)


def _scenario(crisis: Crisis, sid: int) -> Scenario:
    if sid >= 2**31:
        raise Http404("no such scenario")
    return get_object_or_404(Scenario, crisis=crisis, pk=sid)


@city_role("analyst")
@require_POST
def scenario_delete(request: HttpRequest, city: City, pk: int, sid: int) -> HttpResponse:
    crisis = _crisis(city, pk)
    actions.delete_scenario(_scenario(crisis, sid), request=request)
    messages.success(request, _("The scenario was deleted."))
    return redirect(reverse("crises:allocation", args=[city.slug, crisis.pk]))


SCENARIO_COLUMNS = (
    ("area", "#adm2+code"),
    ("name", "#adm2+name"),
    ("need", "#severity+need"),
    ("population", "#population"),
    ("share_before_bounds", "#value+share"),
    ("adjustment", "#value+adjustment"),
    ("amount", "#value+allocated"),
    ("reason", "#meta+reason"),
)


@city_role("analyst")
def scenario_export(request: HttpRequest, city: City, pk: int, sid: int, fmt: str) -> HttpResponse:
    crisis = _crisis(city, pk)
    if fmt not in ("csv", "xlsx"):
        raise Http404("no such format")
    result = advisor.run(_scenario(crisis, sid))
    rows = [
        [
            r["code"],
            r["name"],
            round(r["need"], 4),
            r["population"],
            round(r["share"], 2),
            round(r["adjustment"], 2),
            r["amount"],
            r["reason"],
        ]
        for r in result.rows
    ]
    name = f"{city.slug}-crisis-{crisis.pk}-scenario-{result.scenario.pk}"
    if fmt == "xlsx":
        import openpyxl

        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet("allocation")
        sheet.append([c for c, _t in SCENARIO_COLUMNS])
        sheet.append([t for _c, t in SCENARIO_COLUMNS])
        for row in rows:
            sheet.append(safe_row(row))
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX)
        response["Content-Disposition"] = content_disposition_header(True, f"{name}.xlsx")
        return response
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow([c for c, _t in SCENARIO_COLUMNS])
    writer.writerow([t for _c, t in SCENARIO_COLUMNS])
    writer.writerows(safe_row(row) for row in rows)
    response = HttpResponse(buffer.getvalue().encode(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{name}.csv")
    return response


# --- recovery --------------------------------------------------------------------------------------


@city_role("analyst")
def recovery_page(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    crisis = _crisis(city, pk)
    context = {
        "city": city,
        "crisis": crisis,
        "areas": recovery.area_recovery(crisis),
        "baseline_periods": recovery.BASELINE_PERIODS,
        "tolerance": round(recovery.TOLERANCE * 100),
    }
    return render(request, "crises/recovery.html", context)


# --- situation report ------------------------------------------------------------------------------


def sitrep_context(request: HttpRequest, crisis: Crisis) -> dict[str, Any]:
    from safercities.portal.reports import _thresholds, generated_on

    form = SitrepForm(request.GET or None)
    as_of = form.cleaned_data.get("date") if form.is_valid() else None
    as_of = as_of or timezone.localdate()
    scenarios = [advisor.run(s) for s in crisis.scenarios.all()]
    return {
        "city": crisis.city,
        "crisis": crisis,
        "as_of": as_of,
        "sectors": gaps.sector_summary(crisis, as_of),
        "reached": gaps.reached_breakdown(crisis),
        "reached_fields": REACHED_FIELDS,
        "scenarios": scenarios,
        "equity_keys": _equity_keys(),
        "generated": generated_on(crisis.city),
        "thresholds": _thresholds(),
        "good_reach": round(gaps.GOOD_REACH * 100),
        **_gap_context(crisis, as_of),
    }


@city_role("analyst")
def sitrep(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    crisis = _crisis(city, pk)
    return render(request, "crises/sitrep.html", sitrep_context(request, crisis))


@city_role("analyst")
def sitrep_pdf(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    from safercities.portal.reports import render_pdf

    crisis = _crisis(city, pk)
    html = render_to_string("crises/sitrep.html", sitrep_context(request, crisis), request=request)
    pdf = render_pdf(html, request.build_absolute_uri("/"))
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"{city.slug}-crisis-{crisis.pk}-sitrep-{get_language()}.pdf"
    response["Content-Disposition"] = content_disposition_header(False, filename)
    return response


# --- the public page -------------------------------------------------------------------------------


def public_crisis(request: HttpRequest, city: str, pk: int) -> HttpResponse:
    """A published crisis: phase, dates, the gap map and classes; no incidents, reports or small counts."""
    place = queries.visible_city(request.user, city)
    crisis = _crisis(place, pk)
    if not crisis.is_published:
        raise Http404("not published")
    context = {
        "city": place,
        "crisis": crisis,
        "sectors": gaps.sector_summary(crisis),
        **_gap_context(crisis, public=True),
    }
    for row in context["sectors"]:
        row["reached_public"] = (
            row["reached"] if row["reached"] == 0 or row["reached"] >= disclosure.DEFAULT_THRESHOLD else None
        )
    return render(request, "crises/public.html", context)
