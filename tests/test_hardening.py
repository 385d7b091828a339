"""Hardening checked by machine: `check --deploy` is clean with production settings, the CSP forbids
inline scripts, and no template relies on inline script or style (the CSP would block it)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import WARNING, run_checks
from django.test import override_settings

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DEBUG": "false",
    "TESTING": "false",
    "SECRET_KEY": "k7#Qv9!pL2mZ8wX4rT6yN1bH5jD3fG0sA9eC7uI2oP4qW6zX8vB1nM3",
    "ALLOWED_HOSTS": "safety.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://safety.example.org",
    "BEHIND_PROXY": "true",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "SECURE_COOKIES": "true",
}


@pytest.mark.slow
def test_check_deploy_is_clean_with_the_production_environment(tmp_path):
    # The real settings module read from a production-like environment, in a fresh process.
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "TESTING", "DEBUG"}}
    env.update(PRODUCTION_ENV, DATA_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


SECURE = {
    "DEBUG": False,
    "SECRET_KEY": PRODUCTION_ENV["SECRET_KEY"],
    "ALLOWED_HOSTS": ["safety.example.org"],
    "SECURE_SSL_REDIRECT": True,
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
}


def _deploy_warnings():
    return [issue for issue in run_checks(include_deployment_checks=True) if issue.level >= WARNING]


def test_deploy_checks_with_override_settings():
    with override_settings(**SECURE):
        assert _deploy_warnings() == []
    # The check can fail: a weak key and insecure cookies are reported.
    with override_settings(**{**SECURE, "SECRET_KEY": "short", "SESSION_COOKIE_SECURE": False}):
        ids = {issue.id for issue in _deploy_warnings()}
    assert {"security.W009", "security.W012"} <= ids


def _directives(header):
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/en/", "/en/accounts/login/"])
def test_content_security_policy_forbids_inline_scripts(client, db, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = _directives(response["Content-Security-Policy"])
    scripts = policy.get("script-src", policy.get("default-src"))
    assert scripts and "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE), "inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.IGNORECASE), "event-handler attribute"),
    (re.compile(r"javascript:", re.IGNORECASE), "javascript: URL"),
    (re.compile(r"<style[\s>]", re.IGNORECASE), "inline <style>"),
    (re.compile(r"\sstyle\s*=", re.IGNORECASE), "style attribute"),
]


def _offences(text):
    return [name for pattern, name in INLINE if pattern.search(text)]


def test_no_template_relies_on_inline_script_or_style():
    offenders = {}
    for path in (ROOT / "safercities").rglob("templates/**/*.html"):
        found = _offences(path.read_text(encoding="utf-8"))
        if found:
            offenders[str(path.relative_to(ROOT))] = found
    assert offenders == {}


def test_inline_detector_can_fail():
    assert _offences("<script>alert(1)</script>") == ["inline <script>"]
    assert _offences('<button onclick="x()">') == ["event-handler attribute"]
    assert _offences('<p style="color:red">') == ["style attribute"]
    assert _offences('<script src="/static/app.js" defer></script>') == []


def test_forms_carry_csrf_tokens():
    # Every POST form in our templates carries the token (the middleware rejects those that do not).
    missing = []
    for path in (ROOT / "safercities").rglob("templates/**/*.html"):
        for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>.*?</form>", path.read_text(), re.I | re.S):
            if "csrf_token" not in form:
                missing.append(str(path.relative_to(ROOT)))
    assert missing == []
