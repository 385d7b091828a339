"""Officials' workspace: imports, alerts, index builder, city settings and members.

Thin function views; every one behind :func:`~safercities.workspace.access.city_role`. The pages work
without JavaScript; ``workspace.js`` only polls the progress of a background import.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from safercities.accounts.models import Membership, Role
from safercities.accounts.permissions import cities_for
from safercities.analytics.composite import CompositeIndexError
from safercities.analytics.composite import IndexDefinition as IndexMethod
from safercities.indicators.models import Indicator
from safercities.ingest.models import ImportRun
from safercities.monitoring import actions as alert_actions
from safercities.monitoring.index_results import index_levels
from safercities.monitoring.models import Alert, IndexDefinition
from safercities.places.models import City
from safercities.portal import cache as portal_cache
from safercities.workspace import actions, imports
from safercities.workspace.access import city_role
from safercities.workspace.builder import preview_index
from safercities.workspace.forms import (
    AddMemberForm,
    AlertFilter,
    AssignForm,
    CitySettingsForm,
    CommentForm,
    ImportRunFilter,
    IndexBuilderForm,
    IndicatorSettingsFormSet,
    RoleForm,
    UploadForm,
)
from safercities.workspace.models import ImportUpload

ERRORS_PER_PAGE = 200
REFRESH_SECONDS = 2


@login_required
def home(request: HttpRequest) -> HttpResponse:
    cities = list(cities_for(request.user, Role.ANALYST))
    if len(cities) == 1:
        return redirect("workspace:dashboard", city=cities[0].slug)
    return render(request, "workspace/home.html", {"cities": cities})


@city_role(Role.ANALYST)
def dashboard(request: HttpRequest, city: City) -> HttpResponse:
    alerts = Alert.objects.filter(city=city).exclude(status=Alert.RESOLVED)
    context = {
        "city": city,
        "open_alerts": alerts.count(),
        "red_alerts": alerts.filter(severity=Alert.RED).count(),
        "recent_runs": ImportRun.objects.filter(city=city).select_related("user")[:5],
        "pending": ImportUpload.objects.filter(
            city=city, status__in=[ImportUpload.CHECKED, ImportUpload.CHECKING, ImportUpload.IMPORTING]
        )[:5],
    }
    return render(request, "workspace/dashboard.html", context)


# --- Imports -------------------------------------------------------------------------------------


@city_role(Role.ANALYST)
def import_new(request: HttpRequest, city: City) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            upload = imports.store_upload(
                city=city, user=request.user, kind=form.cleaned_data["kind"], file=form.cleaned_data["file"]
            )
        except imports.UploadStorageError as exc:
            # Nothing was kept (no row, no half file): say so instead of a server error.
            status = 507 if exc.disk_full else 503
            form.add_error(
                "file",
                _("The server has no room left to store this file; nothing was imported. Try again later.")
                if exc.disk_full
                else _("The file could not be stored on the server; nothing was imported. Try again later."),
            )
        else:
            imports.start_check(upload)
            return redirect("workspace:upload", city=city.slug, pk=upload.pk)
    context = {"city": city, "form": form, "background_bytes": imports.background_bytes()}
    return render(request, "workspace/import_new.html", context, status=status)


def _upload(city: City, pk: int) -> ImportUpload:
    return get_object_or_404(ImportUpload.objects.select_related("check_run", "import_run", "job"), city=city, pk=pk)


def _error_page(request: HttpRequest, run: ImportRun | None) -> object | None:
    if run is None or not run.errors:
        return None
    return Paginator(run.errors, ERRORS_PER_PAGE).get_page(request.GET.get("page"))


@city_role(Role.ANALYST)
def upload_detail(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    upload = _upload(city, pk)
    shown = upload.import_run or upload.check_run
    context = {
        "city": city,
        "upload": upload,
        "run": shown,
        "check_run": upload.check_run,
        "errors": _error_page(request, shown),
        "state": imports.progress_of(upload),
        "refresh": REFRESH_SECONDS if upload.busy else None,
    }
    # Without JavaScript a <noscript> meta refresh reloads the page until the job ends; with it,
    # workspace.js polls upload_status instead.
    return render(request, "workspace/upload.html", context)


@city_role(Role.ANALYST)
@require_GET
def upload_status(request: HttpRequest, city: City, pk: int) -> JsonResponse:
    return JsonResponse(imports.progress_of(_upload(city, pk)))


@city_role(Role.ANALYST)
@require_POST
def upload_confirm(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    upload = _upload(city, pk)
    try:
        upload = imports.confirm_upload(upload)
    except imports.UploadStateError:
        messages.warning(request, _("This file is not waiting for confirmation; nothing was done."))
    else:
        if upload.status == ImportUpload.IMPORTED:
            messages.success(request, _("The file was imported."))
    return redirect("workspace:upload", city=city.slug, pk=upload.pk)


@city_role(Role.ANALYST)
def import_history(request: HttpRequest, city: City) -> HttpResponse:
    form = ImportRunFilter(request.GET or None)
    runs = ImportRun.objects.filter(city=city).select_related("user").defer("errors")
    if form.is_valid():
        if form.cleaned_data["kind"]:
            runs = runs.filter(kind=form.cleaned_data["kind"])
        if form.cleaned_data["status"]:
            runs = runs.filter(status=form.cleaned_data["status"])
    page = Paginator(runs, 50).get_page(request.GET.get("page"))
    return render(request, "workspace/import_history.html", {"city": city, "form": form, "page": page})


@city_role(Role.ANALYST)
def import_run_detail(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    run = get_object_or_404(ImportRun.objects.select_related("user"), city=city, pk=pk)
    context = {"city": city, "run": run, "errors": _error_page(request, run)}
    return render(request, "workspace/import_run.html", context)


# --- Alerts --------------------------------------------------------------------------------------


@city_role(Role.ANALYST)
def alert_list(request: HttpRequest, city: City) -> HttpResponse:
    form = AlertFilter(request.GET or {"status": "open"})
    alerts = Alert.objects.filter(city=city).select_related("indicator", "area", "assigned_to")
    if form.is_valid():
        status = form.cleaned_data["status"]
        if status == "open":
            alerts = alerts.exclude(status=Alert.RESOLVED)
        elif status:
            alerts = alerts.filter(status=status)
        if form.cleaned_data["severity"]:
            alerts = alerts.filter(severity=form.cleaned_data["severity"])
        if form.cleaned_data["kind"]:
            alerts = alerts.filter(kind=form.cleaned_data["kind"])
    alerts = alerts.annotate(comment_count=Count("comments")).order_by("-created_at", "-pk")
    page = Paginator(alerts, 50).get_page(request.GET.get("page"))
    return render(request, "workspace/alert_list.html", {"city": city, "form": form, "page": page})


def _alert(city: City, pk: int) -> Alert:
    return get_object_or_404(
        Alert.objects.select_related("indicator", "area", "assigned_to", "acknowledged_by"), city=city, pk=pk
    )


@city_role(Role.ANALYST)
def alert_detail(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    alert = _alert(city, pk)
    context = {
        "city": city,
        "alert": alert,
        "comments": alert.comments.select_related("author"),
        "assign_form": AssignForm(city=city, initial={"assignee": alert.assigned_to_id}),
        "comment_form": CommentForm(),
    }
    return render(request, "workspace/alert_detail.html", context)


@city_role(Role.ANALYST)
@require_POST
def alert_acknowledge(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    alert = _alert(city, pk)
    try:
        alert_actions.acknowledge_alert(alert=alert, user=request.user)
        messages.success(request, _("Alert acknowledged."))
    except alert_actions.AlertStateError:
        messages.warning(
            request,
            _("Only a new alert can be acknowledged; this one is %(status)s.") % {"status": alert.get_status_display()},
        )
    return redirect("workspace:alert", city=city.slug, pk=pk)


@city_role(Role.ANALYST)
@require_POST
def alert_assign(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    alert = _alert(city, pk)
    form = AssignForm(request.POST, city=city)
    if form.is_valid():
        assignee = form.cleaned_data["assignee"]
        alert_actions.assign_alert(alert=alert, assignee=assignee)
        if assignee is None:
            messages.success(request, _("The alert is no longer assigned."))
        else:
            messages.success(request, _("Assigned to %(user)s.") % {"user": assignee.get_username()})
    else:
        messages.error(request, _("Choose an analyst or admin of this city."))
    return redirect("workspace:alert", city=city.slug, pk=pk)


@city_role(Role.ANALYST)
@require_POST
def alert_comment(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    alert = _alert(city, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        actions.comment_on_alert(alert=alert, author=request.user, text=form.cleaned_data["text"], request=request)
        messages.success(request, _("Comment added."))
    else:
        messages.error(request, _("Write a comment first."))
    return redirect("workspace:alert", city=city.slug, pk=pk)


@city_role(Role.ANALYST)
@require_POST
def alert_resolve(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    alert = _alert(city, pk)
    try:
        alert_actions.resolve_alert(alert=alert, user=request.user)
        messages.success(request, _("Alert resolved."))
    except alert_actions.AlertStateError:
        messages.info(request, _("This alert was resolved already; nothing changed."))
    return redirect("workspace:alert", city=city.slug, pk=pk)


# --- Index builder -------------------------------------------------------------------------------


@city_role(Role.ANALYST)
def index_builder(request: HttpRequest, city: City) -> HttpResponse:
    levels = index_levels(city)
    initial = {
        "name": _("Safety index"),
        "normalisation": "minmax",
        "imputation": "none",
        "weighting": "equal",
        "aggregation": "geometric",
        "level": levels[0] if levels else "",
        "indicators": list(
            Indicator.objects.filter(city=city, observations__isnull=False).values_list("code", flat=True).distinct()
        ),
    }
    form = IndexBuilderForm(request.POST or None, city=city, levels=levels, initial=initial)
    preview = None
    if request.method == "POST" and form.is_valid():
        try:
            method = IndexMethod(**form.method_kwargs())
        except CompositeIndexError as exc:
            form.add_error(None, str(exc))
        else:
            if request.POST.get("action") == "publish":
                definition, stored = actions.publish_index(
                    city=city, name=form.cleaned_data["name"], method=method, by=request.user, request=request
                )
                portal_cache.invalidate(city)  # the public pages show the published index at once
                messages.success(
                    request,
                    _(
                        "Published “%(name)s”: %(n)d area results stored for the latest year; "
                        "other years follow in the background."
                    )
                    % {"name": definition.name, "n": stored},
                )
                return redirect("workspace:index_builder", city=city.slug)
            preview = preview_index(city, method, form.cleaned_data["level"])
    definitions = IndexDefinition.objects.filter(city=city).annotate(result_count=Count("results"))
    context = {"city": city, "form": form, "preview": preview, "definitions": definitions, "levels": levels}
    return render(request, "workspace/index_builder.html", context)


# --- City admin ----------------------------------------------------------------------------------


@city_role(Role.CITY_ADMIN)
def city_settings(request: HttpRequest, city: City) -> HttpResponse:
    indicators = Indicator.objects.filter(city=city).select_related("dimension").order_by("dimension__order", "code")
    form = CitySettingsForm(request.POST or None, instance=city, prefix="city")
    formset = IndicatorSettingsFormSet(request.POST or None, queryset=indicators, prefix="ind")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        form.save()
        formset.save()
        portal_cache.invalidate(city)  # a hidden indicator must leave the public pages at once
        actions._audit(action="city.settings", user=request.user, obj=city, city=city, request=request)
        messages.success(request, _("Settings saved."))
        return redirect("workspace:settings", city=city.slug)
    return render(request, "workspace/settings.html", {"city": city, "form": form, "formset": formset})


@city_role(Role.CITY_ADMIN)
def members(request: HttpRequest, city: City) -> HttpResponse:
    form = AddMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership, invited = actions.add_member(
                city=city,
                identifier=form.cleaned_data["identifier"],
                role=form.cleaned_data["role"],
                by=request.user,
                request=request,
            )
        except actions.MembershipError as exc:
            form.add_error("identifier", str(exc))
        else:
            if invited:
                messages.success(
                    request,
                    _("Invited %(user)s; an e-mail to set a password is on its way.") % {"user": membership.user.email},
                )
            else:
                messages.success(
                    request,
                    _("%(user)s is now %(role)s.")
                    % {"user": membership.user.get_username(), "role": membership.get_role_display()},
                )
            return redirect("workspace:members", city=city.slug)
    memberships = Membership.objects.filter(city=city).select_related("user").order_by("user__username")
    rows = [(m, RoleForm(initial={"role": m.role}, prefix=f"m{m.pk}")) for m in memberships]
    return render(request, "workspace/members.html", {"city": city, "form": form, "rows": rows})


def _membership(city: City, pk: int) -> Membership:
    return get_object_or_404(Membership.objects.select_related("user", "city"), city=city, pk=pk)


@city_role(Role.CITY_ADMIN)
@require_POST
def member_role(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    membership = _membership(city, pk)
    form = RoleForm(request.POST, prefix=f"m{pk}")
    if form.is_valid():
        try:
            actions.change_role(membership=membership, role=form.cleaned_data["role"], by=request.user, request=request)
            messages.success(request, _("Role changed."))
        except actions.MembershipError:
            messages.error(
                request, _("The city must keep at least one city admin; give the role to someone else first.")
            )
    return redirect("workspace:members", city=city.slug)


@city_role(Role.CITY_ADMIN)
@require_POST
def member_remove(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    membership = _membership(city, pk)
    try:
        actions.remove_member(membership=membership, by=request.user, request=request)
        messages.success(request, _("%(user)s no longer has a role in this city.") % {"user": membership.user})
    except actions.MembershipError:
        messages.error(request, _("The city must keep at least one city admin; give the role to someone else first."))
    return redirect("workspace:members", city=city.slug)
