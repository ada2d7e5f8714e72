"""Hasila settings: one file, driven by environment variables (see README, "Configuration")."""

from __future__ import annotations

import datetime
from pathlib import Path

import django_stubs_ext
import environ
import pghistory
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

# Lets generic Django classes be subscripted at run time (ModelAdmin[Source]) as the type checker sees them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for local development).")
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_filters",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "axes",
    "procrastinate.contrib.django",
    "sources",
    "incidents",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (settings below, README "Security").
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Records the request's user in every history event written during the request.
    "pghistory.middleware.HistoryMiddleware",
    # Turns a login refused for too many failures into the lockout page (last, as django-axes requires).
    "axes.middleware.AxesMiddleware",
]
# History context for the methods that write. Pages read with GET write nothing tracked, and the context
# prefixed every one of their queries with two set_config() calls.
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# The foreign keys copied into event tables are not indexed: each index is written for every event (a
# million claims imported write a million claim events), and the history pages look events up by object or
# the few keys the event models index themselves (``meta`` of their ``pghistory.track``). Nor is the context:
# an event names its context, which is read by its own primary key; nothing looks events up by context (a
# million claim events: 8.1-8.9 s with that index, 6.2-7.8 s without, in psql).
PGHISTORY_FOREIGN_KEY_FIELD = pghistory.ForeignKey(db_index=False)
PGHISTORY_OBJ_FIELD = pghistory.ObjForeignKey(db_index=True)
PGHISTORY_CONTEXT_FIELD = pghistory.ContextForeignKey(db_index=False)

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.security.csp_nonce",
            ],
            "string_if_invalid": env.str("TEMPLATE_STRING_IF_INVALID", default=""),
            # {% url %} remembering plain names' paths (config/template_builtins.py).
            "builtins": ["config.template_builtins"],
        },
    }
]

if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db_url("DATABASE_URL")}
else:
    from config.embedded_postgres import database_settings

    DATABASES = {"default": database_settings()}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Django's PostgreSQL backend whose health check reads the socket instead of sending SELECT 1 (config/postgresql).
DATABASES["default"]["ENGINE"] = "config.postgresql"
# A database that cannot be reached fails a request within this many seconds instead of holding a worker
# (a refused connection fails at once; this bounds an unreachable host). A URL's ?connect_timeout= wins.
DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
    "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
)
# psycopg prepares only the statements config.prepared asks it to: Django's default (None) turns preparing
# off altogether, and a threshold no statement reaches keeps it from preparing any other on its own.
DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 2**31 - 1)
DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str("TEST_DATABASE_NAME", default="test_hasila")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out login before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "config.auth.ModelBackendOneQuery",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "incidents:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ar", "العربية")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Django's database sessions, read with one written-out query (config/sessions.py).
SESSION_ENGINE = "config.sessions"
# Sessions end this many seconds after logging in (an absolute limit, not an idle timeout).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env.bool("HTTPS", default=not DEBUG):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp): nothing inline runs or styles the page. Scripts and styles come from
# Hasila's own static files; the htmx script tag also carries the request's nonce (config.security).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# Login rate limit (django-axes): after AXES_FAILURE_LIMIT failed logins for one username from one address,
# that pair is refused for AXES_COOLOFF_MINUTES; a successful login clears the count.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.security.lockout_response"

# Page size of keyset-paginated lists.
PAGE_SIZE = env.int("PAGE_SIZE", default=25)
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="demo")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# Largest file an import accepts, in bytes (README, "Importing").
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
# Where uploads wait between an import's preview and its confirmation ("" = a private temp folder).
IMPORT_STAGING_DIR = env.str("IMPORT_STAGING_DIR", default="")

# Background imports (README, "Importing"): files with more rows than this, and every GED/ACLED file, are
# imported by a procrastinate worker (``manage.py procrastinate worker``; ``make run`` starts one).
IMPORT_JOB_THRESHOLD = env.int("IMPORT_JOB_THRESHOLD", default=5000)
# A worker that has sent no heartbeat for this long is taken as dead and its import is run again.
IMPORT_JOB_STALLED_SECONDS = env.float("IMPORT_JOB_STALLED_SECONDS", default=30.0)
# How often (seconds, a divisor of 60) a worker looks for such imports.
IMPORT_JOB_STALLED_CHECK_SECONDS = env.int("IMPORT_JOB_STALLED_CHECK_SECONDS", default=10)
PROCRASTINATE_WORKER_DEFAULTS = {
    "update_heartbeat_interval": env.float("PROCRASTINATE_HEARTBEAT_SECONDS", default=10.0),
    "stalled_worker_timeout": IMPORT_JOB_STALLED_SECONDS,
    # Finished jobs are recorded in sources.ImportJob; procrastinate's rows for them are not kept.
    "delete_jobs": "successful",
}
PROCRASTINATE_IMPORT_PATHS = ["sources.jobs"]
