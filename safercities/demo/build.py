"""Build the synthetic demo city through the product's own importers, idempotently.

``generate.py`` makes the files; this module creates the city (flagged and named as synthetic), loads
the files with ``import_areas``, ``import_population``, ``import_observations`` and ``import_incidents``
exactly as an analyst would, and creates one demo user per role when asked to.

Re-running changes nothing, for two reasons: the importers upsert (an identical file gives created=0,
updated=0), and — so that ``make run`` starts in seconds — the build first checks whether this city
already has successful imports of the very files it would write. The file names carry a key derived
from everything the files depend on (generator source, catalogue, seed, scale, the city's indicator
codes), so a changed generator or catalogue loads again while an unchanged one is skipped without
even generating. ``force=True`` always runs the importers.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from safercities.accounts.actions import grant_role
from safercities.demo import generate
from safercities.ingest.models import ImportRun
from safercities.ingest.report import ImportReport
from safercities.places.models import City

DEMO_VERSION = "1"
DEMO_NAME = "Ciudad Demo (synthetic)"
# Demo-only password, documented in docs/demo.md and printed by the command. Never created on an
# installation with DEBUG off unless the operator passes --with-users (see the command).
DEMO_PASSWORD = "safer-cities-demo"  # noqa: S105
DEMO_USERS: tuple[tuple[str, str], ...] = (
    ("demo-resident", "resident"),
    ("demo-monitor", "monitor"),
    ("demo-analyst", "analyst"),
    ("demo-admin", "city_admin"),
    ("demo-network", "network_admin"),
)

# kind -> (module, function, file extension, options); loaded in this order.
STEPS: tuple[tuple[str, str, str, str, dict[str, Any]], ...] = (
    (
        "areas",
        "safercities.places.importers",
        "import_areas",
        "geojson",
        {"population_field": "population", "population_year": generate.YEARS[0]},
    ),
    ("population", "safercities.places.importers", "import_population", "csv", {}),
    ("observations", "safercities.indicators.importers", "import_observations", "csv", {}),
    (
        "incidents",
        "safercities.incidents.importers",
        "import_incidents",
        "csv",
        {
            "time_field": "occurred_at",
            "category_field": "category",
            "lat_field": "lat",
            "lon_field": "lon",
            "id_field": "id",
        },
    ),
)


class DemoError(Exception):
    """The demo cannot be built (a real city has the slug, or an importer rejected a demo file)."""


@dataclass
class BuildResult:
    city: City
    key: str
    created_city: bool = False
    skipped: bool = False
    reports: dict[str, ImportReport] = field(default_factory=dict)
    users_created: list[str] = field(default_factory=list)
    users_existing: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        """Whether this run wrote anything (a new city, new or updated rows, new users)."""
        return (
            self.created_city
            or bool(self.users_created)
            or any(report.created or report.updated for report in self.reports.values())
        )


# Apps that add their own demo records (resident reports, working groups, crises …) after the data and the
# users are in; each ``build`` is idempotent, like the rest of the demo.
EXTENSIONS = ("reports", "surveys", "community", "practices", "crises")


def demo_key(city: City, *, seed: int, scale: float) -> str:
    """What the demo files depend on, hashed: equal keys mean byte-identical files."""
    digest = hashlib.sha256()
    for part in (DEMO_VERSION, str(seed), repr(float(scale))):
        digest.update(part.encode() + b"\0")
    digest.update(Path(generate.__file__).read_bytes())
    digest.update(generate.CATALOGUE_PATH.read_bytes())
    digest.update(",".join(sorted(city.indicators.values_list("code", flat=True))).encode())
    return digest.hexdigest()[:12]


def file_name(kind: str, key: str) -> str:
    extension = next(step[3] for step in STEPS if step[0] == kind)
    return f"demo-{kind}-{key}.{extension}"


def is_loaded(city: City, key: str) -> bool:
    """Whether every demo file with this key has already been imported successfully into ``city``."""
    names = {file_name(step[0], key) for step in STEPS}
    done = set(
        ImportRun.objects.filter(city=city, status=ImportRun.OK, filename__in=names).values_list("filename", flat=True)
    )
    return done == names


def get_or_create_city(slug: str) -> tuple[City, bool]:
    """The demo city; refuse to touch a real (non-synthetic) city that happens to have the slug."""
    from safercities.indicators.catalogue import install_catalogue
    from safercities.places.actions import create_city

    city = City.objects.filter(slug=slug).first()
    if city is None:
        city = create_city(
            slug=slug,
            name=DEMO_NAME,
            country="MX",
            languages="en,es",
            timezone="America/Mexico_City",
            is_synthetic=True,
        )
        return city, True
    if not city.is_synthetic:
        raise DemoError(f"the city {slug!r} exists and is not synthetic: the demo will not write into a real city")
    install_catalogue(city)  # adds indicators the catalogue gained since; never overwrites edits
    return city, False


def build_demo(
    *,
    slug: str = "demo",
    seed: int = generate.SEED,
    scale: float = 1.0,
    with_users: bool = False,
    force: bool = False,
    log: Callable[[str], None] | None = None,
) -> BuildResult:
    """Create or refresh the demo city; see the module docstring for why a re-run changes nothing."""
    say = log or (lambda message: None)
    city, created = get_or_create_city(slug)
    key = demo_key(city, seed=seed, scale=scale)
    result = BuildResult(city=city, key=key, created_city=created)
    if not force and not created and is_loaded(city, key):
        result.skipped = True
        say(f"Demo city {city.slug!r} is up to date (key {key}); nothing to do.")
    else:
        _load(city, key, seed=seed, scale=scale, result=result, say=say)
    if with_users:
        _users(city, result)
    for app in EXTENSIONS:
        import_module(f"safercities.{app}.demo").build(city, say=say)
    return result


def _load(city: City, key: str, *, seed: int, scale: float, result: BuildResult, say: Callable[[str], None]) -> None:
    codes = list(city.indicators.values_list("code", flat=True))
    data = generate.generate(seed=seed, scale=scale, indicator_codes=codes)
    result.facts = data.facts
    with tempfile.TemporaryDirectory(prefix="safercities-demo-") as tmp:
        written = generate.write_files(data, tmp)
        paths = {}
        for kind, path in written.items():
            target = path.with_name(file_name(kind, key))
            path.rename(target)
            paths[kind] = target
        _ensure_categories(city)
        for kind, module, function, _extension, options in STEPS:
            importer = getattr(import_module(module), function)
            report: ImportReport = importer(city, paths[kind], user=None, dry_run=False, **options)
            if not report.ok:
                details = "; ".join(f"row {error.row}, {error.field}: {error.message}" for error in report.errors[:10])
                raise DemoError(f"the {kind} importer rejected the demo file ({report.error_count} errors): {details}")
            result.reports[kind] = report
            say(f"{kind}: {report.summary()}")
    boundary = data.boundary
    if city.boundary != boundary:
        city.boundary = boundary
        city.save(update_fields=["boundary"])


def _ensure_categories(city: City) -> None:
    """The demo's incident categories, sensitive ones flagged (created only where missing)."""
    from safercities.incidents.models import IncidentCategory

    existing = set(city.incident_categories.values_list("code", flat=True))
    missing = [
        IncidentCategory(
            city=city,
            code=code,
            name=code.replace("_", " ").capitalize(),
            sensitive=code in generate.SENSITIVE_CATEGORIES,
        )
        for code in generate.CATEGORIES
        if code not in existing
    ]
    if missing:
        IncidentCategory.objects.bulk_create(missing)


def _users(city: City, result: BuildResult) -> None:
    """One user per role; an existing demo user keeps its password (a re-run changes nothing)."""
    user_model = get_user_model()
    with transaction.atomic():
        for username, role in DEMO_USERS:
            user = user_model.objects.filter(username=username).first()
            if user is None:
                user = user_model(username=username, first_name="Demo", last_name=role.replace("_", " "))
                user.set_password(DEMO_PASSWORD)
                user.save()
                result.users_created.append(username)
            else:
                result.users_existing.append(username)
            has_role = user.memberships.filter(city=None if role == "network_admin" else city, role=role).exists()
            if not has_role:
                grant_role(user=user, city=city, role=role)
