"""The exact commands of docs/data-formats.md load the real pilot data (and give the stated counts)."""

import os
import re
import shlex
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from safercities.indicators.models import Observation
from safercities.places.models import Area, AreaPopulation, City

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("SAFERCITIES_REAL_DATA") or ROOT.parent / "shared" / "data")
DOC = ROOT / "docs" / "data-formats.md"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not DATA.is_dir() and not os.environ.get("CI"), reason=f"no pilot data at {DATA}"),
]


def documented_commands(heading: str) -> list[list[str]]:
    """The ``safercities …`` lines of the first sh block after ``heading``, as argument lists."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)
    commands = []
    for line in block.strip().splitlines():
        args = shlex.split(line)
        assert args[0] == "safercities"
        args = [str(DATA) + a[len("../shared/data") :] if a.startswith("../shared/data") else a for a in args[1:]]
        args = [str(ROOT / a) if a.startswith("examples/") else a for a in args]
        commands.append(args)
    return commands


def run_all(commands: list[list[str]]) -> None:
    for args in commands:
        out = StringIO()
        try:
            call_command(*args, stdout=out)
        except SystemExit as exc:  # the import command exits 1 on a rejected file
            pytest.fail(f"{' '.join(args[:3])} was rejected: {exc} {out.getvalue()[:2000]}")


@pytest.mark.django_db
def test_mexico_commands():
    run_all(documented_commands("### Mexico"))
    city = City.objects.get(slug="mexico")
    assert Area.objects.filter(city=city, level="state").count() == 32
    assert AreaPopulation.objects.filter(area__city=city, area__level="state").count() == 32 * 51
    victims = Observation.objects.filter(city=city, indicator__code__startswith="mx-victimas-")
    assert victims.count() == 59_895
    carpetas = Observation.objects.filter(city=city, indicator__code__startswith="mx-carpetas-")
    assert carpetas.count() == 7_584


@pytest.mark.django_db
def test_south_africa_commands():
    run_all(documented_commands("### South Africa"))
    city = City.objects.get(slug="south-africa")
    assert Area.objects.filter(city=city, level="station").count() == 1_132
    assert Observation.objects.filter(city=city).count() == 328_280
    aberdeen = Observation.objects.get(
        city=city, area__code="EC-Aberdeen", indicator__name="Murder", period="2003April"
    )
    assert aberdeen.value == 6
