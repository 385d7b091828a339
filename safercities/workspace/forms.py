"""Forms of the workspace. Every form posts with Django's CSRF token (none is exempt)."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.forms import modelformset_factory
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from safercities.accounts.models import Role
from safercities.analytics.composite import AGGREGATIONS, DIMENSIONS, IMPUTATIONS, NORMALISATIONS
from safercities.indicators.models import Dimension, Indicator
from safercities.ingest.models import ImportRun
from safercities.monitoring.models import Alert
from safercities.places.models import City
from safercities.workspace import imports
from safercities.workspace.actions import CITY_ROLES, staff_of


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=ImportRun.KINDS)
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV, Excel (.xlsx), GeoJSON, zipped Shapefile or GeoPackage."),
    )

    def clean_file(self) -> Any:
        file = self.cleaned_data["file"]
        limit = imports.max_upload_bytes()
        if file.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s; the limit is %(limit)s."),
                params={"size": filesizeformat(file.size), "limit": filesizeformat(limit)},
            )
        if file.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        return file


class ImportRunFilter(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("all")), *ImportRun.KINDS], required=False)
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("all")), *ImportRun.STATUSES], required=False)


class AlertFilter(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("open", _("open (new or acknowledged)")), ("", _("all")), *Alert.STATUSES],
        required=False,
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=[("", _("all")), *Alert.SEVERITIES], required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("all")), *Alert.KINDS], required=False)


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assign to"), queryset=None, required=False, empty_label=_("nobody"))

    def __init__(self, *args: Any, city: City, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff_of(city)


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


def _indicator_choices(city: City) -> list[tuple[str, list[tuple[str, str]]]]:
    groups: dict[str, list[tuple[str, str]]] = {}
    for indicator in (
        Indicator.objects.filter(city=city).select_related("dimension").order_by("dimension__order", "code")
    ):
        groups.setdefault(str(indicator.dimension), []).append(
            (indicator.code, f"{indicator.translated('name')} ({indicator.code})")
        )
    return list(groups.items())


METHOD_LABELS = {
    "minmax": _("min–max (0–10)"),
    "zscore": _("z-score"),
    "target": _("distance to target"),
    "none": _("none (re-weight over available indicators)"),
    "dimension_mean": _("mean of the dimension"),
    "median": _("median of the indicator"),
    "geometric": _("geometric mean (limited compensation)"),
    "arithmetic": _("arithmetic mean (full compensation)"),
    "equal": _("equal"),
    "pca": _("principal components"),
}


class IndexBuilderForm(forms.Form):
    name = forms.CharField(label=_("Name of the index"), max_length=200)
    indicators = forms.MultipleChoiceField(label=_("Indicators"), widget=forms.CheckboxSelectMultiple)
    normalisation = forms.ChoiceField(label=_("Normalisation"), choices=[(c, METHOD_LABELS[c]) for c in NORMALISATIONS])
    imputation = forms.ChoiceField(label=_("Missing values"), choices=[(c, METHOD_LABELS[c]) for c in IMPUTATIONS])
    # "custom" needs a weight per indicator; this form offers the two that need none.
    weighting = forms.ChoiceField(
        label=_("Indicator weights"), choices=[(c, METHOD_LABELS[c]) for c in ("equal", "pca")]
    )
    aggregation = forms.ChoiceField(label=_("Across dimensions"), choices=[(c, METHOD_LABELS[c]) for c in AGGREGATIONS])
    level = forms.ChoiceField(label=_("Area level of the preview"))

    def __init__(self, *args: Any, city: City, levels: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indicators"].choices = _indicator_choices(city)
        self.fields["level"].choices = [(level, level) for level in levels]
        names = {dimension.code: str(dimension) for dimension in Dimension.objects.all()}
        for code in DIMENSIONS:
            self.fields[f"weight_{code}"] = forms.FloatField(
                label=names.get(code, code), min_value=0, max_value=100, initial=1, required=False
            )

    def dimension_fields(self) -> list[forms.BoundField]:
        return [self[f"weight_{code}"] for code in DIMENSIONS]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        weights = {code: data.get(f"weight_{code}") for code in DIMENSIONS}
        if all(value == 0 for value in weights.values() if value is not None) and any(
            value is not None for value in weights.values()
        ):
            raise forms.ValidationError(_("At least one dimension needs a weight above zero."))
        return data

    def method_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "indicators": tuple(data["indicators"]),
            "normalisation": data["normalisation"],
            "imputation": data["imputation"],
            "weighting": data["weighting"],
            "aggregation": data["aggregation"],
            "dimension_weights": {
                code: float(data[f"weight_{code}"]) for code in DIMENSIONS if data.get(f"weight_{code}") is not None
            },
        }


class CitySettingsForm(forms.ModelForm):
    languages = forms.MultipleChoiceField(
        label=_("Languages"), choices=settings.LANGUAGES, widget=forms.CheckboxSelectMultiple
    )
    timezone = forms.ChoiceField(label=_("Time zone"))

    class Meta:
        model = City
        fields = ["languages", "timezone", "h3_resolution"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = [(tz, tz) for tz in sorted(zoneinfo.available_timezones())]
        if not self.is_bound:
            self.initial["languages"] = self.instance.language_list

    def clean_languages(self) -> str:
        return ",".join(self.cleaned_data["languages"])


class IndicatorSettingsForm(forms.ModelForm):
    class Meta:
        model = Indicator
        fields = ["is_public", "threshold_amber", "threshold_red"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        amber, red = data.get("threshold_amber"), data.get("threshold_red")
        if amber is not None and red is not None:
            if self.instance.higher_is_worse and red < amber:
                raise forms.ValidationError(_("Higher is worse here, so the red threshold must not be below amber."))
            if not self.instance.higher_is_worse and red > amber:
                raise forms.ValidationError(_("Higher is better here, so the red threshold must not be above amber."))
        return data


IndicatorSettingsFormSet = modelformset_factory(Indicator, form=IndicatorSettingsForm, extra=0, can_delete=False)

ROLE_CHOICES = [(role.value, role.label) for role in CITY_ROLES]


class AddMemberForm(forms.Form):
    identifier = forms.CharField(
        label=_("User name or e-mail address"),
        max_length=254,
        help_text=_("Someone new is invited by e-mail and chooses their own password."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES, initial=Role.ANALYST)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)
