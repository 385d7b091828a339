"""Template helpers: a protected value shown the same way everywhere."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safercities.portal.queries import Value

register = template.Library()


@register.simple_tag
def value(item: Value | None, unit: str = "") -> SafeString:
    """``<5`` with an explanation when withheld, "no data" when missing, else the localised number."""
    if item is None or (item.value is None and not item.withheld):
        return format_html('<span class="nodata">{}</span>', _("no data"))
    if item.withheld:
        return format_html(
            '<abbr class="withheld" title="{}">&lt;{}</abbr>',
            _("Fewer than %(k)s: withheld to protect privacy") % {"k": item.threshold},
            item.threshold,
        )
    text = number_format(item.value, item.decimals, use_l10n=True, force_grouping=True)
    if unit:
        return format_html('{} <span class="unit">{}</span>', text, unit)
    return format_html("{}", text)


@register.simple_tag
def number(item: float | None, decimals: int = 1) -> str:
    if item is None:
        return "–"
    return number_format(item, decimals, use_l10n=True, force_grouping=True)


@register.filter
def get(mapping: dict, key: object) -> object:
    return mapping.get(key) if mapping else None


@register.simple_tag(takes_context=True)
def translated_path(context: template.Context, language: str) -> str:
    """This page in another language (same path and query), for plain language-switch links."""
    from django.urls import translate_url

    request = context.get("request")
    if request is None:
        return f"/{language}/"
    return translate_url(request.get_full_path(), language)


@register.filter
def tr(item: object, field: str = "name") -> str:
    """Catalogue text (indicator, dimension) in the current language."""
    translated = getattr(item, "translated", None)
    return translated(field) if translated else ""


LEVELS = {
    "city": gettext_lazy("city"),
    "district": gettext_lazy("districts"),
    "neighbourhood": gettext_lazy("neighbourhoods"),
    "ward": gettext_lazy("wards"),
    "municipality": gettext_lazy("municipalities"),
}


@register.filter
def level_label(level: str) -> str:
    return str(LEVELS.get(level, level))


CATEGORIES = {
    "female": gettext_lazy("female"),
    "male": gettext_lazy("male"),
    "other": gettext_lazy("other"),
    "with_disability": gettext_lazy("with disability"),
    "without_disability": gettext_lazy("without disability"),
}


@register.filter
def category_label(code: str) -> str:
    """A breakdown category (stored as a code: ``female``, ``with_disability``) in the reader's language."""
    return str(CATEGORIES.get(code, code))
