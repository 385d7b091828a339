"""``safercities import areas|population|indicators|observations|incidents FILE --city SLUG …`` (INTERFACES.md).

Exit status: 0 imported (or checked with --dry-run), 1 rejected (nothing written), 2 wrong usage.
"""

from __future__ import annotations

import json
from importlib import import_module
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safercities.ingest.report import ImportReport
from safercities.places.models import City

# kind -> (module, function); each function is (city, path, *, user, dry_run, **options) -> ImportReport
IMPORTERS = {
    "areas": ("safercities.places.importers", "import_areas"),
    "indicators": ("safercities.indicators.importers", "import_indicators"),
    "observations": ("safercities.indicators.importers", "import_observations"),
    "incidents": ("safercities.incidents.importers", "import_incidents"),
    "population": ("safercities.places.importers", "import_population"),
}


class Command(BaseCommand):
    help = "Validate a file completely, then import it in one transaction (or reject it whole)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="kind", required=True)

        def common(p: CommandParser) -> None:
            p.add_argument("file")
            p.add_argument("--city", required=True, help="the city's slug")
            p.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")
            p.add_argument("--json", action="store_true", help="print the summary as JSON")

        areas = sub.add_parser("areas", help="GeoJSON, zipped Shapefile or GeoPackage")
        common(areas)
        areas.add_argument("--code-field")
        areas.add_argument("--name-field")
        areas.add_argument("--parent-field")
        areas.add_argument("--level")
        areas.add_argument("--population-field")
        areas.add_argument("--population-year", type=int)
        areas.add_argument("--crs", help="declared CRS when the file has none, e.g. EPSG:32614")
        areas.add_argument("--layer", help="layer of a GeoPackage (or shapefile of a zip holding several)")
        areas.add_argument("--code-template", help="code built from properties, e.g. '{PROV}-{NAME}'")
        areas.add_argument("--parent-code", help="parent of every feature without one (created if missing)")
        areas.add_argument("--parent-name", help="name of the --parent-code area")
        areas.add_argument("--parent-level", help="level of the --parent-code area (default: root)")

        population = sub.add_parser("population", help="population by area and year (CSV/XLSX, long or wide)")
        common(population)
        population.add_argument("--area-field", help="column that holds the area code (default: area)")
        population.add_argument("--area-match", choices=["code", "name"], default="code")
        population.add_argument(
            "--area-code-prefix",
            type=int,
            metavar="N",
            help="sum rows into the area whose code is the first N characters of the row's code",
        )
        population.add_argument("--wide", metavar="COLUMNS", help="one column per year, e.g. '1990-2040'")
        population.add_argument("--year-field", help="column that holds the year (default: year)")
        population.add_argument("--population-field", help="column that holds the population (default: population)")
        population.add_argument("--sex-field", help="column that holds the sex (default: sex, if present)")
        population.add_argument("--age-group-field", help="column that holds the age group (default: age_group)")
        population.add_argument(
            "--total-code", metavar="CODE", help="also sum every row into this area (e.g. a national area 00)"
        )
        population.add_argument("--sheet", help="sheet of a workbook")
        population.add_argument("--delimiter")
        population.add_argument("--encoding")

        indicators = sub.add_parser("indicators", help="indicator definitions (CSV)")
        common(indicators)

        observations = sub.add_parser("observations", help="observations (CSV/XLSX, long or wide)")
        common(observations)
        observations.add_argument("--sheet", help="sheet of a workbook")
        observations.add_argument("--delimiter")
        observations.add_argument("--encoding")
        observations.add_argument(
            "--wide",
            metavar="COLUMNS",
            help="wide table: the columns that hold values, one per period (e.g. '2003-2012' or 'Enero,Febrero')",
        )
        observations.add_argument("--indicator", help="indicator code for every row (when the file has none)")
        observations.add_argument("--indicator-field", help="column that holds the indicator code")
        observations.add_argument("--indicator-match", choices=["code", "name"], default="code")
        observations.add_argument(
            "--indicator-map", metavar="FILE", help="CSV value,code: file's text → indicator code"
        )
        observations.add_argument("--area-field", help="column that holds the area code")
        observations.add_argument("--area-match", choices=["code", "name"], default="code")
        observations.add_argument("--area-template", help="area code built from columns, e.g. '{province}-{station}'")
        observations.add_argument("--area-map", metavar="FILE", help="CSV value,code: file's text → area code")
        observations.add_argument("--period-field", help="column that holds the period")
        observations.add_argument(
            "--period-template", help="e.g. '{column}April' or '{Año}-{month:02d}' for wide columns"
        )
        observations.add_argument(
            "--period-kind",
            choices=["day", "week", "month", "quarter", "year", "fy"],
            help="store the month/quarter/year/fy (city's financial year) that contains each date",
        )
        observations.add_argument("--value-field", help="column that holds the value")
        observations.add_argument("--quality", choices=["official", "community", "estimated"])
        observations.add_argument("--source", help="source to record on every row")
        observations.add_argument(
            "--filter", action="append", metavar="COLUMN=VALUE", help="keep matching rows only (COLUMN!=VALUE: drop)"
        )
        observations.add_argument("--sum-duplicates", action="store_true", help="add up rows for the same cell")

        incidents = sub.add_parser("incidents", help="one row per event (CSV)")
        common(incidents)
        incidents.add_argument("--time-field")
        incidents.add_argument("--category-field")
        incidents.add_argument("--lat-field")
        incidents.add_argument("--lon-field")
        incidents.add_argument("--area-field")
        incidents.add_argument("--id-field")
        incidents.add_argument("--date-format")
        incidents.add_argument("--delimiter")
        incidents.add_argument("--encoding")
        incidents.add_argument("--source", choices=["official", "community"])

    def handle(self, *args: Any, **options: Any) -> None:
        kind = options.pop("kind")
        as_json = options.pop("json")
        try:
            city = City.objects.get(slug=options.pop("city"))
        except City.DoesNotExist:
            raise CommandError("no city with that slug (see 'safercities city list')", returncode=2) from None
        module_name, function_name = IMPORTERS[kind]
        importer = getattr(import_module(module_name), function_name)
        path = options.pop("file")
        dry_run = options.pop("dry_run")
        for key in (
            "verbosity",
            "settings",
            "pythonpath",
            "traceback",
            "no_color",
            "force_color",
            "skip_checks",
            "stdout",
            "stderr",
        ):
            options.pop(key, None)
        options = {key: value for key, value in options.items() if value is not None and value is not False}
        report: ImportReport = importer(city, path, user=None, dry_run=dry_run, **options)
        if as_json:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
        else:
            self.stdout.write(report.summary())
            for note in report.notes:
                self.stdout.write(f"  note: {note}")
            for error in report.errors[:200]:
                where = f"row {error.row}" if error.row else "file"
                self.stdout.write(f"  {where}, {error.field}: {error.message}")
            if report.error_count > 200:
                self.stdout.write(f"  … and {report.error_count - 200} more (use --json for all)")
        if not report.ok:
            raise SystemExit(1)
