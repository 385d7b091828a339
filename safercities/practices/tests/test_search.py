"""Library search on the database in use (the suite runs on SQLite and on PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import connection

from safercities.practices import search
from safercities.practices.actions import visible_practices
from safercities.practices.models import Practice
from safercities.practices.tests.factories import make_practice

pytestmark = pytest.mark.django_db


def titles(hits) -> list[str]:
    return [h.practice.display["title"] for h in hits]


def published():
    return Practice.objects.filter(status=Practice.PUBLISHED)


def test_the_database_has_its_index():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'practices_fts'")
        else:
            cursor.execute("SELECT count(*) FROM pg_indexes WHERE indexname = 'practices_practice_search_gin'")
        assert cursor.fetchone()[0] == 1


def test_thesaurus_has_at_least_80_bilingual_groups():
    _index, groups = search.thesaurus()
    import json

    raw = json.loads(search.THESAURUS.read_text(encoding="utf-8"))["groups"]
    assert len(groups) >= 80
    assert all(group["en"] and group["es"] for group in raw)


def test_spanish_practice_found_by_english_query(city, other_city):
    make_practice(
        city,
        language="es",
        title_es="Alumbrado público en los senderos",
        problem_es="Las mujeres evitaban caminar de noche.",
    )
    make_practice(city, language="en", title_en="Cash transfers after the floods")
    hits = search.search(published(), "street lighting")
    assert titles(hits) == ["Alumbrado público en los senderos"]
    # And the other way round, with and without accents.
    assert titles(search.search(published(), "inundaciones")) == ["Cash transfers after the floods"]
    assert titles(search.search(published(), "transferencias monetarias")) == ["Cash transfers after the floods"]
    assert titles(search.search(published(), "alumbrado publico")) == ["Alumbrado público en los senderos"]


def test_english_practice_found_in_spanish_through_its_translation(city):
    make_practice(
        city,
        language="en",
        title_en="Night markets",
        context_es="Mercados nocturnos gestionados por cooperativas de vendedoras",
        title_es="Mercados nocturnos",
    )
    # "cooperativas" is in no thesaurus group: only the author's translation can find it.
    assert titles(search.search(published(), "cooperativas vendedoras")) == ["Night markets"]


def test_stemming_in_both_languages(city):
    make_practice(city, language="en", title_en="Mediators for school conflicts", problem_en="Students fighting")
    make_practice(city, language="es", title_es="Mediadores escolares", problem_es="Los estudiantes peleaban")
    assert len(search.search(published(), "mediator fights")) >= 1
    assert titles(search.search(published(), "estudiante")) == ["Mediadores escolares"]


def test_title_match_ranks_above_body_match(city):
    make_practice(city, language="en", title_en="Parks for youth", problem_en="nothing about it")
    make_practice(city, language="en", title_en="A budget", problem_en="harassment in parks was reported")
    make_practice(city, language="en", title_en="Harassment in parks", problem_en="harassment harassment")
    hits = search.search(published(), "harassment")
    assert titles(hits)[0] == "Harassment in parks"
    assert titles(hits) == ["Harassment in parks", "A budget"]
    assert hits[0].score > hits[1].score


def test_all_concepts_first_then_any(city):
    make_practice(city, language="en", title_en="Lighting and harassment")
    make_practice(city, language="en", title_en="Lighting only")
    assert titles(search.search(published(), "lighting harassment")) == ["Lighting and harassment"]
    # No practice has both: the best partial matches come back.
    assert set(titles(search.search(published(), "lighting zebra"))) == {"Lighting and harassment", "Lighting only"}


def test_filters_combine_with_the_query(city, other_city):
    make_practice(city, title_en="Flood shelters", dimensions=["environmental"], phase=Practice.PREPARE)
    make_practice(other_city, title_en="Flood maps", dimensions=["environmental"], phase=Practice.PREVENT)
    make_practice(city, title_en="Flood cash", dimensions=["economic"], phase=Practice.RECOVER)
    base = published()
    assert titles(search.search(base.filter(city__country="ZA"), "flood")) == ["Flood maps"]
    assert set(titles(search.search(base.filter(dimensions__code="environmental"), "inundación"))) == {
        "Flood shelters",
        "Flood maps",
    }
    assert titles(search.search(base.filter(phase=Practice.RECOVER), "flood")) == ["Flood cash"]


def test_drafts_and_private_cities_are_not_public(city, other_city, rita):
    make_practice(city, title_en="Draft lighting", status=Practice.DRAFT)
    make_practice(other_city, title_en="Private lighting")
    other_city.is_public = False
    other_city.save()
    from django.contrib.auth.models import AnonymousUser

    anonymous = visible_practices(AnonymousUser()).filter(status=Practice.PUBLISHED)
    assert titles(search.search(anonymous, "lighting")) == []
    # A resident of the test city sees its published ones, never drafts.
    assert titles(search.search(visible_practices(rita).filter(status=Practice.PUBLISHED), "lighting")) == []


@pytest.mark.parametrize(
    "query",
    ['"', '""', "*", "NEAR(a b)", "a OR", "AND", "title:x", "'; DROP TABLE x; --", "ñ" * 500, "a\x00b", "(((", "-x"],
)
def test_hostile_queries_do_not_fail(city, query):
    make_practice(city, title_en="Lighting")
    search.search(published(), query)


def test_expansion_is_bounded():
    concepts = search.expand(" ".join(f"w{i}" for i in range(100)))
    assert len(concepts) <= search.MAX_CONCEPTS
    assert search.expand("the of and") == []


def test_reindex_replaces_the_entry(city):
    practice = make_practice(city, title_en="Old words")
    practice.title_en = "Fresh words"
    practice.save()
    search.reindex(practice)
    assert titles(search.search(published(), "old")) == []
    assert titles(search.search(published(), "fresh")) == ["Fresh words"]


def test_deleting_a_practice_removes_it_from_the_index(city):
    practice = make_practice(city, title_en="Lighting gone")
    pk = practice.pk
    practice.delete()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM practices_fts WHERE rowid = %s", [pk])
            assert cursor.fetchone()[0] == 0
    assert search.search(Practice.objects.all(), "lighting") == []
