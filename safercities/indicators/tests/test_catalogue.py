"""The shipped indicator catalogue: complete, valid against the model, translated, and documented."""

from __future__ import annotations

import importlib.util
import re
from collections import Counter
from pathlib import Path

import pytest

from safercities.indicators.catalogue import CATALOGUE_PATH, FIELDS, install_catalogue, load_catalogue
from safercities.indicators.models import DIMENSION_CODES, Indicator

# The categories the demo city and the incident aggregation use (one vocabulary across the product).
INCIDENT_CATEGORIES = {
    "homicide",
    "assault",
    "robbery",
    "burglary",
    "vehicle_theft",
    "sexual_violence",
    "harassment",
    "domestic_violence",
    "vandalism",
    "drug_offence",
    "traffic_collision",
    "fire",
    "flood",
    "disease_case",
}
# The official indicators INDICATORS.md asks for ("10.3.1 / 16.b.1" is one indicator with two codes).
REQUIRED_SDG = {
    "16.1.1",
    "16.1.3",
    "16.1.4",
    "11.7.2",
    "5.2.1",
    "5.2.2",
    "11.1.1",
    "11.5.1",
    "11.6.2",
    "3.6.1",
    "8.5.2",
    "2.1.2",
    "8.3.1",
    "1.2.1",
    "2.2.1",
    "3.8.1",
    "6.1.1",
    "3.9.1",
    "11.6.1",
    "11.b.2",
    "10.3.1",
    "16.b.1",
    "11.7.1",
    "11.2.1",
    "16.7.2",
    "16.3.1",
    "16.6.2",
    "11.3.2",
}
SDG_TARGET = r"\d{1,2}\.[0-9a-c]{1,2}\.\d"
OFFICIAL_CODE = re.compile(rf"^SDG {SDG_TARGET}( / {SDG_TARGET})*$")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
ALLOWED_KEYS = {"code", "dimension", *FIELDS}

CATALOGUE = load_catalogue()
BY_CODE = {entry["code"]: entry for entry in CATALOGUE}


def test_size_and_dimensions():
    assert len(CATALOGUE) >= 44
    per_dimension = Counter(entry["dimension"] for entry in CATALOGUE)
    assert set(per_dimension) == set(DIMENSION_CODES)
    assert min(per_dimension.values()) >= 4, per_dimension


def test_codes_are_unique_stable_slugs():
    codes = [entry["code"] for entry in CATALOGUE]
    assert len(codes) == len(set(codes))
    max_length = Indicator._meta.get_field("code").max_length
    for code in codes:
        assert SLUG.match(code) and len(code) <= max_length, code


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda entry: entry["code"])
def test_entry_is_valid_against_the_model(entry):
    assert set(entry) <= ALLOWED_KEYS, set(entry) - ALLOWED_KEYS
    for key in ("code", "name", "definition", "dimension", "unit", "direction", "aggregation", "source"):
        assert isinstance(entry.get(key), str) and entry[key].strip() == entry[key] and entry[key], key
    assert entry["dimension"] in DIMENSION_CODES
    assert entry["direction"] in dict(Indicator.DIRECTIONS)
    assert entry["aggregation"] in dict(Indicator.AGGREGATIONS)
    for key in ("name", "unit", "source", "official_code"):
        assert len(entry.get(key, "")) <= Indicator._meta.get_field(key).max_length, key
    if entry["aggregation"] == "rate":
        assert isinstance(entry.get("rate_per"), int) and entry["rate_per"] > 0
    assert set(entry["disaggregations"]) <= set(Indicator.DISAGGREGATIONS)
    assert len(entry["disaggregations"]) == len(set(entry["disaggregations"]))
    assert set(entry["incident_categories"]) <= INCIDENT_CATEGORIES
    if entry["incident_categories"]:
        assert entry["aggregation"] in {"sum", "rate"}, "incidents are counted, never averaged"
    # One or two sentences, not an essay.
    assert 1 <= len(re.findall(r"[.!?](\s|$)", entry["definition"])) <= 3


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda entry: entry["code"])
def test_thresholds_are_numbers_in_the_worsening_direction(entry):
    amber, red = entry.get("threshold_amber"), entry.get("threshold_red")
    for value in (amber, red):
        assert value is None or (isinstance(value, int | float) and not isinstance(value, bool))
    if amber is not None and red is not None:
        assert amber < red if entry["direction"] == Indicator.HIGHER_IS_WORSE else amber > red


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda entry: entry["code"])
def test_every_entry_has_spanish(entry):
    es = entry["translations"]["es"]
    assert set(es) == {"name", "definition", "unit"}
    for key in ("name", "definition", "unit"):
        assert es[key].strip(), key
    # A real translation, not the English copied over (units such as "µg/m³" may coincide).
    assert es["name"] != entry["name"] and es["definition"] != entry["definition"]


def test_official_codes_are_well_formed_and_complete():
    found: set[str] = set()
    for entry in CATALOGUE:
        official = entry.get("official_code", "")
        if official:
            assert OFFICIAL_CODE.match(official), official
            found.update(part.strip() for part in official.removeprefix("SDG ").split("/"))
    assert found >= REQUIRED_SDG, REQUIRED_SDG - found


def test_wording_notes_of_indicators_md():
    assert "after dark" in BY_CODE["feel-safe-after-dark"]["definition"]
    assert "non-sexual or sexual harassment" in BY_CODE["harassment-victims"]["definition"]
    for code in ("intimate-partner-violence", "non-partner-sexual-violence"):
        assert BY_CODE[code]["incident_categories"] == []
        assert "Survey data only" in BY_CODE[code]["definition"]
    # 16.3.1: a rise in reporting is good news (trust), so higher is better.
    assert BY_CODE["crime-reporting-rate"]["direction"] == Indicator.HIGHER_IS_BETTER


def test_operational_indicators_count_the_shared_categories():
    expected = {
        "homicide-incidents": ["homicide"],
        "violent-crime-rate": ["assault", "robbery", "homicide"],
        "gbv-incidents": ["sexual_violence", "domestic_violence", "harassment"],
        "road-collisions": ["traffic_collision"],
        "fire-incidents": ["fire"],
        "flood-incidents": ["flood"],
        "notifiable-disease-cases": ["disease_case"],
    }
    for code, categories in expected.items():
        assert BY_CODE[code]["incident_categories"] == categories, code
    assert BY_CODE["homicide-incidents"]["rate_per"] == 100_000
    assert BY_CODE["notifiable-disease-cases"]["dimension"] == "health"
    assert BY_CODE["resident-reports"]["rate_per"] == 10_000
    for code in ("report-response-days", "reports-fixed-confirmed", "recommendations-answered", "audit-poor-lighting"):
        assert code in BY_CODE


def test_file_is_plain_utf8_json_without_bom():
    assert not CATALOGUE_PATH.read_bytes().startswith(b"\xef\xbb\xbf")


def test_installs_into_a_city_with_translations(city):
    # The ``city`` fixture already installed the catalogue through create_city.
    assert city.indicators.count() == len(CATALOGUE)
    homicide = city.indicators.get(code="homicide-rate")
    assert homicide.official_code == "SDG 16.1.1"
    assert homicide.rate_per == 100_000
    assert homicide.translated("name", "es") == BY_CODE["homicide-rate"]["translations"]["es"]["name"]
    assert homicide.translated("unit", "es") == "por cada 100 mil habitantes"
    assert install_catalogue(city) == 0


def _load_script():
    path = Path(__file__).resolve().parents[3] / "scripts" / "catalogue_table.py"
    spec = importlib.util.spec_from_file_location("catalogue_table", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_table_is_up_to_date():
    script = _load_script()
    docs = Path(__file__).resolve().parents[3] / "docs" / "indicators.md"
    assert script.render_docs(docs.read_text(encoding="utf-8")) == docs.read_text(encoding="utf-8"), (
        "docs/indicators.md is stale: run `python scripts/catalogue_table.py`"
    )
    table = script.table(CATALOGUE)
    assert table.count("\n") == len(CATALOGUE) + 2
    assert "| `homicide-rate` | personal |" in table
