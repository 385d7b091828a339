"""The learning centre: every page in both languages, the generated indicator guide, the walkthrough."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from safercities.learning import views

pytestmark = pytest.mark.django_db
CONTENT = Path(views.__file__).with_name("templates") / "learning" / "content"


def test_every_page_is_written_in_both_languages_with_the_same_structure():
    for page in (*views.PAGES, "home"):
        english = (CONTENT / "en" / f"{page}.html").read_text(encoding="utf-8")
        spanish = (CONTENT / "es" / f"{page}.html").read_text(encoding="utf-8")
        for tag in ("<h2", "<li", "<dt", "{% url"):
            assert english.count(tag) == spanish.count(tag), (page, tag)


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("name", ["home", "human_security", "indicators", "methods", "audit_walk", "walkthrough"])
def test_pages_answer_in_both_languages(city, lang, name):
    with translation.override(lang):
        response = Client().get(reverse(f"learning:{name}"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{lang}">' in html


def test_human_security_names_the_sources(db):
    for lang, words in (("en", "Freedom from fear"), ("es", "Vivir libres del temor")):
        html = Client().get(f"/{lang}/learn/human-security/").content.decode()
        assert "66/290" in html and words in html and "UN-Habitat" in html.replace("ONU-Hábitat", "UN-Habitat")


def test_audit_walk_has_nine_parameters(db):
    for lang in ("en", "es"):
        html = Client().get(f"/{lang}/learn/safety-audit/").content.decode()
        assert len(re.findall(r"<dt>\d\. ", html)) == 9


def test_methods_link_the_methodology(db):
    html = Client().get("/es/learn/methods/").content.decode()
    assert 'href="/es/methodology/"' in html


def test_indicator_guide_is_generated_from_the_catalogue(city):
    from safercities.indicators.models import Indicator

    hidden = Indicator.objects.get(city=city, code="suicide-rate")
    hidden.is_public = False
    hidden.save()
    html = Client().get(f"/en/learn/indicators/{city.slug}/").content.decode()
    homicide = Indicator.objects.get(city=city, code="homicide-rate")
    assert homicide.name in html
    assert f'href="/en/cities/{city.slug}/indicators/homicide-rate/"' in html
    assert "16.1.1" in html
    assert hidden.name not in html
    assert city.name in Client().get("/en/learn/indicators/").content.decode()
    spanish = Client().get(f"/es/learn/indicators/{city.slug}/").content.decode()
    assert "Qué sentido es peor" in spanish or "sentido" in spanish


def test_private_city_guide_and_walkthrough_are_404_to_outsiders(city, oscar, rita):
    city.is_public = False
    city.save()
    for url in (f"/en/learn/indicators/{city.slug}/", f"/es/learn/walkthrough/{city.slug}/"):
        assert Client().get(url).status_code == 404
        outsider = Client()
        outsider.force_login(oscar)
        assert outsider.get(url).status_code == 404
        member = Client()
        member.force_login(rita)
        assert member.get(url).status_code == 200


def test_walkthrough_links_into_the_demo_city(city):
    from safercities.portal.tests.factories import build_small_city

    build_small_city(city)
    html = Client().get("/en/learn/walkthrough/").content.decode()
    assert "not installed" in html
    city.is_synthetic = True
    city.save()
    for lang in ("en", "es"):
        html = Client().get(f"/{lang}/learn/walkthrough/").content.decode()
        assert f'href="/{lang}/cities/testville/"' in html
        assert f'href="/{lang}/cities/testville/areas/A3/"' in html  # the least secure area (rank 1)
        assert f'href="/{lang}/cities/testville/areas/A3/report.pdf"' in html
        assert html.count('<ol class="steps">') == 1
    steps = views.walkthrough_steps(city)
    assert [s["key"] for s in steps] == ["map", "least", "profile", "alert", "report"]
    assert steps[2]["low"] == 1 and steps[2]["high"] == 1
