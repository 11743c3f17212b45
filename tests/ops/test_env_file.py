"""The example environment file: both loaders read it, and every setting in it works."""

import json
import re
import subprocess
import sys
from http import HTTPStatus

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from tests.credentials.keyfiles import key_files
from tests.factories import UserFactory
from tests.ops.servers import ROOT, ProxiedClient, SmtpSink, documented_lines, gunicorn

# What both systemd's EnvironmentFile= and a POSIX shell read the same way: a name, "=",
# and either a bare value with no spaces, quotes, $, backquotes or backslashes, or a
# double-quoted value without $, backquotes, backslashes or inner quotes.
PORTABLE_LINE = re.compile(r'[A-Z][A-Z0-9_]*=("[^"$`\\]*"|[^\s"\'$`\\;#]*)')
FILLED = {
    "DJANGO_SECRET_KEY": "k7Qp2vX9-zR4mT8wL1nB6yH3cF5jD0sG-aE7uK2oI9pV4xN1qW8rT3eY6bM5lC0z",
    "STRIPE_SECRET_KEY": "sk_live_example",
    "STRIPE_WEBHOOK_SECRET": "whsec_example",
}


def source(path, then: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`set -a; . file; set +a` in bash with an empty environment, fill the required
    secrets, then run `then`."""
    fill = " ".join(f"{k}={v}" for k, v in {**FILLED, **(extra or {})}.items())
    script = f"set -a; . {path}; {fill}; set +a; {then}"
    return subprocess.run(
        ["bash", "-c", script],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "LANG": "C.UTF-8"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_line_reads_the_same_in_systemd_and_in_a_shell():
    for line in documented_lines():
        assert PORTABLE_LINE.fullmatch(line), f"not portable: {line}"
    assert (ROOT / "deploy" / "ce.env.example").resolve() == (ROOT / ".env.example").resolve()


def test_the_sourced_file_loads_every_value_with_its_spaces():
    result = source(
        ".env.example",
        f"{sys.executable} -c 'import json, os; print(json.dumps(dict(os.environ)))'",
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["SITE_NAME"] == "Clinician CE Institute"
    assert loaded["DEFAULT_FROM_EMAIL"] == "Clinician CE Institute <no-reply@ce.example.com>"
    names = {line.split("=", 1)[0] for line in documented_lines()}
    assert names <= set(loaded)


def test_the_filled_example_passes_the_deploy_check():
    result = source(
        ".env.example",
        f"{sys.executable} manage.py check --deploy --fail-level WARNING",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def settings_read_by_the_code() -> set[str]:
    names = set()
    for path in [ROOT / "config" / "settings.py", ROOT / "config" / "gunicorn.conf.py"]:
        names |= set(
            re.findall(
                r'(?:env|env_int|env_bool|env_list|env_choice|required|_env)\(\s*"([A-Z0-9_]+)"',
                path.read_text(),
            )
        )
    return names


def test_every_setting_the_code_reads_is_in_the_example_file_and_the_readme():
    documented = {line.split("=", 1)[0] for line in documented_lines()}
    readme = (ROOT / "README.md").read_text()
    read = settings_read_by_the_code()
    assert "EMAIL_TIMEOUT" in read  # the pattern finds each kind of helper
    assert "GUNICORN_WORKERS" in read
    assert read - documented == set()
    assert {name for name in read if f"`{name}`" not in readme} == set()


@pytest.fixture
def member(transactional_db):
    """A verified learner whose password the server (production hashers) can check."""
    user = UserFactory(email="member@example.com")
    user.password = PBKDF2PasswordHasher().encode("a-long-password-123", "saltsaltsalt")
    user.save(update_fields=["password"])
    return user


def test_the_site_starts_with_every_documented_setting_set_and_a_learner_signs_in(
    member, tmp_path, s3
):
    from tests.ops.servers import production_env

    test_env = production_env()
    with SmtpSink() as smtp:
        overrides = {
            "DJANGO_CSRF_TRUSTED_ORIGINS": "https://www.ce.example.com",
            "DJANGO_TIME_ZONE": "America/New_York",
            "LOG_FORMAT": "json",
            "SENTRY_DSN": "",  # set below: a DSN whose host nobody serves still starts
            "DATABASE_URL": test_env["DATABASE_URL"],
            "DATABASE_CONN_MAX_AGE": "30",
            "CACHE_URL": "redis://127.0.0.1:6379/14",
            "STATIC_ROOT": test_env["STATIC_ROOT"],
            "MEDIA_ROOT": str(tmp_path / "media"),
            "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
            "MEDIA_ACCEL_REDIRECT_PREFIX": "/protected/",
            "AWS_STORAGE_BUCKET_NAME": s3.bucket,
            "AWS_PRIVATE_STORAGE_BUCKET_NAME": s3.private_bucket,
            "AWS_S3_ENDPOINT_URL": s3.endpoint,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_S3_CUSTOM_DOMAIN": "media.ce.example.com",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp.port),
            "EMAIL_HOST_USER": "mailer",
            "EMAIL_HOST_PASSWORD": "mail-password",
            "EMAIL_USE_TLS": "false",
            "STRIPE_API_BASE": test_env["STRIPE_API_BASE"],
            "REFUND_WINDOW_DAYS": "30",
            "REFUND_REQUESTS_AUTO_APPROVE": "false",
            "GUNICORN_WORKERS": "2",
            "GUNICORN_THREADS": "2",
            "GUNICORN_ACCESSLOG": "-",
            "GUNICORN_MAX_REQUESTS": "1000",
            **key_files(tmp_path / "keys"),
            "CREDENTIAL_KEYS_DIR": str(tmp_path / "demo-keys"),
        }
        overrides["SENTRY_DSN"] = "http://public@127.0.0.1:9/1"
        loaded = source(
            ".env.example",
            f"{sys.executable} -c 'import json, os; print(json.dumps(dict(os.environ)))'",
            overrides,
        )
        env = json.loads(loaded.stdout)
        documented = {line.split("=", 1)[0] for line in documented_lines()}
        unset = {name for name in documented if not env.get(name) and name != "GUNICORN_BIND"}
        assert unset == set(), "every documented setting is set in this test"
        env = {**test_env, **env, "PATH": test_env["PATH"]}
        with gunicorn(env, workers=2) as (base, log):
            client = ProxiedClient(base, "ce.example.com")
            response, _ = client.sign_in("member@example.com", "a-long-password-123")
            assert response.status == HTTPStatus.FOUND, log.read_text()[-3000:]
            response, page = client.request("GET", "/my/courses/")
            assert response.status == HTTPStatus.OK
            assert "member@example.com" in page or "My courses" in page
            response, jwks = client.request("GET", "/credentials/jwks.json")
            assert len(json.loads(jwks)["keys"]) == 2  # the key files, current and retired
            response, _ = client.request("GET", "/healthz")
            request_id = response.headers["X-Request-ID"]
        lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
        (healthz,) = [line for line in lines if line.get("request_id") == request_id]
        assert healthz["path"] == "/healthz"
        assert healthz["time"].endswith("Z")
