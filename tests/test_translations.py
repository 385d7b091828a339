"""Spanish is complete and current: every interface message is translated, the compiled catalogue matches
its source, and pages render in Spanish with Spanish number formats.

The drift check runs ``makemessages`` on a copy of the code, so a string marked for translation but
missing from the committed catalogue (or one left behind after the code dropped it) fails here rather
than showing up in English on a Spanish page. Fix either with ``make messages`` and translate.
"""

from __future__ import annotations

import gettext
import io
import os
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

LOCALE_DIR = Path(settings.BASE_DIR) / "safercities" / "locale"
PO_PATH = LOCALE_DIR / "es" / "LC_MESSAGES" / "django.po"
MO_PATH = LOCALE_DIR / "es" / "LC_MESSAGES" / "django.mo"
# Apps may keep their own catalogue (safercities/<app>/locale/): makemessages files an app's messages
# there when the folder exists. The checks below hold for every catalogue; the drift check for their union.
APP_PO_PATHS = sorted((Path(settings.BASE_DIR) / "safercities").glob("*/locale/es/LC_MESSAGES/django.po"))
PO_PATHS = [PO_PATH, *APP_PO_PATHS]
# Must match the `messages` target of the Makefile: what is not product code is not translated.
MAKEMESSAGES_IGNORE = [
    ".venv/*",
    "bench/*",
    "docs/*",
    "scripts/*",
    "tests/*",
    "data/*",
    "examples/*",
    "*.egg-info/*",
]
ENGLISH_CHROME = ["Skip to content", "Sign in", ">Network<", ">Methodology<", "Safer Cities Monitor"]

Key = tuple[str | None, str]


def _read(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale="es")


def _key(message) -> Key:
    msgid = message.id[0] if isinstance(message.id, tuple | list) else message.id
    return (message.context, msgid)


def _entries(catalog: Catalog) -> dict[Key, object]:
    return {_key(m): m for m in catalog if m.id}


def _require_gettext() -> None:
    """makemessages needs GNU gettext; a missing tool must not pass as "no drift" in CI."""
    if shutil.which("xgettext") and shutil.which("msgmerge"):
        return
    message = "GNU gettext is missing: install Debian's `gettext` package (`make test` installs it)."
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


# --- (a) the committed catalogue is complete ----------------------------------------------------


@pytest.mark.parametrize("po_path", PO_PATHS, ids=lambda p: str(p.parent.parent.parent.parent.name))
def test_catalogue_header_is_spanish_with_two_plural_forms(po_path):
    catalog = _read(po_path)
    assert not catalog.fuzzy, "remove the `#, fuzzy` flag from the header"
    assert str(catalog.locale) == "es"
    assert catalog.num_plurals == 2
    assert catalog.plural_expr.replace(" ", "") in {"(n!=1)", "n!=1"}


@pytest.mark.parametrize("po_path", PO_PATHS, ids=lambda p: str(p.parent.parent.parent.parent.name))
def test_every_message_is_translated_and_none_is_fuzzy(po_path):
    catalog = _read(po_path)
    entries = _entries(catalog)
    assert po_path != PO_PATH or len(entries) > 500  # the whole interface, not a stub
    empty, fuzzy = [], []
    for key, message in entries.items():
        strings = message.string if isinstance(message.string, tuple | list) else [message.string]
        if not all(s and s.strip() for s in strings):
            empty.append(key[1])
        if message.fuzzy:
            fuzzy.append(key[1])
    assert not empty, f"untranslated messages: {empty[:20]}"
    assert not fuzzy, f"fuzzy (unchecked) translations: {fuzzy[:20]}"
    assert not catalog.obsolete, f"obsolete entries left in the catalogue: {list(catalog.obsolete)[:20]}"
    # babel drops plural forms beyond nplurals when reading; an extra empty msgstr[2] must not hide there.
    extra = re.findall(r"^msgstr\[([2-9])\]", po_path.read_text(encoding="utf-8"), flags=re.M)
    assert not extra, "plural forms beyond nplurals=2 in django.po"


@pytest.mark.parametrize("po_path", PO_PATHS, ids=lambda p: str(p.parent.parent.parent.parent.name))
def test_placeholders_survive_translation(po_path):
    """A lost or renamed placeholder raises at render time (or silently drops a number)."""
    pattern = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}|%%")
    for key, message in _entries(_read(po_path)).items():
        ids = message.id if isinstance(message.id, tuple | list) else [message.id]
        strings = message.string if isinstance(message.string, tuple | list) else [message.string]
        wanted = sorted(set(pattern.findall(ids[-1])))
        for string in strings:
            assert sorted(set(pattern.findall(string))) == wanted, f"placeholders differ in {key[1]!r}"


# --- (b) drift between the code and the catalogue ----------------------------------------------


def _copy_sources(destination: Path) -> None:
    """The project's sources without what makemessages ignores, so no temporary file lands in the tree."""
    ignored = [pattern.removesuffix("/*") for pattern in MAKEMESSAGES_IGNORE]
    shutil.copytree(
        settings.BASE_DIR,
        destination,
        ignore=shutil.ignore_patterns(".*", "__pycache__", "node_modules", "locale", "static", *ignored),
        symlinks=True,
    )


def test_catalogue_matches_the_code(tmp_path, monkeypatch):
    """Every message in the code is in the committed catalogue, and nothing stale is left there."""
    _require_gettext()
    source, locale = tmp_path / "src", tmp_path / "locale"
    _copy_sources(source)
    locale.mkdir()
    monkeypatch.chdir(source)
    with override_settings(LOCALE_PATHS=[str(locale)]):
        call_command("makemessages", locale=["es"], ignore_patterns=MAKEMESSAGES_IGNORE, verbosity=0)
    fresh = _entries(_read(locale / "es" / "LC_MESSAGES" / "django.po"))
    committed: dict = {}
    for po_path in PO_PATHS:
        committed.update(_entries(_read(po_path)))
    assert len(fresh) > 500
    missing = sorted(key[1] for key in fresh.keys() - committed.keys())
    stale = sorted(key[1] for key in committed.keys() - fresh.keys())
    assert not missing, f"run `make messages` and translate these new messages: {missing[:20]}"
    assert not stale, f"run `make messages`: these messages are no longer in the code: {stale[:20]}"
    for key, message in fresh.items():  # plural forms must agree too
        assert isinstance(message.id, tuple | list) == isinstance(committed[key].id, tuple | list), key


# --- (c) the compiled catalogue is current ------------------------------------------------------


@pytest.mark.parametrize("po_path", PO_PATHS, ids=lambda p: str(p.parent.parent.parent.parent.name))
def test_compiled_catalogue_matches_its_source(po_path):
    buffer = io.BytesIO()
    write_mo(buffer, _read(po_path))
    buffer.seek(0)
    expected = gettext.GNUTranslations(buffer)
    with po_path.with_suffix(".mo").open("rb") as fh:
        committed = gettext.GNUTranslations(fh)
    expected_messages = {k: v for k, v in expected._catalog.items() if k != ""}
    committed_messages = {k: v for k, v in committed._catalog.items() if k != ""}
    assert committed_messages == expected_messages, f"{po_path.with_suffix('.mo')} is stale: run `make messages`"
    if po_path != PO_PATH:
        return
    assert committed.ngettext("%(n)s error", "%(n)s errors", 1) == "%(n)s error"
    assert committed.ngettext("%(n)s error", "%(n)s errors", 2) == "%(n)s errores"


# --- (d) pages in Spanish -----------------------------------------------------------------------


@pytest.fixture
def small(city):
    from safercities.portal.tests.factories import build_small_city

    return build_small_city(city)


def _spanish(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.content.decode()
    assert '<html lang="es">' in html
    for english in ENGLISH_CHROME:
        assert english not in html, f"{english!r} is in English on {path}"
    assert "Ir al contenido" in html and "Monitor de Ciudades más Seguras" in html
    return html


@pytest.mark.django_db
def test_home_in_spanish(client, small):
    html = _spanish(client, "/es/")
    assert "Iniciar sesión" in html and ">Metodología<" in html and ">Red<" in html


@pytest.mark.django_db
def test_city_page_in_spanish(client, city, small):
    with translation.override("es"):
        path = reverse("portal:city", args=[city.slug])
    html = _spanish(client, path)
    assert "¿Dónde es menos segura la ciudad?" in html
    assert "Índice de Seguridad Humana" in html
    for english in ("Where is the city least secure?", "Key indicators", "How sure:", "Ranking of every area"):
        assert english not in html


@pytest.mark.django_db
def test_login_page_in_spanish(client):
    with translation.override("es"):
        path = reverse("login")
    html = _spanish(client, path)
    assert "Iniciar sesión" in html


@pytest.mark.django_db
def test_workspace_in_spanish(client, alice):
    client.force_login(alice)
    html = _spanish(client, "/es/workspace/testville/")
    assert "Espacio de trabajo de Testville" in html and "Cerrar sesión" in html and "Importar un archivo" in html


# --- numbers in the reader's locale -------------------------------------------------------------


@pytest.mark.django_db
def test_numbers_follow_the_readers_locale(client, small):
    from safercities.indicators.models import Observation

    observation = Observation.objects.get(
        indicator__code="unemployment-rate", area__code="A1", period="2024", sex="", age_group="", disability=""
    )
    observation.value = 1234.5
    observation.save(update_fields=["value"])
    query = "?layer=unemployment-rate&period=2024"
    english = client.get(f"/en/cities/testville/{query}").content.decode()
    spanish = client.get(f"/es/cities/testville/{query}").content.decode()
    assert "1,234.5" in english
    with translation.override("es"):
        from django.utils.formats import number_format

        expected = number_format(1234.5, 1, use_l10n=True, force_grouping=True)
    assert expected in {"1\xa0234,5", "1 234,5", "1.234,5"}
    assert expected in spanish
    assert "1,234.5" not in spanish


@pytest.mark.django_db
def test_error_pages_in_spanish(client):
    response = client.get("/es/cities/no-such-city/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Página no encontrada" in html and "Not Found" not in html


def test_missing_gettext_fails_in_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="gettext"):
        _require_gettext()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="gettext"):
        _require_gettext()


@pytest.mark.django_db
def test_indicator_page_in_spanish_uses_catalogue_and_category_labels(client, small):
    html = _spanish(client, "/es/cities/testville/indicators/unemployment-rate/")
    assert "Tasa de desempleo" in html and "% de la fuerza de trabajo" in html  # the catalogue's Spanish
    assert "% of labour force" not in html
    assert "mujer" in html and "con discapacidad" in html  # stored codes shown as words
    assert "with_disability" not in html and ">female<" not in html
