"""Settings for Safer Cities Monitor.

Everything comes from the environment (see ``.env.example``); this module does no I/O beyond reading
``os.environ`` and imports no app code. Bad values raise ``ImproperlyConfigured`` at start-up rather
than misbehaving later.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str = "False") -> bool:
    """Read a boolean; anything but a clear yes/no is a configuration error."""
    value = os.environ.get(name, default).strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: str) -> int:
    """Read an integer setting."""
    value = os.environ.get(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def envlist(name: str, default: str = "") -> list[str]:
    """Read a comma-separated list, ignoring blanks."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", "False")
TESTING = envbool("TESTING", "False")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105
    else:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
DATA_DIR = Path(os.environ.get("DATA_DIR", str(BASE_DIR / "data")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "safercities.accounts",
    "safercities.places",
    "safercities.indicators",
    "safercities.incidents",
    "safercities.ingest",
    "safercities.jobs",
    "safercities.monitoring",
    "safercities.demo",
    "safercities.audit",
    "safercities.workspace",
    "safercities.portal",
    "safercities.api",
    "safercities.reports",
    "safercities.open311",
    "safercities.surveys",
    "safercities.community",
    "safercities.practices",
    "safercities.learning",
    "safercities.crises",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outermost after the headers: any view failing because the database is down answers 503.
    "safercities.audit.availability.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "safercities.accounts.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "safercities.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "safercities" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "safercities.wsgi.application"

DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'safercities.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("CONN_MAX_AGE", "60"))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while an import writes; foreign keys are off by default in SQLite.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SQLITE_TEST_NAME") or None}

# Caches. With CACHE_URL (redis://host:6379/1) every process shares one Redis: the API throttle's counts
# and the public pages' cached parts (alias "portal", safercities/portal/cache.py; entries live
# PORTAL_CACHE_SECONDS at most, and a compute or a settings change invalidates them at once). Without it
# each process keeps its own cache in memory, which needs nothing for development (`make run`). The test
# suite never caches portal parts (tests roll the database back, and ids come again); the cache tests
# switch it on themselves. See docs/operations.md, "Cache".
if os.environ.get("CACHE_URL"):
    if not os.environ["CACHE_URL"].startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured("CACHE_URL must be a redis://, rediss:// or unix:// URL")
    _redis = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["CACHE_URL"],
        # A stalled Redis must not hang the pages: the portal then builds them uncached.
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
    CACHES = {
        "default": {**_redis, "KEY_PREFIX": "sc"},
        "portal": {**_redis, "KEY_PREFIX": "sc", "TIMEOUT": envint("PORTAL_CACHE_SECONDS", "900")},
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"},
        "portal": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "portal",
            "TIMEOUT": envint("PORTAL_CACHE_SECONDS", "900"),
            "OPTIONS": {"MAX_ENTRIES": 3000},
        },
    }
if TESTING:
    CACHES["portal"] = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-in: our views (throttled, two-factor) under /<lang>/accounts/; the admin's sign-in redirects there.
LOGIN_URL = "login"
if TESTING:
    # Tests create and sign in many users; the production hasher (PBKDF2, ~1M rounds) would dominate.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# Lockout: a username after LOGIN_FAILURE_LIMIT failures within LOGIN_FAILURE_WINDOW seconds, a client
# address after LOGIN_CLIENT_FAILURE_LIMIT (higher: offices share one address).
LOGIN_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", "5")
LOGIN_CLIENT_FAILURE_LIMIT = envint("LOGIN_CLIENT_FAILURE_LIMIT", "50")
LOGIN_FAILURE_WINDOW = envint("LOGIN_FAILURE_WINDOW", "900")
# City and network admins must use two-factor sign-in. Off by default only in the test suite, where
# tests log personas in directly; the two-factor tests switch it on.
TWO_FACTOR_REQUIRED = envbool("TWO_FACTOR_REQUIRED", "False" if TESTING else "True")
PASSWORD_RESET_TIMEOUT = envint("PASSWORD_RESET_TIMEOUT", "3600")

# E-mail (password resets). Printed to the console in DEBUG unless EMAIL_BACKEND says otherwise.
# Encryption of stored secrets (TOTP): comma-separated Fernet keys, the first encrypts, all decrypt (rotation).
# Empty: a key derived from SECRET_KEY (then rotating SECRET_KEY needs `FIELD_ENCRYPTION_KEY=<old-derived>`).
FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY", "")
# Password-reset requests allowed per e-mail address and per client within the window (seconds).
PASSWORD_RESET_LIMIT_PER_ADDRESS = envint("PASSWORD_RESET_LIMIT_PER_ADDRESS", "3")
PASSWORD_RESET_LIMIT_PER_CLIENT = envint("PASSWORD_RESET_LIMIT_PER_CLIENT", "10")
PASSWORD_RESET_WINDOW = envint("PASSWORD_RESET_WINDOW", "3600")
# Resident input limits per client (hashed address, never stored): reports per window, survey sheets,
# Open311 requests ("N/s|m|h"; empty turns a limit off).
REPORTS_RATE_LIMIT = envint("REPORTS_RATE_LIMIT", "5")
REPORTS_RATE_WINDOW = envint("REPORTS_RATE_WINDOW", "600")
SURVEYS_RATE = os.environ.get("SURVEYS_RATE", "10/h")
OPEN311_RATE = os.environ.get("OPEN311_RATE", "20/h")
# Days a follow request for a community action waits for its e-mail confirmation; unconfirmed requests
# (and their addresses) are deleted by the daily purge after that.
COMMUNITY_UNCONFIRMED_FOLLOWER_DAYS = envint("COMMUNITY_UNCONFIRMED_FOLLOWER_DAYS", "7")
if COMMUNITY_UNCONFIRMED_FOLLOWER_DAYS < 1:
    raise ImproperlyConfigured("COMMUNITY_UNCONFIRMED_FOLLOWER_DAYS must be at least 1 (days)")

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", "25")
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "False")
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", "False")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", "10")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Safer Cities Monitor <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL are exclusive: set at most one")

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "safercities" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# The project-wide stylesheet lives outside any app (safercities/static/css/site.css).
STATICFILES_DIRS = [BASE_DIR / "safercities" / "static"]
MEDIA_ROOT = DATA_DIR / "media"

# Uploads: keep big files on disk rather than in memory; reject absurd request bodies.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", str(10 * 1024 * 1024))

# Importers: rows processed per chunk (bounded memory) and the default h3 resolution for incidents.
IMPORT_CHUNK_ROWS = envint("IMPORT_CHUNK_ROWS", "100000")
# Uploads in the workspace larger than this are checked and imported by a background worker.
IMPORT_BACKGROUND_BYTES = envint("IMPORT_BACKGROUND_BYTES", str(5 * 1024 * 1024))
INCIDENT_H3_RESOLUTION = envint("INCIDENT_H3_RESOLUTION", "9")

# Security headers. Production sits behind TLS; development and tests do not.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# Residents stay signed in for two weeks; staff sessions (set at sign-in) last a working day.
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", str(14 * 24 * 3600))
STAFF_SESSION_AGE = envint("STAFF_SESSION_AGE", str(8 * 3600))
SESSION_COOKIE_SECURE = not DEBUG and envbool("SECURE_COOKIES", "True")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "False")
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "0")
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "False")
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "False")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if envbool("BEHIND_PROXY", "False") else None

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint reports every step of a PDF at INFO; only its warnings are worth a log line.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}
