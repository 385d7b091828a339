"""Forms of the library: the practice editor, the search, the comment."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from safercities.indicators.models import Dimension
from safercities.practices.models import LANGUAGE_CODES, TEXT_FIELDS, Practice

REQUIRED_TEXT = ("title", "context", "problem", "intervention", "results")


class PracticeForm(forms.ModelForm):
    dimensions = forms.ModelMultipleChoiceField(
        Dimension.objects.all(), required=False, widget=forms.CheckboxSelectMultiple, label=_("Dimensions")
    )

    class Meta:
        model = Practice
        fields = [
            "language",
            *(f"{name}_{code}" for code in LANGUAGE_CODES for name in TEXT_FIELDS),
            "evidence_level",
            "cost_amount",
            "cost_currency",
            "cost_text",
            "contact",
            "phase",
            "dimensions",
        ]
        widgets = {
            f"{name}_{code}": forms.Textarea(attrs={"rows": 4})
            for code in LANGUAGE_CODES
            for name in TEXT_FIELDS
            if name != "title"
        }

    def clean_cost_currency(self) -> str:
        return (self.cleaned_data.get("cost_currency") or "").strip().upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        original = data.get("language")
        if original not in LANGUAGE_CODES:
            return data
        for name in REQUIRED_TEXT:
            if not (data.get(f"{name}_{original}") or "").strip():
                self.add_error(f"{name}_{original}", _("Required in the language of the text."))
        other = "es" if original == "en" else "en"
        translated = [name for name in TEXT_FIELDS if (data.get(f"{name}_{other}") or "").strip()]
        if translated and not (data.get(f"title_{other}") or "").strip():
            self.add_error(f"title_{other}", _("A translation needs its title."))
        if data.get("cost_amount") is not None and not data.get("cost_currency"):
            self.add_error("cost_currency", _("Give the currency of the amount."))
        return data

    def language_fields(self, code: str) -> list[forms.BoundField]:
        return [self[f"{name}_{code}"] for name in TEXT_FIELDS]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    dimension = forms.ChoiceField(label=_("Dimension"), required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)
    phase = forms.ChoiceField(label=_("Crisis phase"), required=False, choices=[("", _("any"))] + list(Practice.PHASES))

    def __init__(self, *args: Any, countries: list[str] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        self.fields["dimension"].choices = [("", _("any"))] + [(d.code, str(d)) for d in Dimension.objects.all()]
        self.fields["country"].choices = [("", _("any"))] + [(c, c) for c in countries]


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Your comment"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError(_("Write something."))
        return text
