"""The documented production install, done for real: a fresh virtualenv, the locked
dependencies only, the site run from its release directory (README, "Running in
production"). Slow (a few hundred MB of wheels from pip's cache): `make test
PYTEST_ARGS="-m install"` runs it alone."""

import shutil
import subprocess
import sys
from http import HTTPStatus

import pytest

from tests.lockcheck import disagreements
from tests.ops.servers import ROOT, ProxiedClient, gunicorn, production_env


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


@pytest.mark.install
def test_a_fresh_virtualenv_from_the_lock_serves_the_site_from_its_release_directory(
    transactional_db, course, tmp_path
):
    release = tmp_path / "release"
    release.mkdir()
    release_copy(release)
    venv = release / ".venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = str(venv / "bin" / "python")
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "--require-hashes", "--no-deps",
         "-r", "requirements.lock"],
        cwd=release, check=True, timeout=900,
    )  # fmt: skip
    env = production_env(
        STATIC_ROOT=str(tmp_path / "static"),
        DJANGO_EMAIL_BACKEND="smtp",
        EMAIL_HOST="smtp.example.com",
        DJANGO_SECURE_SSL_REDIRECT="true",
    )

    def manage(*args: str) -> str:
        result = subprocess.run(
            [python, "manage.py", *args],
            cwd=release, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr + result.stdout
        return result.stdout

    where = manage(
        "shell", "-v", "0", "-c", "import django, config; print(django.__file__, config.__file__)"
    )
    assert where.split() == [
        str(venv / "lib" / "python3.13" / "site-packages" / "django" / "__init__.py"),
        str(release / "config" / "__init__.py"),
    ]
    manage("collectstatic", "--noinput", "-v", "0")
    assert "no issues" in manage("check", "--deploy", "--fail-level", "WARNING")

    with gunicorn(env, cwd=release, python=python) as (base, log):
        client = ProxiedClient(base, "testserver")
        response, page = client.request("GET", "/")
        assert response.status == HTTPStatus.OK, log.read_text()[-2000:]
        assert course.title in page
        stylesheet = page.split('href="/static/css/', 1)[1].split('"', 1)[0]
        response, _ = client.request("GET", f"/static/css/{stylesheet}")
        assert response.status == HTTPStatus.OK
        assert "immutable" in response.headers["Cache-Control"]
