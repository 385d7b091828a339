"""PDF reports: status, content, language, disclosure control, no network, who may read them."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import translation

from safercities.portal import reports
from safercities.portal.tests.factories import build_small_city


@pytest.fixture
def small(city):
    city.is_synthetic = True
    city.save(update_fields=["is_synthetic"])
    return build_small_city(city)


def _html(city, path: str, area=None, language: str = "en") -> str:
    request = RequestFactory().get(path)
    request.user = AnonymousUser()
    with translation.override(language):
        return reports.area_html(request, city, area) if area else reports.city_html(request, city)


def _pdf_text(content: bytes) -> str:
    """The PDF's text (pdftotext from poppler-utils, else pypdf), whitespace collapsed."""
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True).stdout.decode()
    else:
        pypdf = pytest.importorskip("pypdf", reason="neither pdftotext nor pypdf to read the PDF")
        import io

        text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.split())


def _row(html: str, name: str) -> str:
    match = re.search(rf"<tr><th>{re.escape(name)} <span class=\"unit\">.*?</tr>", html, re.S)
    assert match, f"no row for {name}"
    return match[0]


def test_city_report_html_has_every_section_and_protects_counts(small, city):
    html = _html(city, "/en/cities/testville/report.pdf")
    for text in (
        "Testville",
        "City safety profile",
        "Synthetic demo data",
        "Ranking on the Human Security Index",
        "The seven dimensions",
        "Key indicators",
        "Alerts",
        "Hot spots",
        "Data sources",
        "Methodology notes",
    ):
        assert text in html, text
    assert html.count('<svg class="map-svg"') >= 1 + 5  # the index map and the dimensions with scores
    # The alert's observed 3 and expected 1.2 are withheld; its free-text explanation is not printed.
    assert "observed 3 against" not in html and "&lt;5</abbr>" in html
    assert "Suicide" not in html  # non-public indicator
    # Nothing but the installation's own stylesheet is referenced.
    assert re.findall(r'(?:href|src)="([^"#]+)"', html) == ["/static/portal/report.css"]


def test_area_report_html_withholds_the_small_count(small, city):
    html = _html(city, "/en/cities/testville/areas/A1/report.pdf", area=small["areas"][0])
    row = _row(html, "Fire incidents")
    assert "&lt;5" in row and ">3<" not in row
    assert "Alameda" in html and "Synthetic demo data" in html
    # Barrio Bravo's 12 is withheld on the map so that Alameda's 3 cannot be worked out from the city
    # total; the printed profile withholds it too, and so does the area page (test_views).
    row = _row(_html(city, "/en/cities/testville/areas/A2/report.pdf", area=small["areas"][1]), "Fire incidents")
    assert "&lt;5" in row and ">12<" not in row


def test_spanish_html(small, city):
    html = _html(city, "/es/cities/testville/report.pdf", language="es")
    assert '<html lang="es">' in html and "Tasa de desempleo" in html
    with translation.override("es"):
        assert reports.generated_on(city) in html


def test_url_fetcher_serves_static_files_only():
    pytest.importorskip("weasyprint")
    fetcher = reports.make_url_fetcher("http://testserver/")
    response = fetcher("http://testserver/static/portal/report.css")
    assert b"@page" in response.read() and response.content_type == "text/css"
    for url in (
        "http://example.com/static/portal/report.css",
        "https://testserver/static/portal/report.css",
        "file:///etc/passwd",
        "http://testserver/static/../../settings.py",
        "http://testserver/static/%2e%2e/settings.py",
        "http://testserver/en/cities/testville/",
        "data:text/css,body{}",
    ):
        with pytest.raises(ValueError):
            fetcher(url)


def test_city_report_pdf(client, small):
    pytest.importorskip("weasyprint")
    response = client.get("/en/cities/testville/report.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    assert 'filename="testville-safety-profile-en.pdf"' in response["Content-Disposition"]
    text = _pdf_text(response.content)
    assert "Testville" in text and "Synthetic demo data" in text and "Ranking on the Human Security Index" in text
    assert "<5" in text and "observed 3 against" not in text


def test_reports_pdf_in_spanish_and_area(client, small, city):
    pytest.importorskip("weasyprint")
    text = _pdf_text(client.get("/es/cities/testville/report.pdf").content)
    with translation.override("es"):
        assert reports.generated_on(city) in text
    assert "Tasa de desempleo" in text and "Testville" in text
    response = client.get("/en/cities/testville/areas/A1/report.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    assert "Alameda" in text and "Synthetic demo data" in text
    assert re.search(r"Fire incidents incidents 2024 <5", text), text[:2000]


def test_non_public_city_and_unknown_area_are_404(client, small, city):
    assert client.get("/en/cities/testville/areas/NOPE/report.pdf").status_code == 404
    city.is_public = False
    city.save(update_fields=["is_public"])
    assert client.get("/en/cities/testville/report.pdf").status_code == 404
    assert client.get("/en/cities/testville/areas/A1/report.pdf").status_code == 404
    assert client.get("/en/cities/nowhere/report.pdf").status_code == 404
