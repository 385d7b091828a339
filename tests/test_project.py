"""Project-wide rules checked by machine: the analytics boundary, settings documentation, migrations."""

import ast
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
ANALYTICS = ROOT / "safercities" / "analytics"
FORBIDDEN = (
    "django",
    "safercities.places",
    "safercities.indicators",
    "safercities.incidents",
    "safercities.ingest",
    "safercities.accounts",
    "safercities.monitoring",
    "safercities.jobs",
    "safercities.demo",
    "safercities.settings",
)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_analytics_never_imports_django_or_apps():
    offenders = {
        str(path.relative_to(ROOT)): sorted(name for name in _imports(path) if name.startswith(FORBIDDEN))
        for path in ANALYTICS.rglob("*.py")
    }
    offenders = {path: names for path, names in offenders.items() if names}
    assert offenders == {}


def test_boundary_check_catches_a_violation(tmp_path):
    # The check above must be able to fail: a module importing Django is detected.
    bad = tmp_path / "bad.py"
    bad.write_text("from django.db import models\nimport numpy\n")
    assert any(name.startswith(FORBIDDEN) for name in _imports(bad))


def test_every_setting_is_documented_in_env_example():
    settings_source = (ROOT / "safercities" / "settings.py").read_text()
    read = set(re.findall(r'(?:os\.environ\.get|env(?:bool|int|list))\("([A-Z_]+)"', settings_source))
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    assert read, "no settings found: the pattern is broken"
    assert read - documented == set()


@pytest.mark.django_db
def test_migrations_are_up_to_date():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
