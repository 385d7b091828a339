"""The city admin's view of the audit trail: a filtered list and the same list as CSV."""

from __future__ import annotations

import csv
import json
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from safercities.accounts.models import Role
from safercities.accounts.permissions import has_role
from safercities.audit.models import AuditEvent, AuditEventQuerySet
from safercities.ingest.cells import safe_cell
from safercities.places.models import City

PAGE_SIZE = 50


class EventFilter(forms.Form):
    user = forms.CharField(label=_("User"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("Action"), required=False)
    model = forms.CharField(label=_("Record type"), required=False, max_length=100)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, actions: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(AuditEvent.Action.choices)
        action_field: Any = self.fields["action"]
        action_field.choices = [("", _("any"))] + [(a, labels.get(a, a)) for a in actions]

    def apply(self, events: AuditEventQuerySet, zone: Any) -> AuditEventQuerySet:
        if not self.is_valid():
            return events
        data = self.cleaned_data
        if data["user"]:
            events = events.filter(username__iexact=data["user"])
        if data["action"]:
            events = events.filter(action=data["action"])
        if data["model"]:
            events = events.filter(model_label__icontains=data["model"])
        # Dates are the city's local days.
        if data["since"]:
            events = events.filter(created_at__gte=datetime.combine(data["since"], time.min, tzinfo=zone))
        if data["until"]:
            end = datetime.combine(data["until"] + timedelta(days=1), time.min, tzinfo=zone)
            events = events.filter(created_at__lt=end)
        return events


def _city_events(request: HttpRequest, slug: str) -> tuple[City, EventFilter, AuditEventQuerySet]:
    city = get_object_or_404(City, slug=slug)
    # An outsider learns nothing, not even that the city's trail exists.
    if not has_role(request.user, city, Role.CITY_ADMIN):
        raise Http404
    events = AuditEvent.objects.filter(city=city).select_related("city")
    actions = sorted(set(events.values_list("action", flat=True)) | set(AuditEvent.Action.values))
    form = EventFilter(request.GET or None, actions=actions)

    try:
        zone = ZoneInfo(city.timezone)
    except (KeyError, ValueError):
        zone = timezone.get_current_timezone()
    return city, form, form.apply(events, zone)


@never_cache
@login_required
def event_list(request: HttpRequest, city: str) -> HttpResponse:
    city_obj, form, events = _city_events(request, city)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"city": city_obj, "form": form, "page": page, "query": query.urlencode()}
    return render(request, "audit/event_list.html", context)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    text = "" if value is None else (value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    # A spreadsheet would run a cell that starts like a formula (CSV injection).
    return safe_cell(text)


@never_cache
@login_required
def event_export(request: HttpRequest, city: str) -> StreamingHttpResponse:
    city_obj, _form, events = _city_events(request, city)
    writer = csv.writer(_Echo())
    header = ["when", "user", "action", "record_type", "record_id", "record", "before", "after", "request_id"]

    def rows() -> Any:
        yield writer.writerow(header)
        for event in events.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    event.created_at.isoformat(),
                    _cell(event.username),
                    _cell(event.action),
                    _cell(event.model_label),
                    _cell(event.object_id),
                    _cell(event.object_repr),
                    _cell(event.before),
                    _cell(event.after),
                    _cell(event.request_id),
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="audit-{city_obj.slug}-{stamp}.csv"'
    return response
