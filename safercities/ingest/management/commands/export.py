"""``safercities export observations|areas|incidents|alerts --city SLUG [--format F] [--output FILE]``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safercities.analytics.periods import parse_period
from safercities.ingest import exports
from safercities.places.models import City

TABLES = {
    "observations": exports.OBSERVATION_COLUMNS,
    "areas": exports.AREA_COLUMNS,
    "alerts": exports.ALERT_COLUMNS,
    "incidents": exports.INCIDENT_COLUMNS,
}


class Command(BaseCommand):
    help = "Export a city's data as CSV, HXL-tagged CSV, XLSX, GeoJSON or JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=sorted(TABLES))
        parser.add_argument("--city", required=True)
        parser.add_argument("--indicator")
        parser.add_argument("--period")
        parser.add_argument("--since", help="alerts: periods from this one on")
        parser.add_argument("--format", choices=["csv", "hxl", "xlsx", "geojson", "json"], default="csv")
        parser.add_argument("--output", help="file to write (default: standard output; required for xlsx)")
        parser.add_argument(
            "--full",
            action="store_true",
            help="incidents: raw rows with exact places (staff only); default is masked h3 cells",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            city = City.objects.get(slug=options["city"])
        except City.DoesNotExist:
            raise CommandError("no city with that slug (see 'safercities city list')", returncode=2) from None
        if options["period"]:
            try:
                options["period"] = parse_period(options["period"]).code
            except ValueError as exc:
                raise CommandError(str(exc), returncode=2) from None
        what, fmt = options["what"], options["format"]
        if fmt == "xlsx" and not options["output"]:
            raise CommandError("--format xlsx needs --output FILE", returncode=2)
        if fmt == "geojson" and what not in {"areas", "incidents"}:
            raise CommandError("GeoJSON is available for areas and incidents", returncode=2)
        if what == "incidents" and not options["full"] and fmt not in {"geojson", "json"}:
            raise CommandError(
                "incidents are public only as masked h3 cells (--format geojson); use --full for raw rows",
                returncode=2,
            )

        if what == "incidents" and not options["full"]:
            text = exports.dumps(exports.masked_incident_features(city, period=options["period"]))
            self._emit(text, options["output"])
            return
        rows = self._rows(what, city, options)
        if fmt == "xlsx":
            count = exports.write_xlsx(rows, TABLES[what], options["output"])
            self.stderr.write(f"wrote {count} row(s) to {options['output']}")
            return
        if fmt == "geojson":
            self._emit(exports.dumps(exports.area_geojson(city)), options["output"])
            return
        if fmt == "json":
            data = [{k: v for k, v in row.items() if not k.startswith("_")} for row in rows]
            self._emit(exports.dumps({what: data}), options["output"])
            return
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as handle:
                count = exports.write_table(rows, TABLES[what], fmt, handle)
            self.stderr.write(f"wrote {count} row(s) to {options['output']}")
        else:
            exports.write_table(rows, TABLES[what], fmt, self.stdout)

    def _rows(self, what: str, city: City, options: dict[str, Any]) -> Any:
        if what == "observations":
            return exports.observation_rows(city, indicator=options["indicator"], period=options["period"])
        if what == "areas":
            return exports.area_rows(city)
        if what == "alerts":
            return exports.alert_rows(city, since=options["since"])
        return exports.incident_rows(city, period=options["period"])

    def _emit(self, text: str, output: str | None) -> None:
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            self.stdout.write(text)
