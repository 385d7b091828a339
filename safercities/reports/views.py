"""Pages of the reports app: the public form, tracking and report pages, and the staff queue.

Views stay thin: validation and writes live in ``actions``, reading in ``queries``; every public page
shows a report's place only through ``disclosure.public_location``.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safercities.portal import cache as portal_cache
from safercities.portal.queries import visible_city
from safercities.reports import abuse, actions, queries
from safercities.reports.disclosure import public_location
from safercities.reports.forms import (
    AssignForm,
    CommentForm,
    GrantForm,
    MergeForm,
    ModerateForm,
    PersonForm,
    PublishForm,
    ReportForm,
    UpdateForm,
)
from safercities.reports.models import Report, ReportComment, SensitiveAccess
from safercities.workspace.access import city_role, is_city_admin

PAGE_SIZE = 20


def _apply_errors(form: Any, error: ValidationError) -> None:
    """Put the action's ``{field: [messages]}`` on the form's visible fields (hidden ones at the top)."""
    for field, messages_ in error.message_dict.items():
        target = field if field in form.fields and not form.fields[field].widget.is_hidden else None
        if field in ("lat", "lon"):
            target = "area"
        for message in messages_:
            form.add_error(target, message)


# --- public ---------------------------------------------------------------------------------------------


def report_list(request: HttpRequest, city: str) -> HttpResponse:
    place = visible_city(request.user, city)
    params = {k: request.GET.get(k, "")[:64] for k in ("category", "status")}
    rows = queries.filter_public(queries.public_reports(place), params)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    items = list(page.object_list)
    return render(
        request,
        "reports/list.html",
        {
            "city": place,
            "page": page,
            "items": [(r, public_location(r)) for r in items],
            "map": queries.report_map(place, items),
            "categories": place.report_categories.filter(active=True).order_by("name"),
            "params": params,
        },
    )


def new(request: HttpRequest, city: str) -> HttpResponse:
    place = visible_city(request.user, city)
    if request.method == "POST":
        if abuse.over_limit(request):
            return render(request, "reports/throttled.html", {"city": place}, status=429)
        abuse.count(request)
        form = ReportForm(request.POST, request.FILES, city=place)
        if form.is_valid():
            data = form.cleaned_data
            if data.get("website"):
                # The honeypot was filled: answer as if accepted, store nothing.
                return render(request, "reports/received_bot.html", {"city": place})
            anonymous = data.get("anonymous")
            try:
                report, token = actions.submit_report(
                    city=place,
                    category=data["category"],
                    description=data["description"],
                    lat=data.get("lat") or None,
                    lon=data.get("lon") or None,
                    area=data.get("area"),
                    address=data.get("address", ""),
                    contact_name="" if anonymous else data.get("contact_name", ""),
                    contact_email="" if anonymous else data.get("contact_email", ""),
                    contact_phone="" if anonymous else data.get("contact_phone", ""),
                    photo=data.get("photo"),
                    user=None if anonymous else request.user,
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                request.session["reports_new"] = report.reference
                return redirect("reports:track", token=token)
        status = 400 if form.errors else 200
    else:
        form = ReportForm(city=place)
        status = 200
    categories = list(form.fields["category"].queryset)
    return render(
        request,
        "reports/new.html",
        {
            "city": place,
            "form": form,
            # The areas only (no reports): one shared copy per city version, language and tolerance.
            "map": portal_cache.cached(
                "reports:form-map", place, (1.5,), lambda: queries.report_map(place, tolerance=1.5)
            ),
            "sensitive": [c for c in categories if c.sensitive],
        },
        status=status,
    )


def track(request: HttpRequest, token: str) -> HttpResponse:
    report = actions.report_for_token(token)
    if report is None:
        raise Http404("no such report")
    just_filed = request.session.pop("reports_new", None) == report.reference
    response = render(
        request,
        "reports/track.html",
        {
            "city": report.city,
            "report": report,
            "updates": report.updates.filter(public=True).select_related("author"),
            "just_filed": just_filed,
            "place": public_location(report),
            "track_url": request.build_absolute_uri(),
        },
    )
    response["Cache-Control"] = "private, no-store"  # the URL is the key: keep it out of shared caches
    return response


def _public_report(request: HttpRequest, city: str, reference: str) -> Report:
    place = visible_city(request.user, city)
    report = queries.public_reports(place).filter(reference=reference[:16]).first()
    if report is None:
        merged = Report.objects.filter(city=place, reference=reference[:16], moderation=Report.PUBLISHED).first()
        if merged is not None and merged.merged_into_id and merged.merged_into.is_public:
            raise _Moved(merged.merged_into)
        raise Http404("no such public report")
    return report


class _Moved(Exception):
    def __init__(self, report: Report) -> None:
        self.report = report


def detail(request: HttpRequest, city: str, reference: str) -> HttpResponse:
    try:
        report = _public_report(request, city, reference)
    except _Moved as moved:
        return redirect("reports:detail", city=city, reference=moved.report.reference)
    return render(
        request,
        "reports/detail.html",
        {
            "city": report.city,
            "report": report,
            "place": public_location(report),
            "updates": report.updates.filter(public=True).exclude(text="", status=Report.RECEIVED),
            "comments": report.comments.filter(state=ReportComment.APPROVED),
            "comment_form": CommentForm(),
            "map": queries.report_map(report.city, [report]),
        },
    )


@require_POST
def support(request: HttpRequest, city: str, reference: str) -> HttpResponse:
    try:
        report = _public_report(request, city, reference)
    except _Moved as moved:
        report = moved.report
    if actions.support(report, supporter=actions.supporter_key(request)):
        messages.success(request, _("Thank you: we counted that this affects you too."))
    else:
        messages.info(request, _("You have already said that this affects you."))
    return redirect("reports:detail", city=city, reference=report.reference)


@require_POST
def comment(request: HttpRequest, city: str, reference: str) -> HttpResponse:
    try:
        report = _public_report(request, city, reference)
    except _Moved as moved:
        report = moved.report
    if abuse.over_limit(request, "comment"):
        return render(request, "reports/throttled.html", {"city": report.city}, status=429)
    abuse.count(request, "comment")
    form = CommentForm(request.POST)
    if form.is_valid() and not form.cleaned_data.get("website"):
        try:
            actions.comment(report, user=request.user, text=form.cleaned_data["text"])
        except ValidationError as exc:
            _apply_errors(form, exc)
    if form.errors:
        return render(
            request,
            "reports/detail.html",
            {
                "city": report.city,
                "report": report,
                "place": public_location(report),
                "updates": report.updates.filter(public=True).exclude(text="", status=Report.RECEIVED),
                "comments": report.comments.filter(state=ReportComment.APPROVED),
                "comment_form": form,
                "map": queries.report_map(report.city, [report]),
            },
            status=400,
        )
    messages.success(request, _("Thank you. Your comment will appear once a moderator has read it."))
    return redirect("reports:detail", city=city, reference=report.reference)


def accountability(request: HttpRequest, city: str) -> HttpResponse:
    place = visible_city(request.user, city)
    return render(
        request,
        "reports/accountability.html",
        {"city": place, "rows": queries.accountability(place), "k": queries.SMALL_COUNT},
    )


# --- staff ---------------------------------------------------------------------------------------------


def _staff_report(city: Any, pk: int) -> Report:
    return get_object_or_404(
        Report.objects.select_related("category", "area", "department", "merged_into"), city=city, pk=pk
    )


@city_role("analyst")
def queue(request: HttpRequest, city: Any) -> HttpResponse:
    params = {k: request.GET.get(k, "")[:32] for k in ("moderation", "status", "department")}
    params["moderation"] = params["moderation"] or "open"
    page = Paginator(queries.staff_queue(city, params), 50).get_page(request.GET.get("page"))
    counts = dict(
        Report.objects.filter(city=city, merged_into__isnull=True)
        .values_list("moderation")
        .annotate(n=Count("id"))
        .order_by()
    )
    return render(
        request,
        "reports/staff/queue.html",
        {
            "city": city,
            "page": page,
            "params": params,
            "moderation_counts": [(label, counts.get(code, 0)) for code, label in Report.MODERATION],
            "departments": city.departments.all(),
            "statuses": Report.STATUSES,
            "moderations": Report.MODERATION,
            "sensitive_ok": actions.may_see_sensitive(request.user, city),
            "pending_comments": ReportComment.objects.filter(report__city=city, state=ReportComment.PENDING).count(),
        },
    )


def _manage_context(request: HttpRequest, city: Any, report: Report, **forms: Any) -> dict[str, Any]:
    details = actions.may_see_details(request.user, report)
    return {
        "city": city,
        "report": report,
        "details": details,
        "place": public_location(report),
        "updates": report.updates.select_related("author"),
        "candidates": actions.duplicate_candidates(report) if details else [],
        "duplicates": report.duplicates.all(),
        "publish_form": forms.get("publish_form")
        or PublishForm(initial={"public_text": report.public_text or (report.description if details else "")}),
        "moderate_form": forms.get("moderate_form") or ModerateForm(),
        "assign_form": forms.get("assign_form") or AssignForm(city=city, initial={"department": report.department_id}),
        "update_form": forms.get("update_form") or UpdateForm(initial={"public": True}),
        "merge_form": forms.get("merge_form") or MergeForm(),
    }


@city_role("analyst")
def manage(request: HttpRequest, city: Any, pk: int) -> HttpResponse:
    report = _staff_report(city, pk)
    return render(request, "reports/staff/manage.html", _manage_context(request, city, report))


def _staff_post(
    request: HttpRequest,
    city: Any,
    pk: int,
    form_class: Any,
    form_name: str,
    apply: Any,
    *,
    needs_details: bool = False,
) -> HttpResponse:
    report = _staff_report(city, pk)
    if needs_details and not actions.may_see_details(request.user, report):
        raise PermissionDenied("only designated staff handle sensitive reports' details")
    kwargs = {"city": city} if form_class is AssignForm else {}
    form = form_class(request.POST, **kwargs)
    if form.is_valid():
        try:
            apply(report, form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("reports:manage", city=city.slug, pk=report.pk)
    report.refresh_from_db()
    context = _manage_context(request, city, report, **{form_name: form})
    return render(request, "reports/staff/manage.html", context)  # the workspace's convention: 200 + errors


@city_role("analyst")
@require_POST
def publish(request: HttpRequest, city: Any, pk: int) -> HttpResponse:
    def apply(report: Report, data: dict[str, Any]) -> None:
        actions.publish(report, user=request.user, public_text=data["public_text"], request=request)

    return _staff_post(request, city, pk, PublishForm, "publish_form", apply, needs_details=True)


@city_role("analyst")
@require_POST
def moderate(request: HttpRequest, city: Any, pk: int) -> HttpResponse:
    def apply(report: Report, data: dict[str, Any]) -> None:
        actions.moderate(report, user=request.user, verdict=data["verdict"], request=request)

    return _staff_post(request, city, pk, ModerateForm, "moderate_form", apply, needs_details=True)


@city_role("analyst")
@require_POST
def assign(request: HttpRequest, city: Any, pk: int) -> HttpResponse:
    def apply(report: Report, data: dict[str, Any]) -> None:
        actions.assign(report, user=request.user, department=data.get("department"), request=request)

    return _staff_post(request, city, pk, AssignForm, "assign_form", apply)


@city_role("analyst")
@require_POST
def update(request: HttpRequest, city: Any, pk: int) -> HttpResponse:
    def apply(report: Report, data: dict[str, Any]) -> None:
        actions.add_update(
            report,
            user=request.user,
            text=data.get("text", ""),
            status=data.get("status", ""),
            public=bool(data.get("public")),
            request=request,
        )

    return _staff_post(request, city, pk, UpdateForm, "update_form", apply, needs_details=True)


@city_role("analyst")
@require_POST
def merge(request: HttpRequest, city: Any, pk: int) -> HttpResponse:
    def apply(report: Report, data: dict[str, Any]) -> None:
        into = Report.objects.filter(city=city, reference=data["into"].strip().upper()).first()
        if into is None:
            raise ValidationError({"into": [_("No report of this city has that reference.")]})
        actions.merge(report, into=into, user=request.user, request=request)

    return _staff_post(request, city, pk, MergeForm, "merge_form", apply, needs_details=True)


@city_role("analyst")
def photo(request: HttpRequest, city: Any, pk: int) -> HttpResponse:
    """The only way to a report's photo: staff of the city, and for sensitive reports designated staff."""
    report = _staff_report(city, pk)
    if not report.photo:
        raise Http404("no photo")
    if not actions.may_see_details(request.user, report):
        raise PermissionDenied("only designated staff see sensitive reports' photos")
    try:
        handle = report.photo.open("rb")
    except OSError:
        raise Http404("photo missing") from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = f'inline; filename="{report.reference}.jpg"'
    return response


@city_role("analyst")
def comments(request: HttpRequest, city: Any) -> HttpResponse:
    pending = ReportComment.objects.filter(report__city=city, state=ReportComment.PENDING).select_related("report")
    return render(request, "reports/staff/comments.html", {"city": city, "pending": pending[:200]})


@city_role("analyst")
@require_POST
def comment_moderate(request: HttpRequest, city: Any, pk: int) -> HttpResponse:
    item = get_object_or_404(ReportComment, report__city=city, pk=pk)
    try:
        actions.moderate_comment(item, user=request.user, state=request.POST.get("state", ""), request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Saved."))
    return redirect("reports:comments", city=city.slug)


@city_role("city_admin")
def sensitive_access(request: HttpRequest, city: Any) -> HttpResponse:
    form = GrantForm(request.POST or None)
    status = 200
    if request.method == "POST":
        user = None
        if form.is_valid():
            user = get_user_model().objects.filter(username=form.cleaned_data["username"]).first()
            if user is None:
                form.add_error("username", _("No such user."))
        if user is not None:
            try:
                actions.grant_sensitive_access(city=city, user=user, granted_by=request.user, request=request)
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("reports:sensitive_access", city=city.slug)
        status = 400
    rows = SensitiveAccess.objects.filter(city=city).select_related("user", "granted_by")
    return render(request, "reports/staff/sensitive.html", {"city": city, "form": form, "rows": rows}, status=status)


@city_role("city_admin")
@require_POST
def sensitive_revoke(request: HttpRequest, city: Any, pk: int) -> HttpResponse:
    access = get_object_or_404(SensitiveAccess, city=city, pk=pk)
    actions.revoke_sensitive_access(access=access, by=request.user, request=request)
    messages.success(request, _("Saved."))
    return redirect("reports:sensitive_access", city=city.slug)


@city_role("city_admin")
def person(request: HttpRequest, city: Any) -> HttpResponse:
    """Right of access and erasure for a reporter, by e-mail address (city admins; audited)."""
    form = PersonForm(request.POST or None, initial={"action": "export"})
    found: list[Report] | None = None
    if request.method == "POST" and form.is_valid():
        email, action = form.cleaned_data["email"], form.cleaned_data["action"]
        if action == "find":
            found = actions.person_reports(city, email)
        elif action == "export":
            data = actions.export_person(city=city, email=email, user=request.user, request=request)
            response = HttpResponse(
                json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
            )
            response["Content-Disposition"] = f'attachment; filename="reports-{city.slug}-person.json"'
            response["Cache-Control"] = "private, no-store"
            return response
        else:
            count = actions.erase_person(city=city, email=email, user=request.user, request=request)
            messages.success(request, _("Erased the personal data of %(n)d report(s).") % {"n": count})
            return redirect("reports:person", city=city.slug)
    status = 400 if request.method == "POST" and form.errors else 200
    return render(
        request,
        "reports/staff/person.html",
        {"city": city, "form": form, "found": found, "is_admin": is_city_admin(request)},
        status=status,
    )
