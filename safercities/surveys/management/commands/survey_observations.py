"""(Re)compute the community observations of a perception survey round, all or nothing."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from safercities.surveys import actions
from safercities.surveys.models import SurveyRound


class Command(BaseCommand):
    help = "Recompute the perception indicators (SDG 16.1.4, 11.7.2) from a survey round's answers."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--city", required=True)
        parser.add_argument("--period", required=True, help="the round's period, e.g. 2026Q1")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options) -> None:
        survey = SurveyRound.objects.filter(city__slug=options["city"], period=options["period"]).first()
        if survey is None:
            raise CommandError(f"no survey round {options['period']!r} in city {options['city']!r}")
        result = actions.compute_observations(survey=survey)
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict()))
        else:
            r = result
            self.stdout.write(f"written {r.written}, withheld {r.withheld}, kept {r.kept_other_source}")
