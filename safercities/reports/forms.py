"""Forms of the reports app. Validation of a report itself lives in ``actions.submit_report``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from safercities.places.models import Area, City
from safercities.reports.actions import MAX_ADDRESS, MAX_DESCRIPTION
from safercities.reports.models import Department, Report, ReportCategory


class CategoryChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.label() + (" *" if obj.sensitive else "")


class ReportForm(forms.Form):
    """What a resident fills in. Works without JavaScript: the place is an area from the list or an
    address; the map script only fills ``lat``/``lon``."""

    # Codes, not ids, in the form: stable across databases, and a script can post them.
    category = CategoryChoice(
        label=_("What is it about?"),
        queryset=ReportCategory.objects.none(),
        empty_label=_("— choose a category —"),
        to_field_name="code",
    )
    description = forms.CharField(
        label=_("What happened?"),
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": MAX_DESCRIPTION}),
        max_length=MAX_DESCRIPTION * 4,  # the action gives the precise message
        help_text=_("Do not write names or phone numbers of other people."),
    )
    area = forms.ModelChoiceField(
        label=_("Area"),
        queryset=Area.objects.none(),
        required=False,
        empty_label=_("— choose an area —"),
        to_field_name="code",
    )
    address = forms.CharField(label=_("Street, corner or landmark"), required=False, max_length=MAX_ADDRESS * 4)
    lat = forms.CharField(required=False, widget=forms.HiddenInput, max_length=40)
    lon = forms.CharField(required=False, widget=forms.HiddenInput, max_length=40)
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}),
        help_text=_("JPEG, PNG, WebP or GIF up to 5 MB. We remove the location and camera data."),
    )
    anonymous = forms.BooleanField(
        label=_("Report without any identity (no account, no contact details are stored)"), required=False
    )
    contact_name = forms.CharField(label=_("Your name"), required=False, max_length=800)
    contact_email = forms.CharField(
        label=_("Your e-mail"),
        required=False,
        max_length=1000,
        widget=forms.EmailInput,
        help_text=_("To tell you when the city answers. Never published."),
    )
    contact_phone = forms.CharField(label=_("Your phone"), required=False, max_length=160)
    consent = forms.BooleanField(
        label=_("I agree that the city stores this report to act on it, and may publish it without my personal data."),
        required=True,
    )
    # A honeypot: hidden from people by CSS and labelled for screen readers as "leave empty".
    website = forms.CharField(label=_("Leave this field empty"), required=False, max_length=200)

    def __init__(self, *args: Any, city: City, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.city = city
        self.fields["category"].queryset = ReportCategory.objects.filter(city=city, active=True).order_by("name")
        self.fields["area"].queryset = Area.objects.filter(city=city).exclude(level="city").order_by("name")


class PublishForm(forms.Form):
    public_text = forms.CharField(
        label=_("Text to publish"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=MAX_DESCRIPTION * 2,
        help_text=_("Remove names, phone numbers, licence plates and anything else that identifies a person."),
    )


class ModerateForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("", _("— choose —")),
            (Report.SPAM, _("spam or abuse")),
            (Report.REJECTED, _("reject")),
            (Report.PENDING, _("back to pending")),
        ],
    )


class AssignForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False, empty_label=_("— none —")
    )

    def __init__(self, *args: Any, city: City, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(city=city)


class UpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), required=False)
    text = forms.CharField(
        label=_("Answer"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=MAX_DESCRIPTION * 2
    )
    public = forms.BooleanField(label=_("Public (the reporter and everyone see it)"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("— unchanged —")), *Report.STATUSES]


class MergeForm(forms.Form):
    into = forms.CharField(label=_("Reference of the original report"), max_length=16)


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Your comment"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    website = forms.CharField(label=_("Leave this field empty"), required=False, max_length=200)


class PersonForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address of the person"))
    action = forms.ChoiceField(choices=[("find", _("find")), ("export", _("export")), ("erase", _("erase"))])


class GrantForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
