import os
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.views.defaults import server_error

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "p" * 60 + "-a-long-random-production-like-secret",
    "DJANGO_ALLOWED_HOSTS": "ce.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "SITE_URL": "https://ce.example.com",
    "EMAIL_HOST": "smtp.example.com",
    "STRIPE_SECRET_KEY": "sk_live_example",
    "STRIPE_WEBHOOK_SECRET": "whsec_example",
    "DEFAULT_FROM_EMAIL": "CE Institute <no-reply@ce.example.com>",
    "PDF_SIGNING_KEY_FILE": "/etc/ce/keys/pdf-signing.key.pem",
    "PDF_SIGNING_CERT_FILE": "/etc/ce/keys/pdf-signing.cert.pem",
    "CREDENTIAL_SIGNING_KEY_FILE": "/etc/ce/keys/credential-ed25519.pem",
}
DOCUMENTED = {
    line.split("=", 1)[0]
    for line in (ROOT / ".env.example").read_text().splitlines()
    if line and not line.startswith("#")
}


def run_django(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {
        k: v for k, v in os.environ.items() if k not in DOCUMENTED and not k.startswith("DJANGO_")
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def load_settings(env: dict[str, str], then: str = "") -> subprocess.CompletedProcess:
    """Import the settings module alone, as start-up does first (fast: no app loading)."""
    base = {
        k: v for k, v in os.environ.items() if k not in DOCUMENTED and not k.startswith("DJANGO_")
    }
    return subprocess.run(
        [sys.executable, "-c", f"import config.settings as s; {then}"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "missing",
    [
        "DJANGO_SECRET_KEY",
        "DJANGO_ALLOWED_HOSTS",
        "DATABASE_URL",
        "SITE_URL",
        "EMAIL_HOST",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "DEFAULT_FROM_EMAIL",
        "PDF_SIGNING_KEY_FILE",
        "PDF_SIGNING_CERT_FILE",
        "CREDENTIAL_SIGNING_KEY_FILE",
    ],
)
def test_production_start_up_fails_loudly_without_a_required_setting(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = load_settings(env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_deploy_check_passes_with_production_values():
    result = run_django(["check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_demo_starts_with_debug_and_nothing_else():
    result = run_django(["check"], {"DJANGO_DEBUG": "true"})
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_rate_limit_cache_is_shared_between_workers():
    backend = settings.CACHES["default"]["BACKEND"]
    assert backend in {
        "django.core.cache.backends.db.DatabaseCache",
        "ops.rediscache.ReusedClientRedisCache",
    }


def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == HTTPStatus.OK
    assert response.content == b"ok"


@pytest.mark.django_db
def test_unknown_url_gets_the_friendly_404_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert b"Page not found" in response.content
    assert b"Browse all courses" in response.content


def test_500_page_renders_without_context():
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert b"Something went wrong" in response.content


def test_an_empty_variable_means_unset_so_production_mail_goes_through_smtp():
    env = {**PRODUCTION_ENV, "DJANGO_EMAIL_BACKEND": "", "EMAIL_PORT": " ", "SITE_NAME": ""}
    result = load_settings(
        env,
        "print(s.MAILERS['default']['BACKEND'], s.MAILERS['default']['OPTIONS']['port'], "
        "repr(s.SITE_NAME))",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.core.mail.backends.smtp.EmailBackend",
        "587",
        "'Clinician",
        "CE",
        "Institute'",
    ]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DJANGO_EMAIL_BACKEND", "smpt"),
        ("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.nope.EmailBackend"),
        ("CACHE_URL", "memcached://127.0.0.1:11211"),
        ("DATABASE_URL", "mongodb://127.0.0.1/ce"),
        ("DJANGO_HSTS_PRELOAD", "ture"),
        ("EMAIL_PORT", "five-eight-seven"),
        ("DJANGO_TIME_ZONE", "Pacific Time"),
        ("LOG_FORMAT", "xml"),
        ("ACCOUNT_EMAIL_VERIFICATION", "required"),
        ("DEFAULT_FROM_EMAIL", "CE Institute"),
        ("TASK_BACKEND", "celery"),
        ("TASK_RETRY_BASE_SECONDS", "soon"),
        ("AWS_S3_ADDRESSING_STYLE", "sideways"),
    ],
)
def test_a_value_the_site_cannot_use_stops_start_up_naming_the_variable(name, value):
    result = load_settings({**PRODUCTION_ENV, name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{name}: " in result.stderr
    assert value.split("://")[0] in result.stderr


def settings_report(env: dict[str, str], expression: str) -> str:
    """What `expression` is in a process started with the production values and `env`."""
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.core.files.storage import storages\n"
        f"print({expression})\n"
    )
    base = {
        k: v for k, v in os.environ.items() if k not in DOCUMENTED and not k.startswith("DJANGO_")
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**base, **PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


STORE = "{0}|{1.bucket_name}|{1.location}|{1.querystring_auth}|{1.default_acl}|{1.file_overwrite}"


def test_object_storage_is_chosen_by_the_environment_and_private_files_stay_private():
    aws = {
        "AWS_STORAGE_BUCKET_NAME": "ce-media",
        "AWS_S3_ENDPOINT_URL": "https://s3.example.com",
        "AWS_S3_REGION_NAME": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "key",
        "AWS_SECRET_ACCESS_KEY": "secret",
    }
    describe = (
        f"'{STORE}'.format(type(storages['default']).__name__, storages['default']), "
        f"'{STORE}'.format(type(storages['private']).__name__, storages['private'])"
    )
    public, private = settings_report(aws, describe).split()
    assert public == "S3Storage|ce-media||False|None|False"  # readable media, stable names
    assert private == "S3Storage|ce-media|private|True|private|False"  # signed links only
    own = {**aws, "AWS_PRIVATE_STORAGE_BUCKET_NAME": "ce-private"}
    assert settings_report(own, describe).split()[1].startswith("S3Storage|ce-private||True")
    local = settings_report({}, "type(storages['private']).__name__")
    assert local == "PrivateFileSystemStorage"


def test_pages_may_load_images_and_media_from_the_object_store():
    aws = {"AWS_STORAGE_BUCKET_NAME": "ce-media", "AWS_S3_ENDPOINT_URL": "https://s3.example.com"}
    csp = "settings.SECURE_CSP['img-src'][-1], settings.SECURE_CSP['media-src'][-1]"
    assert settings_report(aws, csp).split() == ["https://s3.example.com"] * 2
    on_aws = settings_report({"AWS_STORAGE_BUCKET_NAME": "ce-media"}, csp)
    assert on_aws.split() == ["https://*.amazonaws.com"] * 2


def test_cache_url_puts_every_cache_and_the_sessions_in_redis():
    report = settings_report(
        {"CACHE_URL": "redis://127.0.0.1:6379/3"},
        "settings.CACHES['default']['BACKEND'], settings.CACHES['pages']['BACKEND'], "
        "settings.SESSION_ENGINE",
    )
    assert report == (
        "ops.rediscache.ReusedClientRedisCache ops.rediscache.ReusedClientRedisCache "
        "django.contrib.sessions.backends.cached_db"
    )


def test_learner_pages_are_kept_only_with_the_shared_cache():
    """In one process's memory a change made in another process would not replace the
    versions this one reads (enrollment/pagecache.py): off unless CACHE_URL says Redis."""
    assert settings_report({}, "settings.LEARNER_PAGE_CACHE_SECONDS") == "0"
    with_redis = {"CACHE_URL": "redis://127.0.0.1:6379/3"}
    assert settings_report(with_redis, "settings.LEARNER_PAGE_CACHE_SECONDS") == "600"
    chosen = {**with_redis, "LEARNER_PAGE_CACHE_SECONDS": "60"}
    assert settings_report(chosen, "settings.LEARNER_PAGE_CACHE_SECONDS") == "60"
