"""Forms: every choice limited to the city of the URL, every error named by its field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safercities.community.models import (
    PARAMETERS,
    RATINGS,
    Action,
    Appraisal,
    AuditLocation,
    Finding,
    GroupMember,
    MappingPoint,
    Meeting,
    Recommendation,
    WorkingGroup,
)
from safercities.indicators.models import Indicator
from safercities.places.models import Area, City


class DateInput(forms.DateInput):
    input_type = "date"


class CityForm(forms.ModelForm):
    """A model form whose area/indicator choices are those of one city."""

    def __init__(self, *args: Any, city: City, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.city = city
        if "area" in self.fields:
            self.fields["area"].queryset = Area.objects.filter(city=city).order_by("level", "code")
        if "areas" in self.fields:
            self.fields["areas"].queryset = Area.objects.filter(city=city).order_by("level", "code")
        if "indicators" in self.fields:
            self.fields["indicators"].queryset = Indicator.objects.filter(city=city).order_by("code")


class GroupForm(CityForm):
    class Meta:
        model = WorkingGroup
        fields = ["name", "mandate", "areas", "is_public"]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = WorkingGroup.objects.filter(city=self.city, name__iexact=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("The city already has a group of this name."))
        return name


class MemberForm(forms.ModelForm):
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        label=_("User account (optional)"),
        help_text=_("Leave empty for a participant without an account, and give a name."),
    )

    class Meta:
        model = GroupMember
        fields = ["user", "name", "role", "sex", "age_group", "disability", "joined_on"]
        widgets = {"joined_on": DateInput}

    def __init__(self, *args: Any, city: City, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False
        self.fields["user"].queryset = (
            get_user_model().objects.filter(memberships__city=city).distinct().order_by("username")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("user") and not (data.get("name") or "").strip():
            self.add_error("name", _("Give a name, or pick a user."))
        return data


class MeetingForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["date", "minutes", "decisions"]
        widgets = {"date": DateInput}


class AppraisalForm(CityForm):
    class Meta:
        model = Appraisal
        fields = ["kind", "title", "area", "date", "summary", *Appraisal.PARTICIPANT_FIELDS]
        widgets = {"date": DateInput}

    def clean_date(self) -> Any:
        day = self.cleaned_data["date"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        names = Appraisal.PARTICIPANT_FIELDS
        if any(data.get(n) is None for n in names):
            return data
        by_sex = data["participants_female"] + data["participants_male"] + data["participants_other_sex"]
        by_age = data["participants_youth"] + data["participants_adult"] + data["participants_older"]
        if by_age > by_sex:
            self.add_error("participants_youth", _("The age groups add up to more than the participants by sex."))
        if data["participants_disability"] > by_sex:
            self.add_error("participants_disability", _("More participants with a disability than participants."))
        return data


RATING_CHOICES = [("", _("not assessed")), *[(str(value), label) for value, label in RATINGS]]


class LocationForm(forms.ModelForm):
    class Meta:
        model = AuditLocation
        fields = ["description", "lat", "lon", *[code for code, _label in PARAMETERS], "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, _label in PARAMETERS:
            self.fields[code] = forms.TypedChoiceField(
                label=self.fields[code].label, choices=RATING_CHOICES, coerce=int, empty_value=None, required=False
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (data.get("lat") is None) != (data.get("lon") is None) and not self.errors.get("lat"):
            self.add_error("lat", _("Give both latitude and longitude, or neither."))
        if all(data.get(code) is None for code, _label in PARAMETERS) and not self.errors:
            self.add_error("lighting", _("Rate at least one parameter at this location."))
        return data


class PointForm(forms.ModelForm):
    class Meta:
        model = MappingPoint
        fields = ["category", "lat", "lon", "note"]


class FindingForm(forms.ModelForm):
    class Meta:
        model = Finding
        fields = ["theme", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label=_("Photo"), help_text=_("JPEG, PNG, WebP or GIF, up to 10 MB. Location data is removed.")
    )
    caption = forms.CharField(label=_("Caption"), max_length=200, required=False)


class RecommendationForm(forms.ModelForm):
    class Meta:
        model = Recommendation
        fields = ["text", "appraisal", "meeting"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, city: City, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["appraisal"].queryset = Appraisal.objects.filter(city=city)
        self.fields["meeting"].queryset = Meeting.objects.filter(group__city=city).select_related("group")


class ActionForm(CityForm):
    class Meta:
        model = Action
        fields = [
            "title",
            "description",
            "recommendation",
            "owner_department",
            "area",
            "indicators",
            "budget",
            "start_date",
            "due_date",
            "status",
            "is_public",
        ]
        widgets = {"start_date": DateInput, "due_date": DateInput, "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, city: City, **kwargs: Any) -> None:
        super().__init__(*args, city=city, **kwargs)
        self.fields["recommendation"].queryset = Recommendation.objects.filter(city=city)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, due = data.get("start_date"), data.get("due_date")
        if start and due and due < start:
            self.add_error("due_date", _("The due date cannot be before the start date."))
        return data


class UpdateForm(forms.Form):
    text = forms.CharField(label=_("Progress update"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    status = forms.ChoiceField(
        label=_("New status (optional)"), choices=[("", _("unchanged")), *Action.STATUSES], required=False
    )


class FollowForm(forms.Form):
    email = forms.EmailField(label=_("Your e-mail address"), max_length=254)
