"""Settings for the campaign task-ledger.

Everything that differs between a laptop and a server comes from the environment.
With nothing set, the project runs on embedded defaults (SQLite, a filesystem Celery
broker, local media) so `make run` works with only Python installed.
"""

import datetime
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("LEDGER_VAR_DIR", BASE_DIR / "var"))

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name, default=False):
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use 1/0, true/false, yes/no.")


def env_int(name, default):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from None


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_site_url(name, default):
    """The address of the site's root, such as https://ledger.example.gov.cn or
    http://192.168.1.20:8000 (no trailing slash): the default when unset or blank, and a loud
    error for anything else (a path would be doubled: links already start with theirs)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().rstrip("/")
    parts = urlsplit(value)
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:  # not a number, or out of range
        port_ok = False
    if not (
        port_ok
        and parts.scheme in ("http", "https")
        and parts.hostname
        and not (parts.path or parts.query or parts.fragment or parts.username)
        and " " not in value
    ):
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not the address of a site; write it like https://ledger.example.gov.cn "
            "or http://192.168.1.20:8000 (no path)."
        )
    return value


def demo_site_url():
    """The address `make run` serves (HOST, PORT): what QR stickers and links point to when no
    SITE_URL is given. A server listening on every interface is reached here as 127.0.0.1."""
    host = os.environ.get("HOST", "").strip() or "127.0.0.1"
    if host in ("0.0.0.0", "::", "[::]"):  # nosec B104 # compared, not bound
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{env_int('PORT', 8000)}"


TESTING = "pytest" in sys.modules
DEBUG = env_bool("DEBUG", False)
# The demo (`make run` sets DEMO=1) is development without Django's debug pages: the
# development defaults below (a throwaway key, localhost, mail to the console, the demo
# accounts), but a refused ticket or a wrong address shows the product's 403/404 page, never
# Django's yellow one listing every URL pattern. DEBUG=1 is for a developer who wants those.
DEMO = env_bool("DEMO", False)
DEVELOPMENT = DEBUG or DEMO

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEVELOPMENT or TESTING:
        SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # nosec B105 # development and tests only
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production needs a long random SECRET_KEY in the "
            "environment; for development set DEMO=1 or DEBUG=1 (make run sets DEMO=1)."
        )

# Where QR stickers, e-mails and robot messages point, e.g. https://ledger.example.gov.cn. In
# development it defaults to the address `make run` serves; in production, without it, a
# sticker sheet uses the address it was opened on and messages carry bare paths.
SITE_URL = env_site_url("SITE_URL", demo_site_url() if DEVELOPMENT else "")
_site_host = urlsplit(SITE_URL).hostname if SITE_URL else None
if _site_host and ":" in _site_host:
    _site_host = f"[{_site_host}]"  # an IPv6 address, as ALLOWED_HOSTS writes one
# A phone on the office network asks for SITE_URL's host (HOST=0.0.0.0 SITE_URL=http://192.168.…).
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS",
    ",".join(dict.fromkeys(["localhost", "127.0.0.1", "[::1]", *([_site_host] if _site_host else [])]))
    if (DEVELOPMENT or TESTING)
    else "",
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # First: its registration/ templates (the ledger's login and password pages) stand in for
    # the admin's of the same names.
    "security",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    # CAS single sign-on keeps its service tickets (for the CAS server's single logout).
    "django_cas_ng",
    "campaigns",
    # seed_demo (make run) and seed_scale (make bench): development and benchmark data only.
    "devdata",
]

MIDDLEWARE = [
    "infra.middleware.RequestIdMiddleware",
    "infra.request_memo.RequestMemoMiddleware",
    "infra.middleware.DownloadCacheMiddleware",
    "infra.middleware.QueryCountHeaderMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "infra.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "security.middleware.AccountPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ledger.urls"
WSGI_APPLICATION = "ledger.wsgi.application"

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
                "django.template.context_processors.i18n",
                "campaigns.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if not DATABASE_URL:
    # The embedded default: one SQLite file beside the project, created on first use.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASE_URL = f"sqlite:///{VAR_DIR / 'ledger.sqlite3'}"
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The ticket page joins a dozen small tables by primary key; PostgreSQL's genetic
    # optimiser (from 12 relations) spends ~10 ms planning that, the exhaustive one ~1 ms.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c geqo_threshold=20")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite serialises writers; waiting beats "database is locked" when the worker writes too.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# A connection kept between requests is checked before reuse, so a database restart costs
# the next request a reconnect, not an error.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache and Celery ----------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # Redis down must not take the ledger down: errors are misses, see infra/cache.py.
    CACHES = {"default": {"BACKEND": "infra.cache.ResilientRedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        # A request that enqueues while Redis is down gives up in well under a second; the
        # work is in the database already and a sweep sends it when Redis is back.
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.1,
        "interval_max": 0.2,
        "socket_connect_timeout": 1,
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Kombu's filesystem transport: a real broker between processes that needs no server.
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("queue", "processed"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
# The main navigation's markup, one entry per language, flags and page section (base.html): the
# same for everyone it is kept for and only ever changed by a deploy, so each process keeps its
# own copy rather than asking Redis on every page.
CACHES["navigation"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "navigation",
    "OPTIONS": {"MAX_ENTRIES": 2000},
}
CELERY_TASK_IGNORE_RESULT = True
# One queue name per deployment; a test can give its own worker a private queue.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "celery")
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
HEARTBEAT_SECONDS = env_int("HEARTBEAT_SECONDS", 60)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Tasks that run a workflow verb live beside it (campaigns.tasks sits on the verbs' floor and
# may not import them): named here so the worker registers them.
CELERY_IMPORTS = ["campaigns.workflow.ladder", "campaigns.workflow.hold"]
CELERY_BEAT_SCHEDULE = {
    # The overdue ladder (催办, 告知负责人, 黄牌): each step once per ticket, so hourly is plenty.
    "escalate-overdue": {"task": "campaigns.tasks.escalate_overdue", "schedule": crontab(minute=7)},
    # 挂账 tickets whose planned date came go back to 整改中, early each morning.
    "resume-due-holds": {"task": "campaigns.tasks.resume_due_holds", "schedule": crontab(minute=7, hour=0)},
    # Each campaign sets its own reminder times; the tick only asks "is anything due now?".
    "send-due-reminders": {
        "task": "campaigns.tasks.send_due_reminders",
        "schedule": env_int("REMINDER_TICK_SECONDS", 300),
    },
    # Deliveries whose retry time came but whose task message was lost (a broker restart).
    "resend-due-deliveries": {"task": "campaigns.tasks.resend_due_deliveries", "schedule": 120},
    # Notifications owed by ticket acts whose drain message never reached the broker.
    "drain-outbox": {"task": "campaigns.tasks.drain_outbox", "schedule": env_int("OUTBOX_DRAIN_SECONDS", 60)},
    # The boards' KPI panels (kept ten minutes) counted ahead, so no board waits for them.
    "count-board-kpis": {"task": "campaigns.tasks.count_board_kpis", "schedule": 300},
    # Thumbnails and summaries whose task message was lost.
    "sweep-left-work": {"task": "campaigns.tasks.sweep_left_work", "schedule": 300},
    # Beat → broker → worker → database: /healthz reads the time this task last ran.
    "worker-heartbeat": {"task": "campaigns.tasks.worker_heartbeat", "schedule": env_int("HEARTBEAT_SECONDS", 60)},
    # The security audit log keeps AUDIT_RETENTION_DAYS (at least 180).
    "purge-audit-log": {"task": "campaigns.tasks.purge_audit_log", "schedule": crontab(minute=43, hour=3)},
    # Forms' one-time submission keys are kept 30 days (campaigns/services/submissions.py).
    "purge-submission-keys": {"task": "campaigns.tasks.purge_submission_keys", "schedule": crontab(minute=53, hour=3)},
    # Photos picked on a failed form are kept so nothing is lost; abandoned ones go after a day.
    "purge-abandoned-uploads": {
        "task": "campaigns.tasks.purge_abandoned_uploads",
        "schedule": crontab(minute=17, hour="*/6"),
    },
}

# --- Auth (等保 2.0 third level, application controls) ---------------------------------
AUTHENTICATION_BACKENDS = [
    # Counts failed logins per account and refuses a locked one before checking the password.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "security.passwords.CharacterClassValidator", "OPTIONS": {"classes": 3}},
    {"NAME": "security.passwords.UsernameValidator"},
    {"NAME": "security.passwords.HistoryValidator", "OPTIONS": {"remember": 5}},
]
PASSWORD_MAX_AGE_DAYS = env_int("PASSWORD_MAX_AGE_DAYS", 90)
IDLE_LOGOUT_SECONDS = env_int("IDLE_LOGOUT_MINUTES", 30) * 60
# Lockout: five failed logins of one account lock it for thirty minutes (django-axes).
AXES_FAILURE_LIMIT = env_int("LOCKOUT_FAILURES", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # the security audit log records logins; axes only counts failures
AXES_LOCKOUT_CALLABLE = "security.views.accounts.locked_out"
AXES_CLIENT_IP_CALLABLE = "security.audit.client_ip"
AXES_VERBOSE = False
# axes.W006 asks to lock by IP too. A district office is one NAT address: locking the address
# would let one person's typos lock out every colleague. Locking is per account, as 等保 asks.
# models.W040: the covering indexes (INCLUDE) that let the board count from the index alone are
# PostgreSQL's; SQLite (the embedded default) builds the same indexes on their key columns.
SILENCED_SYSTEM_CHECKS = ["axes.W006", "models.W040"]
# Several lockouts in a short window alert the security admins.
LOCKOUT_ALERT_COUNT = env_int("LOCKOUT_ALERT_COUNT", 3)
LOCKOUT_ALERT_MINUTES = env_int("LOCKOUT_ALERT_MINUTES", 10)
AUDIT_RETENTION_DAYS = max(180, env_int("AUDIT_RETENTION_DAYS", 365))
# Requests pass through these proxies (nginx); the client's address is the last hop they add.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "创卫台账")
if TESTING:
    # Slow hashing is the point in production and pure waiting in tests.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "campaigns:home"
LOGOUT_REDIRECT_URL = "login"

# --- Single sign-on (统一身份认证): OIDC and/or CAS, each on when its settings are given ------
# A login through either only finds an existing account (a mapping row, or the same username
# when SSO_MATCH_USERNAME is on); it never creates an account or grants a role.
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "").strip()
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
OIDC_OP_DISCOVERY_URL = os.environ.get("OIDC_OP_DISCOVERY_URL", "").strip()
_OIDC_ENDPOINTS = {
    name: os.environ.get(name, "").strip()
    for name in (
        "OIDC_OP_AUTHORIZATION_ENDPOINT",
        "OIDC_OP_TOKEN_ENDPOINT",
        "OIDC_OP_USER_ENDPOINT",
        "OIDC_OP_JWKS_ENDPOINT",
    )
}
OIDC_ENABLED = bool(
    OIDC_RP_CLIENT_ID or OIDC_RP_CLIENT_SECRET or OIDC_OP_DISCOVERY_URL or any(_OIDC_ENDPOINTS.values())
)
if OIDC_ENABLED:
    if not (OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET):
        raise ImproperlyConfigured(
            "OIDC single sign-on is half configured: set both OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET "
            "(the client registered with the identity service), or neither."
        )
    _missing = [name for name, value in _OIDC_ENDPOINTS.items() if not value]
    if not OIDC_OP_DISCOVERY_URL and _missing:
        raise ImproperlyConfigured(
            "OIDC single sign-on needs the provider's addresses: OIDC_OP_DISCOVERY_URL (its "
            f".well-known/openid-configuration), or every one of {', '.join(_OIDC_ENDPOINTS)}; missing: "
            f"{', '.join(_missing)}."
        )
    for _name, _value in (("OIDC_OP_DISCOVERY_URL", OIDC_OP_DISCOVERY_URL), *_OIDC_ENDPOINTS.items()):
        if _value and urlsplit(_value).scheme not in ("http", "https"):
            raise ImproperlyConfigured(f"{_name}={_value!r} is not an http(s) address.")
# Set endpoints win; the discovery document fills the blank ones (security/sso_backends.py).
OIDC_OP_AUTHORIZATION_ENDPOINT = _OIDC_ENDPOINTS["OIDC_OP_AUTHORIZATION_ENDPOINT"]
OIDC_OP_TOKEN_ENDPOINT = _OIDC_ENDPOINTS["OIDC_OP_TOKEN_ENDPOINT"]
OIDC_OP_USER_ENDPOINT = _OIDC_ENDPOINTS["OIDC_OP_USER_ENDPOINT"]
OIDC_OP_JWKS_ENDPOINT = _OIDC_ENDPOINTS["OIDC_OP_JWKS_ENDPOINT"]
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid profile")
# The claim compared with a ledger username when SSO_MATCH_USERNAME is on.
OIDC_USERNAME_CLAIM = os.environ.get("OIDC_USERNAME_CLAIM", "preferred_username")
OIDC_CREATE_USER = False
OIDC_USE_PKCE = True
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT", 10)
OIDC_AUTHENTICATION_CALLBACK_URL = "sso-oidc-callback"
LOGIN_REDIRECT_URL_FAILURE = "/accounts/sso/refused/"

_cas_server = os.environ.get("CAS_SERVER_URL", "").strip()
# python-cas joins "login" and "serviceValidate" onto it: the trailing slash keeps the path.
CAS_SERVER_URL = f"{_cas_server.rstrip('/')}/" if _cas_server else ""
CAS_ENABLED = bool(CAS_SERVER_URL)
if CAS_ENABLED and urlsplit(CAS_SERVER_URL).scheme not in ("http", "https"):
    raise ImproperlyConfigured(
        f"CAS_SERVER_URL={_cas_server!r} is not an http(s) address; write it like https://cas.example.gov.cn/cas."
    )
CAS_VERSION = os.environ.get("CAS_VERSION", "3")
if CAS_VERSION not in ("1", "2", "3"):
    raise ImproperlyConfigured(f"CAS_VERSION={CAS_VERSION!r}: use 1, 2 or 3.")
CAS_CREATE_USER = False
CAS_LOGIN_MSG = None
CAS_LOGGED_MSG = None
CAS_IGNORE_REFERER = True
CAS_REDIRECT_URL = "/"
CAS_VERIFY_SSL_CERTIFICATE = env_bool("CAS_VERIFY_SSL", True)

SSO_MATCH_USERNAME = env_bool("SSO_MATCH_USERNAME", False)
# Password login only for the security and audit admins, who must still get in when the
# identity service is down; everyone else signs in through it.
SSO_ONLY = env_bool("SSO_ONLY", False)
if SSO_ONLY and not (OIDC_ENABLED or CAS_ENABLED):
    raise ImproperlyConfigured("SSO_ONLY=1 needs a single sign-on service: set the OIDC_* settings or CAS_SERVER_URL.")
# Before axes: a refused identity carries no username for axes to count, and a person's
# lock is checked by the SSO backends themselves.
AUTHENTICATION_BACKENDS = [
    *(["security.sso_backends.OIDCBackend"] if OIDC_ENABLED else []),
    *(["security.sso_backends.CASBackend"] if CAS_ENABLED else []),
    *AUTHENTICATION_BACKENDS,
]

# --- Language and time ----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("zh-hant", _("繁體中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
# Dates, times and the week as offices here write them (2026-11-30, weeks from Monday) in
# every language, English included: a date on a 通报 must not change shape with the reader.
FORMAT_MODULE_PATH = ["ledger.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Ticket photos are district data; they are served by an access-checked view, never by URL.
MEDIA_URL = "/media/"

MEDIA_STORAGE = os.environ.get("MEDIA_STORAGE", "local")
if MEDIA_STORAGE == "local":
    _media_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
elif MEDIA_STORAGE == "s3":
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("S3_BUCKET", ""),
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "access_key": os.environ.get("S3_ACCESS_KEY_ID", ""),
            "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY", ""),
            "region_name": os.environ.get("S3_REGION") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
    if not _media_storage["OPTIONS"]["bucket_name"]:
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs S3_BUCKET (and S3_ENDPOINT_URL for S3-compatible stores).")
else:
    raise ImproperlyConfigured(f"MEDIA_STORAGE={MEDIA_STORAGE!r}: use 'local' or 's3'.")

STORAGES = {
    "default": _media_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if (DEVELOPMENT or TESTING)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# The demo runs with DEBUG off: WhiteNoise serves static files from the source folders (no
# collectstatic) and picks up edits, as it does under DEBUG.
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = DEVELOPMENT

# Photos: checked by content with Pillow; anything larger than this is refused with a message.
PHOTO_MAX_BYTES = env_int("PHOTO_MAX_MB", 10) * 1024 * 1024
PHOTO_MAX_PIXELS = env_int("PHOTO_MAX_PIXELS", 40_000_000)
PHOTO_THUMB_SIZE = 480
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_MB", 20) * 1024 * 1024
IMPORT_MAX_BYTES = 5 * 1024 * 1024
IMPORT_MAX_ROWS = 2000
PHOTOS_PER_TICKET_MAX = 9
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- E-mail ---------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEVELOPMENT else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "创卫台账 <noreply@localhost>")

WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT", 5)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))

# --- Security -------------------------------------------------------------------------
# /healthz tells anyone only ok / not ok; with this token (X-Healthz-Token or ?token=) it
# also says which part failed and how fast each answered. Empty: details for staff only.
HEALTHZ_TOKEN = os.environ.get("HEALTHZ_TOKEN", "")
# Sessions live in the cache (Redis in production) and are written through to the database.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# The longest a session lives at all; idle sessions end sooner (IDLE_LOGOUT_SECONDS).
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600)
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy: only our own files; no inline script or style anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if not DEVELOPMENT and not TESTING:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# The benchmark reads X-Queries from each response; never on in production.
QUERY_COUNT_HEADER = env_bool("QUERY_COUNT_HEADER", False)

# --- Ledger rules ---------------------------------------------------------------------
TICKETS_PER_PAGE = 25

# --- The API (/api/v1/, campaigns/api/) ----------------------------------------------------
# Calls per token per minute; one over is answered 429 with Retry-After.
API_RATE_PER_MINUTE = env_int("API_RATE_PER_MINUTE", 120)
# Rows per page of a list: `limit` defaults to the first and may not exceed the second.
API_PAGE_DEFAULT = 25
API_PAGE_MAX = 100
DEFAULT_DEADLINE_DAYS = 3

# Logs: one JSON object per line with the request id (LOG_FORMAT=json, the default in
# production) so a support call's "请求编号" finds every line of that request; plain text
# for a developer's terminal.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if (DEVELOPMENT or TESTING) else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "infra.request_log.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # axes narrates every login at INFO; the audit log already records them.
    "loggers": {"axes": {"level": "WARNING"}},
}
