"""Settings for the CE storefront: one module, every deploy knob from the environment.

Defaults are safe for the local demo (DJANGO_DEBUG=true). With debug off the process
refuses to start unless every production secret is present; see `.env.example` and
the settings table in README.md.
"""

import importlib
import importlib.util
import os
import zoneinfo
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

# Every problem found while reading the environment; start-up stops with all of them.
_missing: list[str] = []
_invalid: list[str] = []


def env(name: str, default: str = "") -> str:
    """The variable's value, stripped; an empty or blank value counts as unset, so that
    `NAME=` in an environment file means "use the default", never "use nothing"."""
    value = os.environ.get(name, "").strip()
    return value or default


def invalid(name: str, problem: str) -> None:
    _invalid.append(f"{name}: {problem}")


def env_bool(name: str, default: bool) -> bool:
    value = env(name).lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    invalid(name, f"{value!r} is not true or false")
    return default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = env(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        invalid(name, f"{value!r} is not a whole number")
        return default


def env_float(name: str, default: float) -> float:
    value = env(name)
    if not value:
        return default
    try:
        return float(value)
    except ValueError:
        invalid(name, f"{value!r} is not a number")
        return default


def env_choice(name: str, choices: dict[str, str] | set[str], default: str) -> str:
    """One of a fixed set of values (a dict maps short names to what they stand for)."""
    value = env(name, default)
    if value in choices:
        return choices[value] if isinstance(choices, dict) else value
    invalid(name, f"{value!r} is not one of {', '.join(sorted(choices))}")
    return choices[default] if isinstance(choices, dict) else default


DEBUG = env_bool("DJANGO_DEBUG", False)


def required(name: str, demo_default: str = "") -> str:
    """A secret production cannot run without; the demo falls back to a harmless value."""
    value = env(name)
    if not value and not DEBUG:
        _missing.append(name)
    return value or demo_default


SECRET_KEY = required("DJANGO_SECRET_KEY", "django-insecure-demo-only-key-never-use-in-production")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
if not ALLOWED_HOSTS and not DEBUG:
    _missing.append("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# The public base URL, used in emails, certificates and QR codes.
SITE_URL = env("SITE_URL").rstrip("/")
if not SITE_URL:
    if DEBUG:
        SITE_URL = "http://127.0.0.1:8000"
    else:
        _missing.append("SITE_URL")
SITE_NAME = env("SITE_NAME", "Clinician CE Institute")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "allauth",
    "allauth.account",
    "simple_history",
    "django_tasks_db",
    "records",
    "background",
    "accounts",
    "courses",
    "enrollment",
    "testing",
    "certificates",
    "credentials",
    "programs",
    "demo",
    "ops",
    # Deletes a course file from storage once a replaced or deleted one's change commits;
    # only for models marked @cleanup.select (course audio and video), never for records
    # kept for audits (certificates, instructor documents). Last, as its docs ask.
    "django_cleanup.apps.CleanupSelectedConfig",
]

MIDDLEWARE = [
    "ops.requestlog.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Content history (django-simple-history) records which staff user made each change.
    "simple_history.middleware.HistoryRequestMiddleware",
    # A refunded learner opening an old course link sees why, not a bare 404.
    "enrollment.access.AccessEndedMiddleware",
    # A signed-in user's writes replace the version of their cached pages.
    "enrollment.pagecache.LearnerWritesMiddleware",
]

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
                "config.context_processors.site",
            ],
        },
    },
]

# Widget templates may be overridden in templates/ (the private file widget in admin).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# Database: PostgreSQL through DATABASE_URL in production and tests; the demo falls
# back to an embedded SQLite file so that `make demo` needs no server.
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    try:
        DATABASES = {
            "default": dj_database_url.parse(
                DATABASE_URL,
                conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
                conn_health_checks=True,
            )
        }
    except ValueError as error:
        invalid("DATABASE_URL", str(error))
        DATABASES = {}
elif DEBUG:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "db.sqlite3",
            # Writers queue instead of failing with "database is locked" (2 workers).
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }
else:
    _missing.append("DATABASE_URL")
    DATABASES = {}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Cache and sessions -------------------------------------------------------------------
# One cache shared by every host and worker: rate-limit counters (allauth and certificate
# lookups), the anonymous pages and their version key (courses/caching.py), the session
# cache. CACHE_URL=redis://... puts all of it in Redis; without it (the demo) the database
# cache table holds the counters and each process keeps its own pages.
CACHE_URL = env("CACHE_URL")
_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
if CACHE_URL and not CACHE_URL.startswith(_REDIS_SCHEMES):
    invalid(
        "CACHE_URL", f"{CACHE_URL.split(':', 1)[0]!r} is not a cache this site knows (redis://)"
    )
if CACHE_URL.startswith(_REDIS_SCHEMES) and not importlib.util.find_spec("redis"):
    invalid("CACHE_URL", "redis:// needs the redis package (pip install -r requirements.lock)")
if CACHE_URL.startswith(_REDIS_SCHEMES):
    _redis = {
        "BACKEND": "ops.rediscache.ReusedClientRedisCache",
        "LOCATION": CACHE_URL,
        # A hung Redis must not hold a request for long; /readyz reports it.
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
    # Keeps two sites (or two test runs) on one Redis apart.
    CACHE_KEY_PREFIX = env("CACHE_KEY_PREFIX", "ce")
    CACHES = {
        "default": {**_redis, "KEY_PREFIX": CACHE_KEY_PREFIX},
        "pages": {**_redis, "KEY_PREFIX": f"{CACHE_KEY_PREFIX}-pages"},
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_cache",
        },
        "pages": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "pages",
            "OPTIONS": {"MAX_ENTRIES": 2000},
        },
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 0 if DEBUG else 60)
# A signed-in learner's own pages, kept until what they show changes (enrollment/pagecache.py).
# Only with the shared cache by default: without Redis each process would keep its own
# versions, and a change made in one would not reach the pages another keeps.
LEARNER_PAGE_CACHE_SECONDS = env_int(
    "LEARNER_PAGE_CACHE_SECONDS", 600 if CACHE_URL and not DEBUG else 0
)

# --- Client address ------------------------------------------------------------------------
# How many proxies (nginx, a load balancer) in front of the app append to X-Forwarded-For.
# 0: the TCP peer is the client and X-Forwarded-For is ignored. config.client reads it for
# every per-client limit and the logs; allauth is given the same number.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-allauth: email is the login; no usernames anywhere.
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env_choice(
    "ACCOUNT_EMAIL_VERIFICATION",
    {"mandatory", "optional", "none"},
    "optional" if DEBUG else "mandatory",
)
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# allauth's defaults limit login, failed logins, sign-up and password reset; they are
# stated here so that the README and the tests have one place to point at.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
}
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "courses:catalog"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("DJANGO_TIME_ZONE", "America/Los_Angeles")
if TIME_ZONE not in zoneinfo.available_timezones():
    invalid("DJANGO_TIME_ZONE", f"{TIME_ZONE!r} is not a time zone name (e.g. America/New_York)")
USE_I18N = True
# The site's wording for allauth's pages ("Sign in", not "Sign In"): locale/en.
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- Files ---------------------------------------------------------------------------------
# Two stores: "default" for public media (instructor photos, certificate logos; names
# under public/) and "private" for paid course material and certificate PDFs (never
# public; served by the access-checked media view). With AWS_STORAGE_BUCKET_NAME both live
# in S3-compatible object storage that every host shares (django-storages); without it
# (the demo) on local disk under MEDIA_ROOT and PRIVATE_MEDIA_ROOT.
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT") or BASE_DIR / "media")
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT") or BASE_DIR / "private_media")
# Local disk: after the access check nginx sends the bytes from this internal location
# (X-Accel-Redirect); empty = the view streams the file itself.
MEDIA_ACCEL_REDIRECT_PREFIX = env("MEDIA_ACCEL_REDIRECT_PREFIX")
# Object storage: how long a presigned link to a private file works. The browser fetches
# audio and video ranges from it while it plays, so it must outlast a long recording;
# every request to the media view checks access again.
PRIVATE_MEDIA_URL_SECONDS = env_int("PRIVATE_MEDIA_URL_SECONDS", 3600)
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME")
_addressing_style = env_choice(
    "AWS_S3_ADDRESSING_STYLE", {"auto": "", "path": "path", "virtual": "virtual"}, "auto"
)
if AWS_STORAGE_BUCKET_NAME:
    from botocore.config import Config as BotoConfig

    _private_bucket = env("AWS_PRIVATE_STORAGE_BUCKET_NAME")
    _s3 = {
        "bucket_name": AWS_STORAGE_BUCKET_NAME,
        "endpoint_url": env("AWS_S3_ENDPOINT_URL") or None,
        "region_name": env("AWS_S3_REGION_NAME") or None,
        "access_key": env("AWS_ACCESS_KEY_ID") or None,
        "secret_key": env("AWS_SECRET_ACCESS_KEY") or None,
        "addressing_style": _addressing_style or None,
        "signature_version": "s3v4",
        # A stored name always means the same bytes: an upload never replaces another
        # file, so a certificate can point at the logo that was current when it was issued.
        "file_overwrite": False,
        "client_config": BotoConfig(
            connect_timeout=3, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"}
        ),
    }
    STORAGES = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                **_s3,
                "querystring_auth": False,
                "custom_domain": env("AWS_S3_CUSTOM_DOMAIN") or None,
            },
        },
        "private": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                **_s3,
                "bucket_name": _private_bucket or AWS_STORAGE_BUCKET_NAME,
                "location": "" if _private_bucket else "private",
                "default_acl": "private",
                "querystring_auth": True,
                "querystring_expire": PRIVATE_MEDIA_URL_SECONDS,
            },
        },
    }
else:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "private": {
            "BACKEND": "courses.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": PRIVATE_MEDIA_ROOT},
        },
    }
STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
# Where browsers fetch stored files from (public images, presigned audio and video): the
# Content-Security-Policy below lets pages load images and media from there.
STORAGE_ORIGINS: list[str] = []
if AWS_STORAGE_BUCKET_NAME:
    if _s3["endpoint_url"]:
        _endpoint = urlsplit(_s3["endpoint_url"])
        STORAGE_ORIGINS.append(f"{_endpoint.scheme}://{_endpoint.netloc}")
        if _s3["addressing_style"] == "virtual":
            STORAGE_ORIGINS.append(f"{_endpoint.scheme}://*.{_endpoint.netloc}")
    else:
        STORAGE_ORIGINS.append("https://*.amazonaws.com")
    if STORAGES["default"]["OPTIONS"]["custom_domain"]:
        _domain = STORAGES["default"]["OPTIONS"]["custom_domain"].split("/")[0]
        STORAGE_ORIGINS.append(f"https://{_domain}")
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# Email: console in the demo, SMTP in production, or any backend by dotted path.
# Django 6.1 configures mail through MAILERS (the EMAIL_* settings are deprecated).
MAIL_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "dummy": "django.core.mail.backends.dummy.EmailBackend",
}
EMAIL_BACKEND_PATH = env("DJANGO_EMAIL_BACKEND", "console" if DEBUG else "smtp")
EMAIL_BACKEND_PATH = MAIL_BACKENDS.get(EMAIL_BACKEND_PATH, EMAIL_BACKEND_PATH)
try:
    _module, _, _class = EMAIL_BACKEND_PATH.rpartition(".")
    getattr(importlib.import_module(_module), _class)
except (ImportError, AttributeError, ValueError):
    invalid(
        "DJANGO_EMAIL_BACKEND",
        f"{EMAIL_BACKEND_PATH!r} is not a mail backend: use {', '.join(MAIL_BACKENDS)} "
        "or the dotted path of an installed backend class",
    )
_mail_options = {}
if MAIL_BACKENDS["smtp"] == EMAIL_BACKEND_PATH:
    if not env("EMAIL_HOST"):
        _missing.append("EMAIL_HOST")
    _mail_options = {
        "host": env("EMAIL_HOST"),
        "port": env_int("EMAIL_PORT", 587),
        "username": env("EMAIL_HOST_USER"),
        "password": env("EMAIL_HOST_PASSWORD"),
        "use_tls": env_bool("EMAIL_USE_TLS", True),
        "timeout": env_int("EMAIL_TIMEOUT", 10),
    }
MAILERS = {"default": {"BACKEND": EMAIL_BACKEND_PATH, "OPTIONS": _mail_options}}
# Production mail must come from the site's own domain, never from no-reply@localhost.
DEFAULT_FROM_EMAIL = required("DEFAULT_FROM_EMAIL", f"{SITE_NAME} <no-reply@localhost>")
if "@" not in parseaddr(DEFAULT_FROM_EMAIL)[1]:
    invalid("DEFAULT_FROM_EMAIL", f"{DEFAULT_FROM_EMAIL!r} has no email address")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ADMINS = env_list("DJANGO_ADMINS")

# --- Background tasks ----------------------------------------------------------------------
# Django's tasks framework with django-tasks-db: a task is a row in PostgreSQL (SQLite in
# the demo) written in the transaction that writes its data, and `manage.py worker` runs
# it. TASK_BACKEND=immediate runs each task in the enqueuing process once its transaction
# commits (the unit tests: no worker, no retries).
TASK_BACKEND = env_choice("TASK_BACKEND", {"database", "immediate"}, "database")
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "background.backends.OnCommitBackend",
        }[TASK_BACKEND]
    }
}
# A failing task runs again after TASK_RETRY_BASE_SECONDS, then after twice as long each
# time (at most an hour apart), TASK_RETRY_ATTEMPTS runs in all (background/retries.py).
TASK_RETRY_ATTEMPTS = env_int("TASK_RETRY_ATTEMPTS", 10)
TASK_RETRY_BASE_SECONDS = env_float("TASK_RETRY_BASE_SECONDS", 30.0)
# Each worker says it is alive this often; one silent for WORKER_STALE_SECONDS is taken
# for dead: /readyz says so and the task it was running runs again on another worker.
WORKER_HEARTBEAT_SECONDS = env_float("WORKER_HEARTBEAT_SECONDS", 10.0)
WORKER_STALE_SECONDS = env_float("WORKER_STALE_SECONDS", 60.0)

# Stripe (used from the purchase issue on). The demo runs without keys.
STRIPE_SECRET_KEY = required("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = required("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env("STRIPE_API_BASE", "https://api.stripe.com").rstrip("/")

# Refunds: the seed promises a full refund to anyone not satisfied. 0 days = no limit.
REFUND_WINDOW_DAYS = env_int("REFUND_WINDOW_DAYS", 0)
REFUND_REQUESTS_AUTO_APPROVE = env_bool("REFUND_REQUESTS_AUTO_APPROVE", True)
# Certificate verification lookups allowed per client address and minute.
CERTIFICATE_VERIFY_RATE_PER_MINUTE = env_int("CERTIFICATE_VERIFY_RATE_PER_MINUTE", 30)
# Signed certificates and digital credentials (credentials/keys.py): PEM files, never in
# the repository. PDFs are signed (PAdES) with an X.509 key and certificate; Open Badges
# credentials and status lists with an Ed25519 key; retired Ed25519 public keys stay
# published so that older credentials still verify.
# What signs a rendered certificate PDF and records it (certificates.services calls it).
CERTIFICATE_PDF_SIGNER = "credentials.signing.certificate_pdf_sign"
# ... and a program credential's (programs.credentials calls it).
PROGRAM_CREDENTIAL_PDF_SIGNER = "credentials.signing.program_credential_pdf_sign"
PDF_SIGNING_KEY_FILE = env("PDF_SIGNING_KEY_FILE")
PDF_SIGNING_CERT_FILE = env("PDF_SIGNING_CERT_FILE")
PDF_SIGNING_KEY_PASSPHRASE = env("PDF_SIGNING_KEY_PASSPHRASE")
CREDENTIAL_SIGNING_KEY_FILE = env("CREDENTIAL_SIGNING_KEY_FILE")
CREDENTIAL_RETIRED_KEYS_FILE = env("CREDENTIAL_RETIRED_KEYS_FILE")
# Without key files: create a self-signed pair under CREDENTIAL_KEYS_DIR (the demo).
CREDENTIAL_DEMO_KEYS = env_bool("CREDENTIAL_DEMO_KEYS", DEBUG)
if not DEBUG and not CREDENTIAL_DEMO_KEYS:
    # Production signs with its own keys: a host without them would fail every signature.
    for _name in ("PDF_SIGNING_KEY_FILE", "PDF_SIGNING_CERT_FILE", "CREDENTIAL_SIGNING_KEY_FILE"):
        if not env(_name):
            _missing.append(_name)
CREDENTIAL_KEYS_DIR = Path(env("CREDENTIAL_KEYS_DIR") or BASE_DIR / "var" / "credential-keys")
# A PDF uploaded for the document check, and a CSV of codes for the bulk check.
CREDENTIAL_UPLOAD_MAX_BYTES = env_int("CREDENTIAL_UPLOAD_MAX_BYTES", 5_000_000)
CREDENTIAL_BULK_MAX_CODES = env_int("CREDENTIAL_BULK_MAX_CODES", 500)
CREDENTIAL_BULK_CHECKS_PER_HOUR = env_int("CREDENTIAL_BULK_CHECKS_PER_HOUR", 10)
# Seconds a status list may be cached by verifiers and proxies.
CREDENTIAL_STATUS_LIST_MAX_AGE = env_int("CREDENTIAL_STATUS_LIST_MAX_AGE", 60)
# Printed on receipts.
SELLER_ADDRESS = env("SELLER_ADDRESS")

# Security. Production sits behind a TLS-terminating proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (Django's own middleware): nothing inline, nothing from
# elsewhere, except that Buy hands the browser to Stripe's Checkout page (form-action
# covers that redirect). Pages carry no inline script or style; the QR code in
# certificate PDFs is a data: image, which pages may show too.
_checkout_origins = ["https://checkout.stripe.com"]
if STRIPE_API_BASE != "https://api.stripe.com":
    _checkout_origins.append(STRIPE_API_BASE)  # a Stripe stand-in (the tests' fake)
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "media-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF, *_checkout_origins],
}
SECURE_CSP["img-src"] += STORAGE_ORIGINS
SECURE_CSP["media-src"] += STORAGE_ORIGINS

# Logs go to stderr (systemd's journal, or the container's log) in UTC, one line per
# request (ops.requestlog) and per business event (records.events), each line with the
# request id; LOG_FORMAT=json writes one JSON object per line.
LOG_FORMAT = env_choice("LOG_FORMAT", {"text", "json"}, "text")
LOG_LEVEL = env_choice(
    "DJANGO_LOG_LEVEL", {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}, "INFO"
)
# Error reports: Sentry when SENTRY_DSN is set; otherwise a mail to DJANGO_ADMINS, sent
# by the worker, rate-limited, never from inside the failing request (ops.errorreports).
SENTRY_DSN = env("SENTRY_DSN")
ERROR_REPORT_INTERVAL_SECONDS = env_int("ERROR_REPORT_INTERVAL_SECONDS", 600)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "ops.logformat.RequestIdFilter"}},
    "formatters": {
        "text": {"()": "ops.logformat.UtcFormatter"},
        "json": {"()": "ops.logformat.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        },
        "error_reports": {"level": "ERROR", "()": "ops.errorreports.ErrorReportHandler"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Replaces Django's defaults (console only with DEBUG, mail_admins inline).
        "django": {
            "handlers": ["console", "error_reports"],
            "level": LOG_LEVEL,
            "propagate": False,
        },
        # ops.requestlog writes the one line per request; Django's own would repeat it.
        "django.request": {
            "handlers": ["console", "error_reports"],
            "level": "ERROR",
            "propagate": False,
        },
        "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # A request for an unknown host is noise from scanners: logged, never reported.
        "django.security.DisallowedHost": {
            "handlers": ["console"],
            "level": "WARNING",
            "propagate": False,
        },
        # Task outcomes (background.retries): a retried failure is a warning, the last
        # one an error (reported), each naming the object the task acts on.
        "ce.tasks": {"handlers": ["console", "error_reports"], "level": "INFO", "propagate": False},
        # WeasyPrint reports every rendering step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", "production"),
        send_default_pii=False,  # learners' emails and license numbers stay here
        traces_sample_rate=0,
    )

CATALOG_PAGE_SIZE = 12
# My courses, orders and the transcript's table list this many rows a page.
LEARNER_PAGE_SIZE = 25

# Content history (django-simple-history) is a record, not an undo button: reverting from
# admin would bypass the course form's publishing rules, so old versions are read-only.
SIMPLE_HISTORY_REVERT_DISABLED = True

if _invalid:
    raise ImproperlyConfigured(
        "These settings have values this site cannot use: "
        + "; ".join(_invalid)
        + ". Fix them in the environment (see .env.example), or leave them empty for the default."
    )
if _missing:
    raise ImproperlyConfigured(
        "DJANGO_DEBUG is off, so this is a production start-up, and these settings are "
        f"missing: {', '.join(_missing)}. Set them in the environment (see .env.example), "
        "or set DJANGO_DEBUG=true for a local demo."
    )
