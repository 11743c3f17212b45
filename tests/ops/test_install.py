"""The documented production install, done for real: a fresh virtualenv, the locked
dependencies only, the site run from its release directory (README, "Running in
production"). Slow (a few hundred MB of wheels from pip's cache): `make test
PYTEST_ARGS="-m install"` runs it alone."""

import json
import re
import shutil
import subprocess
from http import HTTPStatus
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from tests.lockcheck import disagreements
from tests.ops.servers import ROOT, ProxiedClient, gunicorn, machine_env, production_env


def test_the_locks_pin_everything_pyproject_asks_for():
    assert disagreements() == []


def test_the_lock_check_names_a_requirement_the_locks_lack(tmp_path):
    for name in ("requirements.lock", "requirements-dev.lock"):
        shutil.copy(ROOT / name, tmp_path / name)
    pyproject = (ROOT / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(
        pyproject.replace(
            '"django>=6.1,<6.2",', '"django>=6.1,<6.2",\n    "no-such-dist>=1",'
        ).replace('"stripe>=16,<17"', '"stripe>=99"')
    )
    problems = disagreements(tmp_path)
    assert "requirements.lock does not pin no-such-dist" in problems
    assert any("stripe==" in p and "outside 'stripe>=99'" in p for p in problems)


def release_copy(target) -> None:
    """The files a release carries: what git tracks (plus new files not yet committed)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name, follow_symlinks=False)


def readme_install_commands() -> list[str]:
    """Step 2 of README "Running in production", line by line, comments dropped."""
    section = (ROOT / "README.md").read_text().split("## Running in production", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return [re.sub(r"\s+#.*$", "", line).strip() for line in block.splitlines() if line.strip()]


def test_the_readme_install_is_the_one_this_test_runs():
    assert readme_install_commands() == [
        "python3.13 -m venv .venv",
        ".venv/bin/pip install --require-hashes --no-deps -r requirements.lock",
        "set -a; . /etc/ce/ce.env; set +a",
        ".venv/bin/python manage.py check --deploy --fail-level WARNING",
        ".venv/bin/python manage.py collectstatic --noinput",
        ".venv/bin/python manage.py migrate --noinput",
        ".venv/bin/python manage.py createcachetable",
        ".venv/bin/python manage.py createsuperuser",
    ]


def filled_env_file(path: Path, values: dict[str, str]) -> None:
    """deploy/ce.env.example with the REQUIRED values (and this run's services) filled in,
    as the README tells the operator to copy it to /etc/ce/ce.env."""
    lines = []
    for line in (ROOT / "deploy" / "ce.env.example").read_text().splitlines():
        name = line.split("=", 1)[0]
        lines.append(f"{name}={values[name]}" if not line.startswith("#") and name in values
                     else line)  # fmt: skip
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.install
def test_a_fresh_virtualenv_from_the_lock_serves_the_site_from_its_release_directory(
    transactional_db, course, tmp_path
):
    """The README's commands, run as written in bash from the release directory, with
    the settings only from the environment file; then gunicorn serves the site."""
    release = tmp_path / "release"
    release.mkdir()
    release_copy(release)
    test_env = production_env()
    env_file = tmp_path / "ce.env"
    filled_env_file(
        env_file,
        {
            "DJANGO_SECRET_KEY": "k7Qp2vX9-zR4mT8wL1nB6yH3cF5jD0sG-aE7uK2oI9pV4xN1qW8rT3eY6bM5lC0z",
            "STRIPE_SECRET_KEY": "sk_live_example",
            "STRIPE_WEBHOOK_SECRET": "whsec_example",
            # This run's database, fake Stripe and folders instead of /srv/ce.
            "DATABASE_URL": test_env["DATABASE_URL"],
            "STRIPE_API_BASE": test_env["STRIPE_API_BASE"],
            "STATIC_ROOT": str(tmp_path / "static"),
            "MEDIA_ROOT": str(tmp_path / "media"),
            "PRIVATE_MEDIA_ROOT": str(tmp_path / "private_media"),
        },
    )
    commands = [
        command.replace("/etc/ce/ce.env", str(env_file)).replace(
            "manage.py createsuperuser", "manage.py createsuperuser --noinput"
        )
        for command in readme_install_commands()
    ]
    where = (
        ".venv/bin/python -c 'import json, os, django, config; "
        "print(json.dumps([django.__file__, config.__file__, dict(os.environ)]))'"
    )
    result = subprocess.run(
        ["bash", "-c", "set -eo pipefail\n" + "\n".join([*commands, where])],
        cwd=release,
        env={
            **machine_env(),
            "DJANGO_SUPERUSER_EMAIL": "owner@ce.example.com",
            "DJANGO_SUPERUSER_PASSWORD": "an-owner-password-4821",
        },
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:] + result.stdout[-3000:]
    assert "System check identified no issues" in result.stdout
    django_file, config_file, env = json.loads(result.stdout.strip().splitlines()[-1])
    venv = release / ".venv"
    assert django_file == str(
        venv / "lib" / "python3.13" / "site-packages" / "django" / "__init__.py"
    )
    assert config_file == str(release / "config" / "__init__.py")
    assert env["SITE_URL"] == "https://ce.example.com"  # from the file, nothing else
    assert get_user_model().objects.get(email="owner@ce.example.com").is_superuser

    with gunicorn(env, cwd=release, python=str(venv / "bin" / "python")) as (base, log):
        client = ProxiedClient(base, "ce.example.com")
        response, page = client.request("GET", "/")
        assert response.status == HTTPStatus.OK, log.read_text()[-2000:]
        assert course.title in page
        stylesheet = page.split('href="/static/css/', 1)[1].split('"', 1)[0]
        response, _ = client.request("GET", f"/static/css/{stylesheet}")
        assert response.status == HTTPStatus.OK
        assert "immutable" in response.headers["Cache-Control"]
