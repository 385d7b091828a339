"""Forms of the crises pages: every field validated on the server, errors named by field."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safercities.crises.actions import DrawnAreaError, areas_intersecting, outline_from_geojson
from safercities.crises.models import REACHED_FIELDS, Activity, Crisis, Organisation, OrgType, Phase, Scenario
from safercities.indicators.models import DIMENSION_CODES, Dimension, Indicator
from safercities.places.models import Area, City

MAX_OUTLINE_BYTES = 2_000_000


class AreaChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Area) -> str:
        return f"{obj.code} — {obj.name}"


class CrisisForm(forms.ModelForm):
    areas = AreaChoices(
        queryset=Area.objects.none(), required=False, widget=forms.CheckboxSelectMultiple, label=_("Affected areas")
    )
    outline = forms.CharField(
        label=_("Or paste an outline (GeoJSON polygon)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The areas the polygon overlaps are added to the affected areas."),
    )
    outline_file = forms.FileField(label=_("Or upload a GeoJSON file with the outline"), required=False)

    class Meta:
        model = Crisis
        fields = ["name", "hazard", "phase", "started_on", "description", "indicator"]
        widgets = {
            "started_on": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, city: City, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.city = city
        levels = list(Area.objects.filter(city=city).exclude(parent=None).values_list("level", flat=True).distinct())
        choices = Area.objects.filter(city=city, level__in=levels) if levels else Area.objects.filter(city=city)
        self.fields["areas"].queryset = choices.order_by("code")
        self.fields["indicator"].queryset = Indicator.objects.filter(city=city).order_by("code")
        self.fields["indicator"].required = False
        if self.instance.pk:
            self.fields["areas"].initial = list(self.instance.areas.values_list("pk", flat=True))
        self.drawn: dict | None = None
        self.drawn_areas: list[Area] = []

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = Crisis.objects.filter(city=self.city, name__iexact=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("This city already has a crisis with this name."))
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        text = (data.get("outline") or "").strip()
        upload = data.get("outline_file")
        if upload is not None:
            if upload.size > MAX_OUTLINE_BYTES:
                self.add_error("outline_file", _("The file is larger than 2 MB."))
                return data
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                self.add_error("outline_file", _("The file is not UTF-8 text."))
                return data
        if text:
            field = "outline_file" if upload is not None else "outline"
            try:
                outline = outline_from_geojson(text)
            except DrawnAreaError as exc:
                self.add_error(field, _("The outline cannot be used: %(reason)s.") % {"reason": exc})
                return data
            level = None
            chosen = list(data.get("areas") or [])
            if chosen:
                level = chosen[0].level
            else:
                queryset = self.fields["areas"].queryset
                level = queryset.values_list("level", flat=True).first()
            self.drawn_areas = areas_intersecting(self.city, outline, level)
            if not self.drawn_areas:
                self.add_error(field, _("The outline overlaps none of the city's areas."))
                return data
            self.drawn = json.loads(json.dumps(outline.__geo_interface__))
        if not (data.get("areas") or self.drawn_areas) and not self.errors:
            self.add_error("areas", _("Choose at least one affected area, or give an outline."))
        return data

    def chosen_areas(self) -> list[Area]:
        chosen = {a.pk: a for a in self.cleaned_data.get("areas") or []}
        for area in self.drawn_areas:
            chosen.setdefault(area.pk, area)
        return sorted(chosen.values(), key=lambda a: a.code)


class PhaseForm(forms.Form):
    phase = forms.ChoiceField(label=_("New phase"), choices=Phase.choices)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class EndForm(forms.Form):
    ended_on = forms.DateField(label=_("End date"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, crisis: Crisis, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.crisis = crisis
        self.fields["ended_on"].initial = timezone.localdate()

    def clean_ended_on(self) -> Any:
        value = self.cleaned_data["ended_on"]
        if value < self.crisis.started_on:
            raise forms.ValidationError(_("The end date is before the start date."))
        return value


class ImportForm(forms.Form):
    file = forms.FileField(label=_("4W sheet (CSV or XLSX with HXL hashtags)"))
    dry_run = forms.BooleanField(label=_("Check only, write nothing"), required=False)


def need_choices(city: City) -> list[tuple[str, Any]]:
    dimensions = {d.code: d for d in Dimension.objects.all()}
    choices: list[tuple[str, Any]] = [("index", _("Composite index"))]
    choices += [(code, dimensions[code].name if code in dimensions else code) for code in DIMENSION_CODES]
    choices += [(i.code, f"{i.code} — {i.name}") for i in Indicator.objects.filter(city=city).order_by("code")]
    return choices


class ScenarioForm(forms.ModelForm):
    class Meta:
        model = Scenario
        fields = ["name", "need", "scope", "budget", "floor", "cap"]

    def __init__(self, *args: Any, crisis: Crisis, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.crisis = crisis
        self.fields["need"] = forms.ChoiceField(label=_("Need basis"), choices=need_choices(crisis.city))
        for name in ("budget", "floor", "cap"):
            self.fields[name].widget.attrs["min"] = "0"

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if Scenario.objects.filter(crisis=self.crisis, name__iexact=name).exists():
            raise forms.ValidationError(_("This crisis already has a scenario with this name."))
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        budget, floor, cap = data.get("budget"), data.get("floor"), data.get("cap")
        for name in ("budget", "floor", "cap"):
            value = data.get(name)
            if value is not None and value < 0:
                self.add_error(name, _("Must not be negative."))
        if budget is not None and budget <= 0 and "budget" not in self.errors:
            self.add_error("budget", _("The budget must be more than zero."))
        if floor is not None and cap is not None and floor > cap:
            self.add_error("cap", _("The cap is below the floor."))
        if floor is None:
            data["floor"] = Decimal(0)
        return data


class SitrepForm(forms.Form):
    date = forms.DateField(label=_("Situation on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class ActivityForm(forms.ModelForm):
    """One activity typed in by hand; a new organisation can be named on the spot."""

    new_organisation = forms.CharField(label=_("Or a new organisation"), max_length=200, required=False)
    new_acronym = forms.CharField(label=_("Its acronym"), max_length=40, required=False)
    new_type = forms.ChoiceField(label=_("Its type"), choices=OrgType.choices, initial=OrgType.OTHER, required=False)

    class Meta:
        model = Activity
        fields = ["organisation", "sector", "description", "area", "start", "end", "status", *REACHED_FIELDS]
        widgets = {"start": forms.DateInput(attrs={"type": "date"}), "end": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, crisis: Crisis, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.crisis = crisis
        self.fields["organisation"].queryset = Organisation.objects.filter(city=crisis.city).order_by("name")
        self.fields["organisation"].required = False
        self.fields["area"].queryset = Area.objects.filter(city=crisis.city).order_by("code")
        for name in REACHED_FIELDS:
            self.fields[name].widget.attrs["min"] = "0"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        name = (data.get("new_organisation") or "").strip()
        if not data.get("organisation") and not name:
            self.add_error("organisation", _("Choose an organisation or name a new one."))
        if name and Organisation.objects.filter(city=self.crisis.city, name__iexact=name).exists():
            self.add_error("new_organisation", _("This organisation exists already: choose it in the list."))
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end date is before the start date."))
        return data
