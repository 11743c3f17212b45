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
        "django.core.cache.backends.redis.RedisCache",
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
    ],
)
def test_a_value_the_site_cannot_use_stops_start_up_naming_the_variable(name, value):
    result = load_settings({**PRODUCTION_ENV, name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{name}: " in result.stderr
    assert value.split("://")[0] in result.stderr
