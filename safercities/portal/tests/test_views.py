"""Public pages: status, content, disclosure control and who may see what."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from safercities.portal.tests.factories import build_small_city


@pytest.fixture
def small(city):
    return build_small_city(city)


def _row(html: str, name: str) -> str:
    """The table row that names an area (its cells, without the link)."""
    match = re.search(rf"<tr><th scope=\"row\"><a [^>]*>{re.escape(name)}</a></th>(.*?)</tr>", html, re.S)
    assert match, f"no row for {name}"
    return match[1]


def test_home_lists_public_cities_only(client, small, other_city):
    other_city.is_public = False
    other_city.save(update_fields=["is_public"])
    html = client.get("/en/").content.decode()
    assert "Testville" in html and reverse("portal:city", args=["testville"]) in html
    assert "Otherburg" not in html


def test_city_page_shows_map_ranking_and_explanation(client, small):
    response = client.get("/en/cities/testville/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and html.count('<a href="/en/cities/testville/areas/') >= 3
    assert "Centro Claro</strong> is the least secure" in html
    assert "always 1 of 3" in html and "between 2 and 3 of 3" in html
    assert "Red alert" in html
    # CSP: no inline styles, no inline scripts.
    assert ' style="' not in html and "<script>" not in html


def test_small_count_is_withheld_on_page_and_in_json(client, small):
    html = client.get("/en/cities/testville/?layer=fire-incidents&period=2024").content.decode()
    cell = _row(html, "Alameda")
    assert "&lt;5" in cell and ">3<" not in cell
    # Secondary suppression: with the total published, the next-smallest count (12) is withheld too.
    assert "&lt;5" in _row(html, "Barrio Bravo")
    assert ">20<" in _row(html, "Centro Claro")
    data = json.loads(client.get("/en/cities/testville/map.json?layer=fire-incidents&period=2024").content)
    by_code = {f["properties"]["code"]: f["properties"] for f in data["features"]}
    assert by_code["A1"]["value"] is None and by_code["A1"]["withheld"] is True
    assert by_code["A1"]["display"] == "<5"
    assert 3 not in [f["properties"]["value"] for f in data["features"]]
    assert by_code["A3"]["value"] == 20
    assert data["features"][0]["geometry"]["type"] == "Polygon"


def test_alert_count_of_three_is_not_shown(client, small):
    html = client.get("/en/cities/testville/areas/A1/").content.decode()
    alerts = html[html.index('class="alerts"') :]
    alerts = alerts[: alerts.index("</ul>")]
    assert "observed <abbr" in alerts and " 3" not in alerts and "3." not in alerts


def test_rate_on_a_small_numerator_is_withheld(client, small):
    html = client.get("/en/cities/testville/indicators/unemployment-rate/").content.decode()
    # The disability breakdown rests on 2 people: withheld; the sexes are shown.
    assert "with disability" in html  # the stored code, shown as words (category_label)
    row = re.search(r"with disability</th><td class=\"num\">(.*?)</td>", html, re.S)[1]
    assert "&lt;5" in row
    assert "21.0" in html or "21,0" in html


def test_non_public_indicator_is_404_everywhere(client, small):
    assert client.get("/en/cities/testville/indicators/suicide-rate/").status_code == 404
    assert client.get("/en/cities/testville/?layer=suicide-rate").status_code == 404
    assert client.get("/en/cities/testville/map.json?layer=suicide-rate").status_code == 404
    assert client.get("/en/cities/testville/?layer=no-such-thing").status_code == 404
    html = client.get("/en/cities/testville/").content.decode()
    assert "suicide-rate" not in html
    assert "77.7" not in client.get("/en/cities/testville/areas/A1/").content.decode()


def test_outsider_cannot_see_a_non_public_city(client, small, oscar, rita):
    small["city_area"].city.is_public = False
    small["city_area"].city.save(update_fields=["is_public"])
    for path in ("/en/cities/testville/", "/en/cities/testville/areas/A1/", "/en/cities/testville/map.json"):
        assert client.get(path).status_code == 404
    client.force_login(oscar)
    assert client.get("/en/cities/testville/").status_code == 404
    assert "Testville" not in client.get("/en/network/").content.decode()
    client.force_login(rita)
    assert client.get("/en/cities/testville/").status_code == 200


def test_area_profile(client, small):
    response = client.get("/en/cities/testville/areas/A3/")
    assert response.status_code == 200
    html = response.content.decode()
    for name in (
        "Economic security",
        "Food security",
        "Health security",
        "Environmental security",
        "Personal security",
        "Community security",
        "Political security",
    ):
        assert name in html
    assert "not enough data" in html  # food and political are null
    assert "always 1 of 3" in html
    assert "By sex" in html and "female" in html
    assert "hot spot" in html
    assert client.get("/en/cities/testville/areas/NOPE/").status_code == 404


def test_indicator_page_has_metadata_series_and_map(client, small):
    html = client.get("/en/cities/testville/indicators/unemployment-rate/").content.decode()
    assert "SDG 8.5.2" in html and "% of labour force" in html
    assert html.count("<svg") >= 2  # the map and the time series
    assert "2023" in html and "2024" in html


def test_spanish_pages(client, small):
    response = client.get("/es/cities/testville/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="es">' in html
    assert 'href="/en/cities/testville/"' in html  # the language switch keeps the page


def test_network_and_methodology(client, small, other_city):
    html = client.get("/en/network/").content.decode()
    assert "Testville" in html and "Otherburg" in html
    assert client.get("/en/methodology/").status_code == 200
    assert "methodology-index.md" in client.get("/en/methodology/").content.decode()


def test_dimension_layer_and_levels(client, small):
    response = client.get("/en/cities/testville/?layer=economic&level=neighbourhood&period=2024")
    assert response.status_code == 200
    assert "Economic security: dimension score" in response.content.decode()
    # Nonsense parameters fall back to the defaults rather than failing.
    assert client.get("/en/cities/testville/?period=abc&level=zzz").status_code == 200


def test_area_page_withholds_a_count_the_map_withholds(client, small):
    # Alameda (A1) has 3 fire incidents, withheld; the map also withholds Barrio Bravo's 12 so that the
    # 3 cannot be recovered from the city total. Barrio Bravo's own page must not show the 12 either.
    html = client.get("/en/cities/testville/areas/A2/").content.decode()
    row = re.search(r"Fire incidents.*?</tr>", html, re.S)
    assert row, "the fire incidents row is on the page"
    assert ">12<" not in row[0] and "&lt;5" in row[0]
