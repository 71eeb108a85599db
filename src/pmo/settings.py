"""Django settings for pmo.

Configuration comes from the environment so one build serves a laptop and a team server:

- ``PMO_DATABASE_URL``: a database URL (``postgresql://user@host:5432/name``); default is
  the SQLite file ``<PMO_DATA_DIR>/pmo.sqlite3``.
- ``PMO_DATA_DIR``: where pmo keeps its files (default ``./data``).
- ``PMO_SECRET_KEY``: required when ``PMO_DEBUG`` is off; a development key otherwise.
- ``PMO_DEBUG``: ``1`` for development (default ``1``).
- ``PMO_ALLOWED_HOSTS``: comma-separated host names (default ``127.0.0.1,localhost``).
- ``PMO_MAX_UPLOAD_MB``: the largest request body or file accepted (default 50).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("PMO_DATA_DIR", Path.cwd() / "data")).resolve()


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _flag("PMO_DEBUG", True)
SECRET_KEY = os.environ.get("PMO_SECRET_KEY") or (
    "pmo-development-key-not-for-production" if DEBUG else ""
)
if not SECRET_KEY:
    raise RuntimeError("PMO_SECRET_KEY must be set when PMO_DEBUG is off")

ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("PMO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]
if os.environ.get("PYTEST_CURRENT_TEST") or os.environ.get("PMO_TESTING"):
    ALLOWED_HOSTS.append("testserver")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "pmo.core",
    "pmo.orgs",
    "pmo.portfolio",
    "pmo.projects",
    "pmo.resources",
    "pmo.finance",
    "pmo.risks",
    "pmo.governance",
    "pmo.reports",
    "pmo.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "pmo.web.middleware.CurrentOrganisationMiddleware",
]

ROOT_URLCONF = "pmo.urls"

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
                "pmo.web.context.shell",
            ],
        },
    }
]

WSGI_APPLICATION = "pmo.wsgi.application"

_default_db = f"sqlite:///{DATA_DIR / 'pmo.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("PMO_DATABASE_URL") or _default_db, conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if not os.environ.get("PMO_DATABASE_URL"):
        DATA_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets the web server read while the CLI writes; a busy timeout instead of
    # "database is locked" errors under concurrent use.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

# Argon2 first: new and changed passwords are hashed with it (OWASP recommendation).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# Front-end packages come from npm (package-lock.json, installed by `make`), served from here.
NODE_MODULES = Path(os.environ.get("PMO_NODE_MODULES", BASE_DIR.parents[1] / "node_modules"))
STATICFILES_DIRS = [
    (f"vendor/{name}", NODE_MODULES / name / sub)
    for name, sub in [("htmx.org", "dist")]
    if (NODE_MODULES / name / sub).is_dir()
]

# Static files are served by the application itself (whitenoise), from the finders, so
# `pmo serve` works offline with no separate web server or collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

MAX_UPLOAD_MB = int(os.environ.get("PMO_MAX_UPLOAD_MB", "50"))
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_MB * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20000

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = _flag("PMO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PMO_LOG_LEVEL", "WARNING")},
}
