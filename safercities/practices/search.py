"""Full-text search of the library in English and Spanish, on PostgreSQL and on SQLite.

A query is first expanded with the bilingual thesaurus (``data/thesaurus.json``): each known term
or phrase becomes a *concept* — every English and Spanish term of its group — and other words stay
as they are (minus stop words). Concepts are ANDed, a concept's alternatives ORed; when no practice
has every concept, the concepts are ORed instead, so the best partial matches still come back.

- PostgreSQL: ``Practice.search_vector`` holds the English *and* Spanish lexemes of the title
  (weight A) and of all other text in both languages (weight B), built from accent-stripped text on
  every save (``reindex``). Each alternative is a phrase query in both configurations; results are
  ordered by ``SearchRank``.
- SQLite: the FTS5 table ``practices_fts`` (title, body; tokenizer ``porter unicode61
  remove_diacritics 2``, created by migration 0002 on SQLite only), ranked by ``bm25`` with the
  title weighted 5.

Both store accent-stripped, lower-cased text, so ``iluminacion`` finds ``iluminación``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import F, QuerySet, Value

from safercities.practices.models import LANGUAGE_CODES, TEXT_FIELDS, Practice

THESAURUS = Path(__file__).with_name("data") / "thesaurus.json"
MAX_QUERY = 200
MAX_CONCEPTS = 12
LONGEST_TERM = 6  # words


def normalise(text: str) -> str:
    """Lower case, accents removed, anything but letters and digits turned into spaces."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", stripped).split())


@cache
def _data() -> dict:
    return json.loads(THESAURUS.read_text(encoding="utf-8"))


@cache
def stop_words() -> frozenset[str]:
    """English and Spanish words too common to search for (from the thesaurus file)."""
    return frozenset(normalise(w) for words in _data()["stop_words"].values() for w in words)


@cache
def thesaurus() -> tuple[dict[str, int], tuple[tuple[str, ...], ...]]:
    """(normalised term → group number, the groups' normalised terms)."""
    groups: list[tuple[str, ...]] = []
    index: dict[str, int] = {}
    for number, group in enumerate(_data()["groups"]):
        terms = tuple(dict.fromkeys(normalise(t) for lang in LANGUAGE_CODES for t in group.get(lang, [])))
        groups.append(terms)
        for term in terms:
            index.setdefault(term, number)
    return index, tuple(groups)


def expand(query: str) -> list[tuple[str, ...]]:
    """The query's concepts: each a tuple of alternative normalised terms (phrases allowed).

    >>> expand("Street lighting for women")[0][:3]
    ('street lighting', 'public lighting', 'streetlight')
    >>> "alumbrado publico" in expand("street lighting")[0]
    True
    >>> expand("the parque lineal")[1]
    ('lineal',)
    """
    index, groups = thesaurus()
    words = normalise(query[:MAX_QUERY]).split()
    concepts: list[tuple[str, ...]] = []
    i = 0
    while i < len(words) and len(concepts) < MAX_CONCEPTS:
        for size in range(min(LONGEST_TERM, len(words) - i), 0, -1):
            phrase = " ".join(words[i : i + size])
            if phrase in index and (size > 1 or phrase not in stop_words()):
                concept = groups[index[phrase]]
                i += size
                break
        else:
            word = words[i]
            i += 1
            if word in stop_words():
                continue
            concept = (word,)
        if concept not in concepts:
            concepts.append(concept)
    return concepts


# --- the stored index -----------------------------------------------------------------------------


def documents(practice: Practice) -> tuple[str, str]:
    """(title text, body text) in both languages, normalised: what the index stores."""
    titles = " ".join(getattr(practice, f"title_{code}") for code in LANGUAGE_CODES)
    body = " ".join(
        getattr(practice, f"{name}_{code}") for name in TEXT_FIELDS if name != "title" for code in LANGUAGE_CODES
    )
    return normalise(titles), normalise(f"{body} {practice.city.name}")


def reindex(practice: Practice) -> None:
    """Refresh the practice's entry in the search index (called after every save)."""
    title, body = documents(practice)
    if connection.vendor == "postgresql":
        vector = (
            SearchVector(Value(title), config="english", weight="A")
            + SearchVector(Value(title), config="spanish", weight="A")
            + SearchVector(Value(body), config="english", weight="B")
            + SearchVector(Value(body), config="spanish", weight="B")
        )
        Practice.objects.filter(pk=practice.pk).update(search_vector=vector)
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM practices_fts WHERE rowid = %s", [practice.pk])
            cursor.execute(
                "INSERT INTO practices_fts (rowid, title, body) VALUES (%s, %s, %s)", [practice.pk, title, body]
            )


def unindex(practice_id: int) -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM practices_fts WHERE rowid = %s", [practice_id])


# --- searching ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    practice: Practice
    score: float


def _postgres(queryset: QuerySet[Practice], concepts: list[tuple[str, ...]], every: bool) -> list[Hit]:
    combined: SearchQuery | None = None
    for alternatives in concepts:
        either: SearchQuery | None = None
        for term in alternatives:
            for config in ("english", "spanish"):
                one = SearchQuery(term, config=config, search_type="phrase")
                either = one if either is None else either | one
        assert either is not None
        if combined is None:
            combined = either
        elif every:
            combined = combined & either
        else:
            combined = combined | either
    ranked = (
        queryset.filter(search_vector=combined)
        .annotate(rank=SearchRank(F("search_vector"), combined))
        .order_by("-rank", "-published_at", "pk")
    )
    return [Hit(p, float(p.rank)) for p in ranked[:200]]


def _sqlite(queryset: QuerySet[Practice], concepts: list[tuple[str, ...]], every: bool) -> list[Hit]:
    parts = ["(" + " OR ".join(f'"{term}"' for term in alternatives) + ")" for alternatives in concepts]
    expression = (" AND " if every else " OR ").join(parts)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid, bm25(practices_fts, 5.0, 1.0) FROM practices_fts WHERE practices_fts MATCH %s "
            "ORDER BY bm25(practices_fts, 5.0, 1.0) LIMIT 500",
            [expression],
        )
        scores = {row[0]: -float(row[1]) for row in cursor.fetchall()}
    found = {p.pk: p for p in queryset.filter(pk__in=list(scores))}
    hits = [Hit(found[pk], score) for pk, score in scores.items() if pk in found]
    hits.sort(key=lambda h: (-h.score, h.practice.pk))
    return hits[:200]


def search(queryset: QuerySet[Practice], query: str) -> list[Hit]:
    """Practices of ``queryset`` matching ``query``, best first (every concept if any match, else any)."""
    concepts = expand(query)
    if not concepts:
        return []
    engine = _postgres if connection.vendor == "postgresql" else _sqlite
    hits = engine(queryset, concepts, True)
    if not hits and len(concepts) > 1:
        hits = engine(queryset, concepts, False)
    return hits
