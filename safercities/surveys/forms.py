"""The questionnaire (works without JavaScript) and the staff form that opens a round."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from safercities.places.models import Area
from safercities.surveys.models import SurveyRound

FEELING_CHOICES = [
    ("very_safe", _("Very safe")),
    ("safe", _("Safe")),
    ("unsafe", _("Unsafe")),
    ("very_unsafe", _("Very unsafe")),
]
PREFER_NOT = ("prefer_not", _("I prefer not to say"))
HARASSMENT_CHOICES = [("yes", _("Yes")), ("no", _("No")), PREFER_NOT]
SEX_CHOICES = [("female", _("Female")), ("male", _("Male")), ("other", _("Other")), PREFER_NOT]
AGE_CHOICES = [("15-29", _("15 to 29")), ("30-59", _("30 to 59")), ("60+", _("60 or older")), PREFER_NOT]
DISABILITY_CHOICES = [("with_disability", _("Yes")), ("without_disability", _("No")), PREFER_NOT]
PLACE_CHOICES = [
    ("streets", _("Streets")),
    ("public_transport", _("Public transport")),
    ("transport_stops", _("Bus stops and stations")),
    ("parks", _("Parks")),
    ("markets", _("Markets")),
    ("schools", _("Around schools")),
    ("nightlife", _("Bars and nightlife")),
    ("other", _("Other places")),
]
PLACE_LABELS = dict(PLACE_CHOICES)
GROUP_LABELS = {
    "": _("All respondents"),
    "female": _("Women"),
    "male": _("Men"),
    "15-29": _("15 to 29"),
    "30-59": _("30 to 59"),
    "60+": _("60 or older"),
    "with_disability": _("With disability"),
    "without_disability": _("Without disability"),
}


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Area) -> str:
        return obj.name


class SurveyForm(forms.Form):
    """One answer sheet. Every question names itself in its error; nothing identifies the respondent."""

    area = AreaChoiceField(
        queryset=Area.objects.none(), label=_("In which area do you live?"), empty_label=_("Choose your area")
    )
    day_feeling = forms.ChoiceField(
        label=_("How safe do you feel walking alone in your area during the day?"),
        choices=FEELING_CHOICES,
        widget=forms.RadioSelect,
    )
    night_feeling = forms.ChoiceField(
        label=_("How safe do you feel walking alone in your area after dark?"),
        choices=FEELING_CHOICES,
        widget=forms.RadioSelect,
    )
    places_avoided = forms.MultipleChoiceField(
        label=_("Which places do you avoid because you feel unsafe there? (tick all that apply)"),
        choices=PLACE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    avoided_area = AreaChoiceField(
        queryset=Area.objects.none(),
        label=_("In which area are most of the places you avoid? (optional)"),
        required=False,
        empty_label=_("No area in particular"),
    )
    harassment = forms.ChoiceField(
        label=_(
            "In the last 12 months, has anyone harassed you in a public place (for example with insults, "
            "threats, unwanted touching or sexual comments)?"
        ),
        choices=HARASSMENT_CHOICES,
        widget=forms.RadioSelect,
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=SEX_CHOICES, widget=forms.RadioSelect)
    age_group = forms.ChoiceField(label=_("Age"), choices=AGE_CHOICES, widget=forms.RadioSelect)
    disability = forms.ChoiceField(
        label=_(
            "Do you have a lot of difficulty, or can you not do at all, any of these: seeing, hearing, "
            "walking or climbing steps, remembering or concentrating, self-care, communicating?"
        ),
        choices=DISABILITY_CHOICES,
        widget=forms.RadioSelect,
    )
    # Honeypot: hidden from people (CSS and aria-hidden); a bot that fills it is thanked and ignored.
    website = forms.CharField(label=_("Leave this field empty"), required=False, max_length=200)

    def __init__(self, *args, survey: SurveyRound, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        areas = Area.objects.filter(city=survey.city, level=survey.area_level).order_by("name")
        self.fields["area"].queryset = areas
        self.fields["avoided_area"].queryset = areas
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})

    @property
    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get("website"))


class RoundForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    period = forms.CharField(label=_("Period"), max_length=16, help_text=_("For example 2026, 2026Q1 or 2026-03."))
    area_level = forms.ChoiceField(label=_("Areas respondents choose from"))
    min_respondents = forms.IntegerField(
        label=_("Minimum respondents per published cell"), min_value=2, max_value=100, initial=5
    )

    def __init__(self, *args, city, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        levels = Area.objects.filter(city=city).values_list("level", flat=True).distinct().order_by("level")
        self.fields["area_level"].choices = [(level, level) for level in levels]
