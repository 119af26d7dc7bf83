"""Django settings for both roles, read from the home's ``comptoir.toml`` and the environment.

Nothing here is edited per installation: ``comptoir hub init`` / ``comptoir node init``
write the home, and ``COMPTOIR_HOME`` (or ``--home``) points every process at it.
Environment overrides: ``DATABASE_URL``, ``COMPTOIR_DEBUG``, ``COMPTOIR_ALLOWED_HOSTS``.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from comptoir.home import HOME_ENV, POOL_ENV, SHARED_CACHE_ENV, read_config

BASE_DIR = Path(__file__).resolve().parent

_home_env = os.environ.get(HOME_ENV)
COMPTOIR_HOME: Path | None = Path(_home_env) if _home_env else None
COMPTOIR_CONFIG = read_config(COMPTOIR_HOME) if COMPTOIR_HOME else None

COMPTOIR_ROLE = COMPTOIR_CONFIG.role if COMPTOIR_CONFIG else os.environ.get("COMPTOIR_ROLE", "hub")
COMPTOIR_NODE_ID = (
    COMPTOIR_CONFIG.node_id if COMPTOIR_CONFIG else "00000000-0000-0000-0000-000000000000"
)

SECRET_KEY = COMPTOIR_CONFIG.secret_key if COMPTOIR_CONFIG else secrets.token_urlsafe(50)
DEBUG = os.environ.get("COMPTOIR_DEBUG", "") == "1"
ALLOWED_HOSTS = os.environ.get("COMPTOIR_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "comptoir.stores",
    "comptoir.events",
    "comptoir.journal",
    "comptoir.catalogue",
    "comptoir.customers",
    "comptoir.sales",
    "comptoir.stock",
    "comptoir.cash",
    "comptoir.training",
    "comptoir.closings",
    "comptoir.printing",
    "comptoir.stats",
    "comptoir.sync",
    "comptoir.syncengine",
    "comptoir.accounts",
    "comptoir.web",
    "comptoir.pos",
    "comptoir.backoffice",
    "comptoir.dashboard",
    "comptoir.ops",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Above every middleware that sets a cookie: marks them Secure over HTTPS; adds the CSP
    # (to the guard's refusals too).
    "comptoir.lib.security.secure_transport",
    # Before anything reads the query string, the path or the session cookie (see there).
    "comptoir.web.middleware.url_guard",
    "django.middleware.gzip.GZipMiddleware",
    # The sync API's answers in zstd (or gzip): set first, so GZipMiddleware leaves them.
    "comptoir.syncengine.compression.api_compression",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: counts failed logins and locks brute-forcing clients out.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "comptoir.urls"
ASGI_APPLICATION = "comptoir.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "comptoir.web.context_processors.layout",
            ],
        },
    },
]

# SQLite is tuned for a till: WAL so the web app and the sync worker read while the other
# writes, IMMEDIATE transactions so that writers queue instead of failing on upgrade, and
# synchronous=FULL because a validated invoice is a legal record that must survive power loss.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": ("PRAGMA journal_mode=WAL;PRAGMA synchronous=FULL;PRAGMA foreign_keys=ON"),
}


def _database() -> dict[str, object]:
    url = os.environ.get("DATABASE_URL") or (
        COMPTOIR_CONFIG.database_url if COMPTOIR_CONFIG else ""
    )
    if url:
        db: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=0))
    elif COMPTOIR_CONFIG and COMPTOIR_HOME:
        db = {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(COMPTOIR_CONFIG.database_path(COMPTOIR_HOME)),
        }
    else:
        db = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db["OPTIONS"] = dict(SQLITE_OPTIONS)
    elif os.environ.get(POOL_ENV):
        # ``comptoir serve`` on PostgreSQL: a pool of connections (psycopg_pool), so that a
        # request borrows one instead of opening its own (a PostgreSQL backend each).
        db["OPTIONS"] = {"pool": {"min_size": 2, "max_size": int(os.environ[POOL_ENV])}}
    return db


DATABASES = {"default": _database()}

# The table of the database cache (a hub on PostgreSQL), made by ``createcachetable``.
CACHE_TABLE = "comptoir_cache"

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A hub on PostgreSQL: the cache (refused enrollments per address, CSV import progress)
    # in its database, the one state every hub process and machine shares; made at set-up
    # and at each start (``createcachetable``).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": CACHE_TABLE,
        }
    }
elif COMPTOIR_HOME and COMPTOIR_CONFIG and os.environ.get(SHARED_CACHE_ENV):
    # The cache holds CSV import progress (``backoffice.importjobs``) and refused
    # enrollments: with ``serve --workers N`` (N > 1, which sets the variable), on disk
    # under the home, so that every server process sees the same; else in memory.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(COMPTOIR_HOME / "cache"),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = COMPTOIR_CONFIG.language if COMPTOIR_CONFIG else "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = COMPTOIR_CONFIG.time_zone if COMPTOIR_CONFIG else "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = (COMPTOIR_HOME / "static") if COMPTOIR_HOME else None
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Sync pushes are bounded by the protocol (MAX_PUSH_CHANGES, MAX_BODY_BYTES once inflated).
DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 * 1024

# Web sessions: a working day at most, and ended when the browser closes.
SESSION_COOKIE_AGE = 12 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# HTTPS (``serve --tls-cert``, or a trusted reverse proxy's X-Forwarded-Proto: see
# ``comptoir.lib.security``): every cookie is marked Secure there and SecurityMiddleware
# adds HSTS; a till on plain http://127.0.0.1 keeps plain cookies. Who may say "https" is
# uvicorn's business, so there is no SECURE_PROXY_SSL_HEADER.
SECURE_HSTS_SECONDS = 365 * 24 * 3600
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login brute force (django-axes): 5 failures for one account from one address lock that
# pair out for 15 minutes; the web login and the admin login both count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_VERBOSE = False

# The business currency of this installation (ISO 4217). Money is stored in its minor units.
COMPTOIR_CURRENCY = (
    COMPTOIR_CONFIG.currency if COMPTOIR_CONFIG else os.environ.get("COMPTOIR_CURRENCY", "EUR")
)

# A node enrolled with a hub (``comptoir node init --server``).
# A basket discount above this percentage needs a manager (``sales.services``).
COMPTOIR_DISCOUNT_THRESHOLD = COMPTOIR_CONFIG.discount_manager_threshold if COMPTOIR_CONFIG else 10
COMPTOIR_HUB_URL = COMPTOIR_CONFIG.hub_url if COMPTOIR_CONFIG else ""
COMPTOIR_TOKEN = COMPTOIR_CONFIG.token if COMPTOIR_CONFIG else ""
COMPTOIR_INSECURE_HTTP = COMPTOIR_CONFIG.insecure_http if COMPTOIR_CONFIG else False
COMPTOIR_HUB_CA_FILE = (
    str(COMPTOIR_HOME / COMPTOIR_CONFIG.hub_ca_file)
    if COMPTOIR_CONFIG and COMPTOIR_HOME and COMPTOIR_CONFIG.hub_ca_file
    else ""
)

# Every unhandled error of a request is logged with its traceback: by Django on
# ``django.request`` (ERROR is a 5xx; its 4xx warnings stay quiet) and, for what escapes
# Django's handler, by uvicorn on ``uvicorn.error`` (``serve`` leaves uvicorn's logging to
# these settings). Both go to the console, to ``logs/comptoir.log`` and, to be counted on
# the sync page and by ``comptoir status``, to ``logs/server-errors.log``
# (``comptoir.lib.server_errors``).
SERVER_ERROR_LOGGERS = ("django.request", "uvicorn")
LOGGING: dict[str, object] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "comptoir": {"handlers": ["console"], "level": "INFO"},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "uvicorn": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}


def _log_file_writable(path: Path) -> bool:
    """A home that turned read-only must not stop the till from starting (and saying so)."""
    try:
        path.parent.mkdir(exist_ok=True)
        with path.open("a", encoding="utf-8"):
            return True
    except OSError:
        return False


def _rotating_file(
    path: Path, max_bytes: int, backups: int, level: str = "NOTSET"
) -> dict[str, object]:
    return {
        "class": "concurrent_log_handler.ConcurrentRotatingFileHandler",
        "filename": str(path),
        "maxBytes": max_bytes,
        "backupCount": backups,
        "encoding": "utf-8",
        "formatter": "plain",
        "level": level,
    }


if (
    COMPTOIR_HOME is not None
    and COMPTOIR_CONFIG is not None
    and _log_file_writable(COMPTOIR_HOME / "logs" / "comptoir.log")
):
    # Every sync cycle is also kept in a rotating file in the home (5 x 2 MB).
    handlers: dict[str, object] = LOGGING["handlers"]  # type: ignore[assignment]
    loggers: dict[str, dict[str, object]] = LOGGING["loggers"]  # type: ignore[assignment]
    handlers["file"] = _rotating_file(COMPTOIR_HOME / "logs" / "comptoir.log", 2_000_000, 5)
    loggers["comptoir"]["handlers"] = ["console", "file"]
    error_handlers = ["console", "file"]
    if _log_file_writable(COMPTOIR_HOME / "logs" / "server-errors.log"):
        handlers["server_errors"] = _rotating_file(
            COMPTOIR_HOME / "logs" / "server-errors.log", 1_000_000, 1, level="ERROR"
        )
        error_handlers.append("server_errors")
    for name in SERVER_ERROR_LOGGERS:
        loggers[name]["handlers"] = error_handlers
