"""``safercities import observations``: long, wide and HXL tables of indicator values into a city.

The files users have are rarely in our long format: police statistics come wide by year, ministries
write state names instead of codes and Latin-1 month columns in Spanish. Rather than asking analysts to
reshape them by hand (where errors creep in unseen), the importer maps columns, names and periods with
options and small adapter files (``--indicator-map``, ``--area-map``), documented in
``docs/import-observations.md``.

Everything is read and checked before anything is written; the write is one upsert by the unique
cell (indicator, area, period, sex, age group, disability) in bulk, so re-importing a file changes
nothing and 100,000 rows take seconds.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from string import Formatter
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.utils.translation import gettext as _

from safercities.analytics.periods import KINDS, Period, day_period, parse_period, period_containing
from safercities.indicators.models import Indicator, Observation
from safercities.ingest.cells import unescape_cell
from safercities.ingest.files import FileProblem, Table, parse_number, read_table
from safercities.ingest.report import ImportReport
from safercities.ingest.runner import ImportContext, run_import
from safercities.places.models import Area, City

OPTIONS = frozenset(
    [
        "sheet",
        "delimiter",
        "encoding",
        "wide",
        "indicator",
        "indicator_field",
        "indicator_match",
        "indicator_map",
        "area_field",
        "area_match",
        "area_template",
        "area_map",
        "period_field",
        "period_template",
        "period_kind",
        "value_field",
        "quality",
        "source",
        "filter",
        "sum_duplicates",
    ]
)

# Long-format columns: header names (compared case-insensitively, spaces and hyphens as "_") and the
# HXL hashtags that identify them when the header says something else. Earlier patterns win, so the
# finest administrative level present is the area.
FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "indicator": ("indicator", "indicator_code"),
    "area": ("area", "area_code"),
    "period": ("period",),
    "value": ("value",),
    "sex": ("sex",),
    "age_group": ("age_group", "age"),
    "disability": ("disability",),
    "numerator": ("numerator",),
    "denominator": ("denominator",),
    "quality": ("quality",),
    "source": ("source",),
}
HASHTAGS: dict[str, tuple[str, ...]] = {
    "indicator": ("#indicator+code",),
    "area": (
        "#adm+code",
        "#loc+code",
        "#adm5+code",
        "#adm4+code",
        "#adm3+code",
        "#adm2+code",
        "#adm1+code",
    ),
    "period": ("#date+period", "#date"),
    "value": ("#indicator+value+num", "#value"),
    "sex": ("#sex", "#meta+sex"),
    "age_group": ("#age", "#meta+age"),
    "disability": ("#meta+disability",),
    "numerator": ("#indicator+num+numerator",),
    "denominator": ("#indicator+num+denominator",),
    "quality": ("#meta+quality",),
    "source": ("#meta+source",),
}

# Spellings seen in real files; "all"/"total" written out mean the same as a blank (not disaggregated).
SEXES = {
    **dict.fromkeys(["", "all", "total", "both", "ambos", "todos"], ""),
    **dict.fromkeys(["female", "f", "woman", "women", "mujer", "mujeres", "femenino"], "female"),
    **dict.fromkeys(["male", "m", "man", "men", "hombre", "hombres", "masculino"], "male"),
    **dict.fromkeys(["other", "otro", "otra"], "other"),
}
QUALITIES = {
    **dict.fromkeys(["official", "oficial"], Observation.OFFICIAL),
    **dict.fromkeys(["community", "comunitaria", "comunitario"], Observation.COMMUNITY),
    **dict.fromkeys(["estimated", "estimada", "estimado"], Observation.ESTIMATED),
}
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("enero", "ene", "january", "jan"),
            ("febrero", "feb", "february"),
            ("marzo", "mar", "march"),
            ("abril", "abr", "april", "apr"),
            ("mayo", "may"),
            ("junio", "jun", "june"),
            ("julio", "jul", "july"),
            ("agosto", "ago", "august", "aug"),
            ("septiembre", "setiembre", "sep", "sept", "set", "september"),
            ("octubre", "oct", "october"),
            ("noviembre", "nov", "november"),
            ("diciembre", "dic", "december", "dec"),
        ],
        start=1,
    )
    for name in names
}
VALUE_TOLERANCE = 1e-9
MAX_TEXT = {"age_group": 20, "disability": 20, "source": 255}
MAX_CLOSEST = 3


def import_observations(
    city: City,
    path: str | Path,
    *,
    user: AbstractBaseUser | None = None,
    dry_run: bool = False,
    **options: Any,
) -> ImportReport:
    """Validate the whole file, then upsert its observations into ``city`` in one transaction."""
    return run_import(
        kind="observations",
        city=city,
        path=path,
        importer=_import,
        user=user,
        dry_run=dry_run,
        options=options,
    )


# ----------------------------------------------------------------------------------------- helpers


def fold(text: Any) -> str:
    """Text for comparing names: no accents, no case, whitespace collapsed ("Querétaro " = "queretaro")."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(plain.casefold().split())


def _text(value: Any) -> str:
    """A cell as text; Excel's 1.0 is "1" (so that a code typed as a number still matches)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return unescape_cell(str(value).strip())  # our exports' formula guard ('=x), taken off (ingest/cells.py)


class _Cell(str):
    """A cell in a template: ``{Año}`` is text, ``{Año:04d}`` works when the text is a whole number."""

    __slots__ = ()

    def __format__(self, spec: str) -> str:
        if spec and spec[-1] in "dxXob" and re.fullmatch(r"[+-]?\d+", self.strip()):
            return format(int(self), spec)
        return format(str(self), spec)


def _template_fields(template: str) -> set[str]:
    try:
        return {name.split(".")[0].split("[")[0] for _text_, name, _spec, _conv in Formatter().parse(template) if name}
    except ValueError as exc:
        raise FileProblem(
            _("the template %(template)s is not valid: %(reason)s") % {"template": repr(template), "reason": exc}
        ) from None


def _render(template: str, values: dict[str, Any], option: str) -> str:
    try:
        return template.format_map(values).strip()
    except KeyError as exc:
        names = ", ".join(sorted(values))
        raise FileProblem(
            _("%(option)s %(template)s names %(name)s, which is not one of: %(names)s")
            % {"option": option, "template": repr(template), "name": repr(exc.args[0]), "names": names}
        ) from None
    except (ValueError, IndexError, AttributeError) as exc:
        raise ValueError(
            _("%(option)s %(template)s cannot be applied: %(reason)s")
            % {"option": option, "template": repr(template), "reason": exc}
        ) from None


def _parse_tag(tag: str) -> tuple[str, frozenset[str]]:
    parts = re.sub(r"\s+", "", tag).lower().split("+")
    return parts[0], frozenset(part for part in parts[1:] if part)


def _tag_matches(pattern: str, tag: str) -> bool:
    """HXL matching: same hashtag, and every attribute of the pattern present on the column."""
    want, want_attributes = _parse_tag(pattern)
    have, have_attributes = _parse_tag(tag)
    return want == have and want_attributes <= have_attributes


def _header_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", fold(name))


def _closest(wanted: str, known: dict[str, str]) -> str:
    """ "; closest: A, B" from ``known`` (folded → shown) for an error message, or "".

    Similar spellings first (difflib), then names that contain the other ("Coahuila" for "Coahuila de
    Zaragoza"), which difflib's ratio ranks too low for official long names.
    """
    target = fold(wanted)
    matches = difflib.get_close_matches(target, list(known), n=MAX_CLOSEST, cutoff=0.6)
    if len(target) >= 4:
        matches += [name for name in known if (name in target or target in name) and name not in matches]
    if not matches:
        return ""
    return _("; closest: %(names)s") % {"names": ", ".join(known[match] for match in matches[:MAX_CLOSEST])}


# ----------------------------------------------------------------------------------------- options


@dataclass
class _Options:
    sheet: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    wide: str | None = None
    indicator: str | None = None
    indicator_field: str | None = None
    indicator_match: str = "code"
    indicator_map: str | None = None
    area_field: str | None = None
    area_match: str = "code"
    area_template: str | None = None
    area_map: str | None = None
    period_field: str | None = None
    period_template: str | None = None
    period_kind: str | None = None
    value_field: str | None = None
    quality: str | None = None
    source: str | None = None
    filter: list[str] = field(default_factory=list)
    sum_duplicates: bool = False

    @classmethod
    def parse(cls, options: dict[str, Any]) -> _Options:
        unknown = sorted(set(options) - OPTIONS)
        if unknown:
            raise FileProblem(
                _("unknown option(s) %(unknown)s for observations; known: %(known)s")
                % {"unknown": ", ".join(unknown), "known": ", ".join(sorted(OPTIONS))}
            )
        parsed = cls(**{key: value for key, value in options.items() if value is not None})
        for name in ("indicator_match", "area_match"):
            if getattr(parsed, name) not in {"code", "name"}:
                raise FileProblem(_("%(option)s must be 'code' or 'name'") % {"option": f"--{name.replace('_', '-')}"})
        if parsed.period_kind is not None and parsed.period_kind not in KINDS:
            raise FileProblem(_("--period-kind must be one of %(kinds)s") % {"kinds": ", ".join(KINDS)})
        if parsed.quality is not None and fold(parsed.quality) not in QUALITIES:
            raise FileProblem(_("--quality must be official, community or estimated"))
        if parsed.indicator and parsed.indicator_field:
            raise FileProblem(_("give either --indicator (one indicator for every row) or --indicator-field, not both"))
        if parsed.area_template and parsed.area_field:
            raise FileProblem(_("give either --area-template or --area-field, not both"))
        if parsed.wide and (parsed.value_field or parsed.period_field):
            raise FileProblem(
                _("a --wide table takes its values and periods from the wide columns; drop --value-field")
            )
        if isinstance(parsed.filter, str):
            parsed.filter = [parsed.filter]
        parsed.sum_duplicates = bool(parsed.sum_duplicates)
        return parsed


@dataclass(frozen=True)
class _Filter:
    column: str
    value: str
    negate: bool


def _parse_filters(specs: Iterable[str], columns: list[str]) -> list[_Filter]:
    filters = []
    for spec in specs:
        match = re.fullmatch(r"\s*(.+?)\s*(!=|=)(.*)", spec)
        if not match:
            raise FileProblem(
                _("--filter %(spec)s must look like COLUMN=VALUE or COLUMN!=VALUE") % {"spec": repr(spec)}
            )
        column = _find_column(columns, match.group(1))
        if column is None:
            raise FileProblem(
                _("--filter %(spec)s: the file has no column %(column)s")
                % {"spec": repr(spec), "column": repr(match.group(1))}
            )
        filters.append(_Filter(column, fold(match.group(3)), match.group(2) == "!="))
    return filters


def _keep(row: dict[str, Any], filters: list[_Filter]) -> bool:
    """Same-column ``=`` filters are alternatives (OR); everything else must hold (AND)."""
    wanted: dict[str, set[str]] = {}
    for item in filters:
        value = fold(_text(row.get(item.column)))
        if item.negate:
            if value == item.value:
                return False
        else:
            wanted.setdefault(item.column, set()).add(item.value)
    return all(fold(_text(row.get(column))) in values for column, values in wanted.items())


def _find_column(columns: list[str], name: str) -> str | None:
    if name in columns:
        return name
    folded = [column for column in columns if fold(column) == fold(name)]
    return folded[0] if len(folded) == 1 else None


# ----------------------------------------------------------------------------------------- layout


@dataclass
class _Layout:
    """Which column holds what; ``None`` means "not in the file"."""

    columns: dict[str, str | None]
    wide: list[str]
    ignored: list[str]


def _resolve_column(table: Table, name: str, option: str | None) -> str | None:
    columns = table.columns
    if option:
        if option.startswith("#"):
            tagged = [col for col, tag in table.hashtags.items() if _tag_matches(option, tag)]
            if len(tagged) == 1:
                return tagged[0]
        found = _find_column(columns, option)
        if found is None:
            flag = f"--{name.replace('_', '-')}-field"
            raise FileProblem(
                _("%(flag)s %(column)s: the file has no such column; its columns are %(columns)s")
                % {"flag": flag, "column": repr(option), "columns": ", ".join(map(repr, columns))}
            )
        return found
    keys = {_header_key(col): col for col in columns if col}
    for alias in FIELD_NAMES[name]:
        if alias in keys:
            return keys[alias]
    for pattern in HASHTAGS[name]:
        tagged = [col for col, tag in table.hashtags.items() if _tag_matches(pattern, tag)]
        if len(tagged) == 1:
            return tagged[0]
        if len(tagged) > 1:
            # ``what`` stays the English field name: it is the option's own word (--age-group-field).
            raise FileProblem(
                _("several columns carry the hashtag %(tag)s (%(columns)s); say which holds the %(what)s with %(flag)s")
                % {
                    "tag": pattern,
                    "columns": ", ".join(map(repr, tagged)),
                    "what": name.replace("_", " "),
                    "flag": f"--{name.replace('_', '-')}-field",
                }
            )
    return None


def _wide_columns(spec: str, columns: list[str]) -> list[str]:
    """``"2003-2012"`` (a range of consecutive headers), ``"Enero,Febrero"`` or a mix."""
    if _find_column(columns, spec):
        return [_find_column(columns, spec)]  # type: ignore[list-item]
    chosen: list[str] = []
    for part in (piece.strip() for piece in spec.split(",")):
        if not part:
            continue
        single = _find_column(columns, part)
        if single is not None:
            chosen.append(single)
            continue
        for position in [m.start() for m in re.finditer("-", part)]:
            first, last = _find_column(columns, part[:position]), _find_column(columns, part[position + 1 :])
            if first is not None and last is not None:
                start, end = columns.index(first), columns.index(last)
                if start > end:
                    raise FileProblem(
                        _("--wide %(part)s: column %(last)s comes before %(first)s in the header")
                        % {"part": repr(part), "last": repr(last), "first": repr(first)}
                    )
                chosen.extend(columns[start : end + 1])
                break
        else:
            raise FileProblem(
                _("--wide %(part)s is neither a column nor a range FIRST-LAST of columns; the columns are %(columns)s")
                % {"part": repr(part), "columns": ", ".join(map(repr, columns))}
            )
    return list(dict.fromkeys(chosen))


def _layout(table: Table, opts: _Options) -> _Layout:
    columns: dict[str, str | None] = {}
    explicit = {
        "indicator": opts.indicator_field,
        "area": opts.area_field,
        "period": opts.period_field,
        "value": opts.value_field,
    }
    wanted = ["indicator", "area", "sex", "age_group", "disability", "quality", "source"]
    if not opts.wide:
        wanted += ["period", "value", "numerator", "denominator"]
    for name in wanted:
        columns[name] = _resolve_column(table, name, explicit.get(name))
    if opts.indicator:
        columns["indicator"] = None
    if opts.area_template:
        columns["area"] = None
        missing = _template_fields(opts.area_template) - set(table.columns)
        if missing:
            raise FileProblem(
                _(
                    "--area-template %(template)s names %(missing)s, which the file does not have; "
                    "its columns are %(columns)s"
                )
                % {
                    "template": repr(opts.area_template),
                    "missing": ", ".join(map(repr, sorted(missing))),
                    "columns": ", ".join(map(repr, table.columns)),
                }
            )
    wide = _wide_columns(opts.wide, table.columns) if opts.wide else []
    needs = [
        ("indicator", columns.get("indicator") or opts.indicator, _("--indicator-field COLUMN or --indicator CODE")),
        ("area", columns.get("area") or opts.area_template, _("--area-field COLUMN or --area-template")),
    ]
    if not opts.wide:
        needs += [
            ("period", columns.get("period"), _("--period-field COLUMN (or --wide for one column per period)")),
            ("value", columns.get("value"), _("--value-field COLUMN")),
        ]
    for name, have, hint in needs:
        if not have:
            # ``name`` is the column's expected header, in English in every language.
            raise FileProblem(
                _(
                    "the file has no %(name)s column (a column named %(quoted)s or hashtagged %(tags)s); "
                    "say which column it is with %(hint)s. The columns are %(columns)s"
                )
                % {
                    "name": name,
                    "quoted": repr(name),
                    "tags": _(" or ").join(HASHTAGS[name][:2]),
                    "hint": hint,
                    "columns": ", ".join(map(repr, table.columns)),
                }
            )
    used = {col for col in columns.values() if col} | set(wide)
    if opts.area_template:
        used |= _template_fields(opts.area_template)
    if opts.period_template:
        used |= _template_fields(opts.period_template)
    used |= {f.split("!=")[0].split("=")[0].strip() for f in opts.filter}
    ignored = [col for col in table.columns if col and col not in used]
    return _Layout(columns=columns, wide=wide, ignored=ignored)


# ----------------------------------------------------------------------------------------- lookups


def _read_map(path_text: str, what: str) -> dict[str, str]:
    """An adapter file ``value,code``: the text the data uses → the code in the city."""
    path = Path(path_text)
    if not path.is_file():
        raise FileProblem(_("%(option)s: no such file %(path)s") % {"option": f"--{what}-map", "path": repr(path_text)})
    table = read_table(path)
    value_col, code_col = _find_column(table.columns, "value"), _find_column(table.columns, "code")
    if value_col is None or code_col is None:
        raise FileProblem(
            _("%(option)s %(name)s must have the columns value,code")
            % {"option": f"--{what}-map", "name": repr(path.name)}
        )
    mapping: dict[str, str] = {}
    for number, row in table.rows:
        if "__error__" in row:
            raise FileProblem(
                _("%(option)s %(name)s, row %(row)s: %(problem)s")
                % {"option": f"--{what}-map", "name": repr(path.name), "row": number, "problem": row["__error__"]}
            )
        value, code = fold(_text(row.get(value_col))), _text(row.get(code_col))
        if not value or not code:
            raise FileProblem(
                _("%(option)s %(name)s, row %(row)s: both value and code are needed")
                % {"option": f"--{what}-map", "name": repr(path.name), "row": number}
            )
        if mapping.get(value, code) != code:
            raise FileProblem(
                _("%(option)s %(name)s, row %(row)s: %(value)s is mapped to both %(first)s and %(second)s")
                % {
                    "option": f"--{what}-map",
                    "name": repr(path.name),
                    "row": number,
                    "value": repr(value),
                    "first": repr(mapping[value]),
                    "second": repr(code),
                }
            )
        mapping[value] = code
    return mapping


class _Lookup:
    """Find an area or indicator of the city by code or by name, remembering every answer.

    Answers are ``(id, None)`` or ``(None, reason)``; the reason is shown to the user as is.
    """

    def __init__(
        self,
        what: str,
        items: list[tuple[int, str, list[str]]],
        match: str,
        mapping: dict[str, str],
    ) -> None:
        self.what, self.match, self.mapping = what, match, mapping
        self.by_code: dict[str, int] = {}
        self.by_code_folded: dict[str, list[int]] = {}
        self.by_name: dict[str, list[int]] = {}
        self.codes: dict[int, str] = {}
        self.shown_names: dict[str, str] = {}
        self.shown_codes: dict[str, str] = {}
        for pk, code, names in items:
            self.by_code[code] = pk
            self.codes[pk] = code
            self.by_code_folded.setdefault(fold(code), []).append(pk)
            self.shown_codes[fold(code)] = code
            for name in names:
                if name:
                    ids = self.by_name.setdefault(fold(name), [])
                    if pk not in ids:
                        ids.append(pk)
                    self.shown_names.setdefault(fold(name), f"{name} ({code})")
        self.cache: dict[str, tuple[int | None, str | None]] = {}

    def find(self, raw: str) -> tuple[int | None, str | None]:
        if raw not in self.cache:
            self.cache[raw] = self._find(raw)
        return self.cache[raw]

    def _by_code(self, code: str) -> int | None:
        if code in self.by_code:
            return self.by_code[code]
        folded = self.by_code_folded.get(fold(code), [])
        if len(folded) == 1:
            return folded[0]
        if code.isdigit():
            # Excel drops leading zeros: state 1 is state "01".
            same = [pk for known, pk in self.by_code.items() if known.isdigit() and int(known) == int(code)]
            if len(same) == 1:
                return same[0]
        return None

    def _says(self, area: str, indicator: str) -> str:
        """One sentence per kind rather than "the {what}": Spanish articles agree with the noun."""
        return area if self.what == "area" else indicator

    def _find(self, raw: str) -> tuple[int | None, str | None]:
        if not raw:
            return None, self._says(_("the area is empty"), _("the indicator is empty"))
        mapped = self.mapping.get(fold(raw))
        if mapped is not None:
            pk = self._by_code(mapped)
            if pk is None:
                message = self._says(
                    _("%(raw)s is mapped to area code %(code)s, which this city does not have"),
                    _("%(raw)s is mapped to indicator code %(code)s, which this city does not have"),
                )
                return None, message % {"raw": repr(raw), "code": repr(mapped)}
            return pk, None
        if self.match == "name":
            ids = self.by_name.get(fold(raw), [])
            if len(ids) == 1:
                return ids[0], None
            if len(ids) > 1:
                codes = ", ".join(sorted(self.codes[pk] for pk in ids))
                message = self._says(
                    _("the name %(raw)s fits %(n)s areas (%(codes)s); use codes instead"),
                    _("the name %(raw)s fits %(n)s indicators (%(codes)s); use codes instead"),
                )
                return None, message % {"raw": repr(raw), "n": len(ids), "codes": codes}
            pk = self._by_code(raw)
            if pk is not None:
                return pk, None
            message = self._says(
                _("no area of this city is named %(raw)s%(closest)s"),
                _("no indicator of this city is named %(raw)s%(closest)s"),
            )
            return None, message % {"raw": repr(raw), "closest": _closest(raw, self.shown_names)}
        pk = self._by_code(raw)
        if pk is not None:
            return pk, None
        hint = (
            ""
            if self.by_name.get(fold(raw)) is None
            else self._says(
                _(" (it is a name: add --area-match name)"), _(" (it is a name: add --indicator-match name)")
            )
        )
        message = self._says(
            _("no area of this city has the code %(raw)s%(hint)s%(closest)s"),
            _("no indicator of this city has the code %(raw)s%(hint)s%(closest)s"),
        )
        return None, message % {"raw": repr(raw), "hint": hint, "closest": _closest(raw, self.shown_codes)}


def _area_lookup(city: City, opts: _Options) -> _Lookup:
    items = [(pk, code, [name]) for pk, code, name in Area.objects.filter(city=city).values_list("id", "code", "name")]
    mapping = _read_map(opts.area_map, "area") if opts.area_map else {}
    return _Lookup("area", items, opts.area_match, mapping)


def _indicator_lookup(city: City, opts: _Options) -> _Lookup:
    items = []
    for pk, code, name, translations in Indicator.objects.filter(city=city).values_list(
        "id", "code", "name", "translations"
    ):
        names = [name]
        if isinstance(translations, dict):
            names += [str(t.get("name") or "") for t in translations.values() if isinstance(t, dict)]
        items.append((pk, code, names))
    mapping = _read_map(opts.indicator_map, "indicator") if opts.indicator_map else {}
    return _Lookup("indicator", items, opts.indicator_match, mapping)


# ----------------------------------------------------------------------------------------- periods


class _Periods:
    """Turn what a file says into a canonical :class:`Period`, once per distinct text."""

    def __init__(self, kind: str | None, fy_start_month: int) -> None:
        self.kind, self.fy_start_month = kind, fy_start_month
        self.cache: dict[Any, Period | str] = {}

    def get(self, raw: Any) -> Period | str:
        key = raw if isinstance(raw, str | int | float | date) else _text(raw)
        if key not in self.cache:
            try:
                self.cache[key] = self._convert(self._parse(raw))
            except ValueError as exc:
                self.cache[key] = str(exc)
        return self.cache[key]

    @staticmethod
    def _parse(raw: Any) -> Period:
        if isinstance(raw, datetime):
            return day_period(raw.date())
        if isinstance(raw, date):
            return day_period(raw)
        text = _text(raw)
        midnight = re.fullmatch(r"(\d{4}-\d{2}-\d{2})[T ]00:00(:00)?", text)
        return parse_period(midnight.group(1) if midnight else text)

    def _convert(self, period: Period) -> Period:
        if self.kind is None or (period.kind == self.kind and self.kind != "fy"):
            return period
        target = period_containing(period.start, self.kind, self.fy_start_month)
        if period.end > target.end:
            raise ValueError(
                _("period %(code)s (%(kind)s) does not fit in one %(target)s")
                % {"code": repr(period.code), "kind": period.kind, "target": self.kind}
            )
        return target


def _month_of(column: str) -> int | None:
    text = fold(column).rstrip(".")
    if text in MONTHS:
        return MONTHS[text]
    if text.isdigit() and 1 <= int(text) <= 12:
        return int(text)
    return None


# ----------------------------------------------------------------------------------------- reading


@dataclass
class _Record:
    """One cell to write: the first row that gave it and, with --sum-duplicates, the rows added to it."""

    row: int
    period: Period
    value: float
    numerator: float | None
    denominator: float | None
    quality: str
    source: str


def _label(name: str) -> str:
    """The word for a numeric field in the reader's language (all three are masculine in Spanish)."""
    return {"value": _("value"), "numerator": _("numerator"), "denominator": _("denominator")}.get(name, name)


def _number(
    report: ImportReport, number: int, where: str, label: str, raw: Any, *, decimal_comma: bool, optional: bool
) -> float | None:
    if optional and _text(raw) == "":
        return None
    try:
        return parse_number(raw, decimal_comma=decimal_comma)
    except ValueError as exc:
        report.add_error(number, where, _("the %(label)s %(problem)s") % {"label": _label(label), "problem": exc})
        return None


def _import(ctx: ImportContext) -> None:
    report, city = ctx.report, ctx.city
    opts = _Options.parse(ctx.options)
    table = read_table(ctx.path, encoding=opts.encoding, delimiter=opts.delimiter, sheet=opts.sheet)
    layout = _layout(table, opts)
    filters = _parse_filters(opts.filter, table.columns)
    if layout.ignored:
        report.notes.append(_("columns not used: %(columns)s") % {"columns": ", ".join(layout.ignored)})
    areas, indicators = _area_lookup(city, opts), _indicator_lookup(city, opts)
    periods = _Periods(opts.period_kind, city.financial_year_start_month)
    decimal_comma = table.delimiter == ";"
    default_quality = QUALITIES[fold(opts.quality)] if opts.quality else Observation.OFFICIAL
    default_source = (opts.source or "").strip()
    col = layout.columns
    wide_context = []
    for column in layout.wide:
        special: dict[str, Any] = {"column": _Cell(column)}
        if re.fullmatch(r"\d{4}", column.strip()):
            special["year"] = int(column)
        month = _month_of(column)
        if month is not None:
            special["month"] = month
        wide_context.append((column, special))
    template_uses_row = bool(opts.period_template) and bool(
        _template_fields(opts.period_template) - {"column", "year", "month"}
    )

    cells: dict[tuple[int, int, str, str, str, str], _Record] = {}
    skipped = filtered = summed = 0
    for number, row in table.rows:
        report.rows += 1
        if "__error__" in row:
            report.add_error(number, "row", _("this row cannot be read: %(problem)s") % {"problem": row["__error__"]})
            continue
        if filters and not _keep(row, filters):
            filtered += 1
            continue
        errors_before = report.error_count

        def get(name: str, row: dict[str, Any] = row) -> Any:
            column = col.get(name)
            return row.get(column) if column else None

        indicator_raw = opts.indicator or _text(get("indicator"))
        indicator_id, reason = indicators.find(indicator_raw)
        if reason:
            report.add_error(number, col.get("indicator") or "indicator", reason)
        cells_of_row = (
            {name: _Cell(_text(value)) for name, value in row.items()}
            if opts.area_template or template_uses_row
            else {}
        )
        if opts.area_template:
            try:
                area_raw = _render(opts.area_template, cells_of_row, "--area-template")
            except ValueError as exc:
                report.add_error(number, "area", str(exc))
                area_raw = None
        else:
            area_raw = _text(get("area"))
        area_id = None
        if area_raw is not None:
            area_id, reason = areas.find(area_raw)
            if reason:
                report.add_error(number, col.get("area") or "area", reason)
        sex_raw = _text(get("sex"))
        sex = SEXES.get(fold(sex_raw))
        if sex is None:
            report.add_error(
                number,
                col["sex"] or "sex",
                _("the sex %(raw)s is not female, male, other or blank") % {"raw": repr(sex_raw)},
            )
        dimensions = {}
        for name in ("age_group", "disability"):
            dimensions[name] = _text(get(name))
            if len(dimensions[name]) > MAX_TEXT[name]:
                report.add_error(number, col[name] or name, _too_long(MAX_TEXT[name]))
        quality_raw = _text(get("quality"))
        quality = QUALITIES.get(fold(quality_raw)) if quality_raw else default_quality
        if quality is None:
            report.add_error(
                number,
                col["quality"] or "quality",
                _("the quality %(raw)s is not official, community or estimated") % {"raw": repr(quality_raw)},
            )
        source = _text(get("source")) or default_source
        if len(source) > MAX_TEXT["source"]:
            report.add_error(number, col["source"] or "source", _too_long(MAX_TEXT["source"]))

        # (period, value, numerator, denominator, field of the value) for each observation of the row
        found: list[tuple[Period | str, float | None, float | None, float | None, str]] = []
        if layout.wide:
            context = cells_of_row if template_uses_row else {}
            for column, special in wide_context:
                raw_value = row.get(column)
                if _text(raw_value) == "":
                    skipped += 1  # not yet published
                    continue
                value = _number(report, number, column, "value", raw_value, decimal_comma=decimal_comma, optional=False)
                if opts.period_template:
                    try:
                        period_text: Any = _render(opts.period_template, {**context, **special}, "--period-template")
                    except ValueError as exc:
                        report.add_error(number, column, str(exc))
                        continue
                else:
                    period_text = column
                found.append((periods.get(period_text), value, None, None, column))
        else:
            value = _number(
                report,
                number,
                col["value"] or "value",
                "value",
                get("value"),
                decimal_comma=decimal_comma,
                optional=False,
            )
            numerator, denominator = (
                _number(report, number, col[name] or name, name, get(name), decimal_comma=decimal_comma, optional=True)
                for name in ("numerator", "denominator")
            )
            for name, amount in (("numerator", numerator), ("denominator", denominator)):
                if amount is not None and amount < 0:
                    report.add_error(
                        number,
                        col[name] or name,
                        _("the %(label)s %(amount)s is negative") % {"label": _label(name), "amount": f"{amount:g}"},
                    )
            period_raw = get("period")
            period = periods.get(period_raw if not isinstance(period_raw, str) else period_raw.strip())
            found.append((period, value, numerator, denominator, col["value"] or "value"))

        for period, _value, _numerator, _denominator, where in found:
            if isinstance(period, str):
                report.add_error(number, col.get("period") or where, period)
        if report.error_count > errors_before:
            continue
        for period, value, numerator, denominator, where in found:
            if not isinstance(period, Period) or value is None or not indicator_id or not area_id or not quality:
                continue  # unreachable: every such case added an error above
            key = (indicator_id, area_id, period.code, sex or "", dimensions["age_group"], dimensions["disability"])
            earlier = cells.get(key)
            if earlier is None:
                cells[key] = _Record(number, period, value, numerator, denominator, quality, source)
            elif opts.sum_duplicates:
                summed += 1
                earlier.value += value
                earlier.numerator = _add(earlier.numerator, numerator)
                earlier.denominator = _add(earlier.denominator, denominator)
            else:
                report.add_error(
                    number,
                    where,
                    _(
                        "repeats the observation of row %(row)s (same indicator, area, period %(period)s and "
                        "disaggregation); remove one, or add --sum-duplicates to add them up"
                    )
                    % {"row": earlier.row, "period": period.code},
                )

    if filtered:
        report.notes.append(_("%(n)s row(s) left out by --filter") % {"n": filtered})
    if skipped:
        report.notes.append(_("%(n)s blank wide cell(s) skipped (not yet published)") % {"n": skipped})
    if summed:
        report.notes.append(
            _("%(n)s duplicate(s) added into the observation of their first row (--sum-duplicates)") % {"n": summed}
        )
    if not report.ok:
        return
    if not cells:
        if report.rows == 0:
            raise FileProblem(_("the file has a header but no data rows"))
        raise FileProblem(_("no observation found in the file (every row was filtered out or blank)"))
    _write(ctx, cells)


def _too_long(limit: int) -> str:
    return _("is longer than %(limit)s characters") % {"limit": limit}


def _add(first: float | None, second: float | None) -> float | None:
    return None if first is None or second is None else first + second


# ----------------------------------------------------------------------------------------- writing

# Written with plain parameterised SQL rather than bulk_create/bulk_update: building 300,000 model
# instances and compiling their INSERTs took 25 of 33 seconds for the SAPS file; executemany takes ~3.
_INSERT_COLUMNS = [
    "city",
    "indicator",
    "area",
    "period",
    "sex",
    "age_group",
    "disability",
    "import_run",
    "value",
    "numerator",
    "denominator",
    "quality",
    "source",
    "period_type",
    "period_start",
    "period_end",
]
_UPDATE_COLUMNS = _INSERT_COLUMNS[7:]
BATCH = 5000


def _same(first: float | None, second: float | None) -> bool:
    if first is None or second is None:
        return first is None and second is None
    return math.isclose(first, second, rel_tol=VALUE_TOLERANCE, abs_tol=VALUE_TOLERANCE)


def _write(ctx: ImportContext, cells: dict[tuple[int, int, str, str, str, str], _Record]) -> None:
    report, city = ctx.report, ctx.city
    indicator_ids = sorted({key[0] for key in cells})
    existing: dict[tuple[int, int, str, str, str, str], tuple[Any, ...]] = {}
    rows = Observation.objects.filter(city=city, indicator_id__in=indicator_ids).values_list(
        "indicator_id",
        "area_id",
        "period",
        "sex",
        "age_group",
        "disability",
        "id",
        "value",
        "numerator",
        "denominator",
        "quality",
        "source",
        "period_type",
        "period_start",
        "period_end",
    )
    for row in rows.iterator(chunk_size=5000):
        existing[row[:6]] = row[6:]
    to_create: list[tuple[Any, ...]] = []
    to_update: list[tuple[Any, ...]] = []
    adapt = connection.ops.adapt_datefield_value
    dates: dict[date, Any] = {}
    for key, record in cells.items():
        period = record.period
        old = existing.get(key)
        if old is not None:
            pk, value, numerator, denominator, quality, source, kind, start, end = old
            if (
                _same(value, record.value)
                and _same(numerator, record.numerator)
                and _same(denominator, record.denominator)
                and (quality, source, kind, start, end)
                == (record.quality, record.source, period.kind, period.start, period.end)
            ):
                report.unchanged += 1
                continue
        start, end = (dates.setdefault(day, adapt(day)) for day in (period.start, period.end))
        fields = (
            ctx.run.pk,
            record.value,
            record.numerator,
            record.denominator,
            record.quality,
            record.source,
            period.kind,
            start,
            end,
        )
        if old is None:
            to_create.append((city.pk, *key, *fields))
        else:
            to_update.append((*fields, old[0]))
    update_observations(to_update)
    insert_observations(to_create)
    report.created, report.updated = len(to_create), len(to_update)


def _columns(names: list[str]) -> list[str]:
    quote = connection.ops.quote_name
    return [quote(Observation._meta.get_field(name).column) for name in names]


def _copy_cursor(cursor: Any) -> Any:
    """The psycopg 3 cursor under Django's wrapper when it can COPY, else ``None``."""
    raw = getattr(cursor, "cursor", None)
    return raw if connection.vendor == "postgresql" and hasattr(raw, "copy") else None


def insert_observations(rows: list[tuple[Any, ...]]) -> None:
    """INSERT rows whose values follow ``_INSERT_COLUMNS`` (already adapted for the database).

    PostgreSQL gets COPY: psycopg's client-side parameter binding spent 70 of 95 seconds splitting
    large multi-row INSERTs; COPY has no SQL to parse. SQLite's executemany is a C loop.
    """
    if not rows:
        return
    table = connection.ops.quote_name(Observation._meta.db_table)
    columns = ", ".join(_columns(_INSERT_COLUMNS))
    with connection.cursor() as cursor:
        raw = _copy_cursor(cursor)
        if raw is not None:
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(_INSERT_COLUMNS))})"
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])


def update_observations(rows: list[tuple[Any, ...]]) -> None:
    """UPDATE by id rows whose values follow ``_UPDATE_COLUMNS`` and end with the id."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(Observation._meta.db_table)
    columns = _columns(_UPDATE_COLUMNS)
    with connection.cursor() as cursor:
        raw = _copy_cursor(cursor)
        if raw is not None:
            # COPY into a scratch table, then one UPDATE … FROM: no per-row statements.
            cursor.execute(
                f"CREATE TEMPORARY TABLE sc_observation_update AS SELECT {', '.join(columns)}, id "
                f"FROM {table} WITH NO DATA"
            )
            with raw.copy(f"COPY sc_observation_update ({', '.join(columns)}, id) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            assignments = ", ".join(f"{column} = u.{column}" for column in columns)
            cursor.execute(f"UPDATE {table} AS o SET {assignments} FROM sc_observation_update AS u WHERE o.id = u.id")
            cursor.execute("DROP TABLE sc_observation_update")
            return
        assignments = ", ".join(f"{column} = %s" for column in columns)
        sql = f"UPDATE {table} SET {assignments} WHERE {quote('id')} = %s"
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])
