"""Settings, read from the environment.

Production and the test suite set ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL``.  When they are
unset, a newcomer's first run gets the embedded default: a SQLite file, eager Celery (tasks run
in-process) and e-mail printed to the console — and a log line says so.  The test suite uses
``config.settings_test`` (this module plus the test services' defaults).
"""

import base64
import json
import logging
import os
import secrets
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
log = logging.getLogger("config")


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DJANGO_DEBUG", default=False)
# Production is a real database with DEBUG off.  Without DATABASE_URL the app runs on its embedded
# defaults (the README's `make demo`: SQLite, eager Celery, console e-mail) on a developer's machine.
EMBEDDED_DATABASE = not os.environ.get("DATABASE_URL")
PRODUCTION = not DEBUG and not EMBEDDED_DATABASE


def local_secret_key(path: Path, make=lambda: secrets.token_urlsafe(50)) -> str:
    """A random key made once for this checkout (``var/secret_key``, mode 0600) — for DEBUG and the
    embedded demo only, so no key is ever public and sessions survive a restart."""
    path.parent.mkdir(exist_ok=True)
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        key = make()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key + "\n")
        return key


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DEBUG is off (there is no fallback key). Generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'")
    SECRET_KEY = local_secret_key(BASE_DIR / "var" / "secret_key")
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# --- HTTPS (README "Deploying / production settings") ----------------------------------------------
# On by default in production; DJANGO_HTTPS=0 only for a closed network without TLS.
HTTPS = env_bool("DJANGO_HTTPS", default=PRODUCTION)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
# Behind a TLS-terminating proxy: the header it sets on HTTPS requests, e.g. "X-Forwarded-Proto: https".
# Set it only when the proxy always sets (or strips) that header, or anyone can claim HTTPS.
if os.environ.get("DJANGO_SECURE_PROXY_SSL_HEADER"):
    _header, _, _value = os.environ["DJANGO_SECURE_PROXY_SSL_HEADER"].partition(":")
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _header.strip().upper().replace("-", "_"), _value.strip() or "https")

# --- Content-Security-Policy (Django's built-in; templates use no inline script or style) ----------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",      # Swagger UI and Redoc, vendored: the API docs need no CDN
    "drf_standardized_errors",
    "django_htmx",
    "simple_history",
    "accounts",
    "sponsors",
    "reports",
]

MIDDLEWARE = [
    "config.health.HealthCheckMiddleware",      # /healthz, /readyz: before the host check and HTTPS redirect
    "config.logs.RequestLogMiddleware",         # one log line per request (LOG_FORMAT=json: one JSON object)
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.auth.EmailBackend"]   # log in with the e-mail address
# Checked wherever a person chooses a password (reset, change, the admin, createsuperuser): Django's own four.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

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
                "django.template.context_processors.csp",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------
EMBEDDED = []
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    # EXEC_SPONSOR_SQLITE_PATH: another file for the embedded database (a second demo; the embedded-demo test)
    SQLITE_PATH = Path(os.environ.get("EXEC_SPONSOR_SQLITE_PATH") or BASE_DIR / "var" / "db.sqlite3")
    EMBEDDED.append(f"SQLite database {SQLITE_PATH}")
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": {"timeout": 20},
        }
    }
    # The covering indexes' INCLUDE columns are PostgreSQL's; SQLite keeps their key columns and would say so
    # (models.W040) twice on every command of the demo.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Celery -----------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
else:
    EMBEDDED.append("eager Celery (tasks run in-process)")
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
    CELERY_BROKER_URL = "memory://localhost/"      # in-process; with no host named kombu warns on every task
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Two queues, each consumed by its own worker (README, "Workers"): ``notify`` for what a person waits
# for (e-mail sends, the one-account refresh that turns a departure into an escalation, job-change
# webhooks), ``default`` for bulk work (portfolio recompute, sweep batches, import refreshes, feeds).
# A worker started without -Q consumes both.  Queue names: sponsors/queue.py.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = (Queue("default"), Queue("notify"))
CELERY_TASK_ROUTES = {
    name: {"queue": "notify"}
    for name in ("sponsors.tasks.send_outbox_email", "sponsors.tasks.flush_outbox",
                 "sponsors.tasks.refresh_account", "sponsors.tasks.process_webhook_delivery")
}
# Every periodic job, in one place (times in CELERY_TIMEZONE); the tasks are in sponsors/tasks.py.
CELERY_BEAT_SCHEDULE = {
    # Score every executive and account as of today; a snapshot per contact and account per day.
    "recompute-scores-daily": {"task": "sponsors.tasks.recompute_portfolio", "schedule": crontab(hour=2, minute=30)},
    # Every account's guardrails, in batches: alerts open, refresh and resolve themselves.
    "guardrails-sweep-daily": {"task": "sponsors.tasks.sweep_guardrails", "schedule": crontab(hour=6, minute=0)},
    # Re-queue e-mails still pending (a lost task message) or held by a dead worker.
    "outbox-flush-every-minute": {"task": "sponsors.tasks.flush_outbox", "schedule": crontab()},
    # RSS/Atom feeds about customer accounts, with ETag/Last-Modified.
    "news-feeds-poll-hourly": {"task": "sponsors.tasks.poll_news_feeds", "schedule": crontab(minute=17)},
    # The weekly digest: every quarter of an hour, whoever's own Monday 08:00 has come gets theirs (once).
    "digests-due-every-15-minutes": {"task": "sponsors.tasks.send_due_digests", "schedule": crontab(minute="*/15")},
    # The portfolio metrics of every scope (all, each team, each user's accounts), stored for the week.
    "portfolio-metrics-weekly": {"task": "sponsors.tasks.store_portfolio_metrics",
                                 "schedule": crontab(day_of_week="mon", hour=0, minute=30)},
    # Beat's tick, and a task a minute for the default queue's worker (manage.py status reads both).
    "heartbeat-every-minute": {"task": "sponsors.tasks.heartbeat", "schedule": crontab()},
    # CRM connections: every minute, queue the incremental sync of each one whose interval has passed
    # (EXEC_SPONSOR_CRM["sync_interval_minutes"], 15 by default).
    "crm-sync-due-every-minute": {"task": "sponsors.tasks.sync_crm_due", "schedule": crontab()},
}

# --- e-mail ----------------------------------------------------------------------
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Executive Sponsor Tracker <sponsors@localhost>")
if os.environ.get("EMAIL_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ["EMAIL_HOST"],
                "port": int(os.environ.get("EMAIL_PORT", "25")),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS"),
                "use_ssl": env_bool("EMAIL_USE_SSL"),
                "timeout": 30,
            },
        }
    }
else:
    EMBEDDED.append("console e-mail")
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}

# --- i18n / time ------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise expects it, even before the first collectstatic
# WhiteNoise serves static files in every mode, so a self-hosted install needs no extra web server
# for them (`manage.py collectstatic` fills STATIC_ROOT; `make demo` runs it).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- the REST API (README "REST API") ---------------------------------------------------------------
# /api/v1/: personal tokens (Authorization: Bearer est_…) or the browser's session with CSRF; anonymous is a
# 401.  Every token (or session user) gets API_RATE requests (default 600 a minute); beyond it a 429 with
# Retry-After.  The counters live in Redis when REDIS_URL is set (shared by every web process).
API_RATE = os.environ.get("API_RATE", "600/minute")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "reports.api.auth.ApiTokenAuthentication",      # first: its WWW-Authenticate makes anonymous a 401
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["reports.api.auth.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": API_RATE},
    # JSON bodies are decoded by the product's safe decoder (depth, NaN, NUL, size: a 400, never a 500).
    "DEFAULT_PARSER_CLASSES": ["reports.parsers.SafeJSONParser", "rest_framework.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
    "DEFAULT_SCHEMA_CLASS": "reports.api.schema.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend",
                                "reports.api.pagination.AliasOrderingFilter"],
    "DEFAULT_PAGINATION_CLASS": "reports.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "ORDERING_PARAM": "ordering",
}
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Rendered pages, per process, sent again only while PostgreSQL's snapshot is unchanged (reports/page_cache.py).
    "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages",
              "OPTIONS": {"MAX_ENTRIES": 300}},
    "api-throttle": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "api"}
        if REDIS_URL else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "api-throttle"}),
}
PAGE_CACHE_SECONDS = 300        # a kept page's longest life (it is only ever sent while the data is unchanged)
SPECTACULAR_SETTINGS = {
    "TITLE": "Executive Sponsor Tracker API",
    "DESCRIPTION": "See the README, \"REST API\": tokens, errors, pagination, filters and polling.",
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "PREPROCESSING_HOOKS": ["reports.api.schema.only_v1"],
    "POSTPROCESSING_HOOKS": ["drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
                             "reports.api.schema.finish"],
    "ENUM_NAME_OVERRIDES": {
        "TierEnum": "accounts.vocabulary.TIERS",
        "LevelEnum": "accounts.vocabulary.ENGAGEMENT_LEVELS",
        "RiskEnum": "accounts.vocabulary.RISK_LEVELS",
        "SeverityEnum": "accounts.vocabulary.SEVERITIES",
        "InteractionTypeEnum": "accounts.vocabulary.INTERACTION_TYPES",
        "DirectionEnum": "accounts.vocabulary.DIRECTIONS",
        "PurposeEnum": "accounts.vocabulary.PURPOSES",
        "OrgChangeKindEnum": "accounts.vocabulary.ORG_CHANGE_KINDS",
        "OrgChangeSourceEnum": "accounts.vocabulary.ORG_CHANGE_SOURCES",
        "OrgChangeStateEnum": ["confirmed", "pending", "dismissed"],
        "ContactRoleEnum": "accounts.vocabulary.CONTACT_ROLES",
        "FactorEnum": "accounts.vocabulary.FACTOR_KEYS",
        "UserRoleEnum": ["csm", "manager", "admin"],
        "TouchpointStatusEnum": ["planned", "done", "cancelled"],
        "InteractionTypeInputEnum": "reports.api.requests.INTERACTION_TYPE_INPUTS",
        "SponsorRoleInputEnum": "reports.api.requests.SPONSOR_ROLE_INPUTS",
        "ClientErrorEnum": "drf_standardized_errors.openapi_serializers.ClientErrorEnum",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}
DRF_STANDARDIZED_ERRORS = {
    "EXCEPTION_HANDLER_CLASS": "reports.api.errors.ExceptionHandler",
    "ERROR_SCHEMAS": {"400": "reports.api.errors.BadRequestResponse", "409": "reports.api.errors.ConflictResponse"},
    "ALLOWED_ERROR_STATUS_CODES": ["400", "401", "403", "404", "405", "406", "409", "415", "429"],
}

# --- the product's rules (README "Configuration"; built once into sponsors.rules.config.RulesConfig) ---
# Each is a dict of overrides of its section's defaults; an unknown key stops the start-up, naming it.
EXEC_SPONSOR_SCORING = {}       # scoring and the tier cadence (ScoringConfig)
EXEC_SPONSOR_GUARDRAILS = {}    # alert thresholds (GuardrailConfig)
EXEC_SPONSOR_METRICS = {}       # portfolio metric targets (MetricsConfig)
EXEC_SPONSOR_REPORT = {}        # the report's strengths, succession risk, timeline (ReportConfig)
EXEC_SPONSOR_EMAIL = {}         # the outbox: lease, attempts, backoff, Message-ID domain (OutboxConfig)
EXEC_SPONSOR_DIGEST = {}        # the weekly digest: local day and hour, trend weeks, list sizes (DigestConfig)
EXEC_SPONSOR_SLACK = {}         # Slack webhooks: timeout, longest Retry-After honoured (SlackConfig)
EXEC_SPONSOR_OPERATIONS = {}    # when beat, a queue or an escalation counts as stalled (OperationsConfig)
EXEC_SPONSOR_CRM = {}           # CRM sync: interval, overlap, page size, search window, retries (CrmConfig)
# How far org-change sources are believed (TriageConfig); two of them come from the environment.
EXEC_SPONSOR_TRIAGE = {
    key: cast(os.environ[env])
    for key, env, cast in (("news_confidence", "EXEC_SPONSOR_NEWS_CONFIDENCE", float),
                           ("webhook_tolerance_seconds", "EXEC_SPONSOR_WEBHOOK_TOLERANCE_SECONDS", int))
    if os.environ.get(env)
}
# Job-change webhook secrets per provider, JSON: EXEC_SPONSOR_WEBHOOK_SECRETS='{"acme-jobs": "s3cret"}'.
EXEC_SPONSOR_WEBHOOK_SECRETS = json.loads(os.environ.get("EXEC_SPONSOR_WEBHOOK_SECRETS", "") or "{}")

# Fernet keys (comma-separated; the first encrypts, all decrypt, so a key can be rotated) for the secrets
# stored in the database: the teams' Slack webhook URLs.  Make one with
# `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.
EXEC_SPONSOR_ENCRYPTION_KEYS = [k.strip() for k in os.environ.get("EXEC_SPONSOR_ENCRYPTION_KEYS", "").split(",")
                                if k.strip()]
if not EXEC_SPONSOR_ENCRYPTION_KEYS and not PRODUCTION:
    # The embedded demo / DEBUG: a Fernet key made once for this checkout (var/encryption_key, mode 0600),
    # so a newcomer can store a CRM token or a Slack webhook; production must set the variable.
    EXEC_SPONSOR_ENCRYPTION_KEYS = [local_secret_key(BASE_DIR / "var" / "encryption_key",
                                                     lambda: base64.urlsafe_b64encode(os.urandom(32)).decode())]
# The app's public address: every link in an e-mail or a Slack message starts with it.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# LOG_FORMAT=json: every line one JSON object, among them one per request and one per task (config/logs.py);
# Celery's processes keep this configuration then (config/celery.py).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain").strip().lower() or "plain"
if LOG_FORMAT not in ("plain", "json"):
    raise RuntimeError(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(levelname)s %(name)s: %(message)s"},
        "json": {"()": "pythonjsonlogger.json.JsonFormatter", "fmt": "%(levelname)s %(name)s %(message)s",
                 "timestamp": "time", "rename_fields": {"levelname": "level", "name": "logger"}},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # In JSON, a task is our one line (config/logs.py), not Celery's "received" and "succeeded" too.
        **({"celery.app.trace": {"level": "WARNING"}, "celery.worker.strategy": {"level": "WARNING"}}
           if LOG_FORMAT == "json" else {}),
    },
}

if EMBEDDED and not os.environ.get("EXEC_SPONSOR_QUIET_EMBEDDED"):
    logging.basicConfig(level=logging.INFO)
    log.info(
        "Embedded defaults in use (%s): set DATABASE_URL and REDIS_URL for production.",
        ", ".join(EMBEDDED),
    )
