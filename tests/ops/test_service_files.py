"""The systemd units in deploy/ as systemd itself reads them, and the demo's command."""

import os
import re
import subprocess
from pathlib import Path

from tests.ops.servers import ROOT

UNITS = sorted((ROOT / "deploy").glob("*.service")) + sorted((ROOT / "deploy").glob("*.timer"))


def test_systemd_accepts_every_unit(tmp_path):
    """`systemd-analyze verify` with the release directory pointed at this checkout (it
    checks that each command exists): no unknown key, no bad value, no missing command."""
    for unit in UNITS:
        text = unit.read_text().replace("/srv/ce/current", str(ROOT))
        (tmp_path / unit.name).write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", *[str(tmp_path / u.name) for u in UNITS]],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""


def unit(name: str) -> str:
    return (ROOT / "deploy" / name).read_text()


def test_web_and_worker_run_from_the_release_directory_with_the_site_environment():
    for name, command in [
        ("ce-web.service", "/srv/ce/current/.venv/bin/gunicorn -c config/gunicorn.conf.py"),
        ("ce-worker.service", "/srv/ce/current/.venv/bin/python manage.py worker"),
        ("ce-housekeeping.service", "/srv/ce/current/.venv/bin/python manage.py housekeeping"),
        ("ce-backup.service", "/srv/ce/current/deploy/backup.sh"),
    ]:
        text = unit(name)
        assert f"ExecStart={command}\n" in text
        assert "WorkingDirectory=/srv/ce/current\n" in text
        assert "EnvironmentFile=/etc/ce/ce.env\n" in text
        assert "User=ce\n" in text


def test_each_timer_starts_its_service_nightly():
    for name in ("ce-housekeeping.timer", "ce-backup.timer"):
        assert re.search(r"^OnCalendar=\*-\*-\* \d\d:\d\d:00 UTC$", unit(name), re.MULTILINE)
        assert (ROOT / "deploy" / name.replace(".timer", ".service")).exists()


def test_the_backup_scripts_are_executable():
    for script in ("backup.sh", "restore-drill.sh"):
        assert Path(ROOT / "deploy" / script).stat().st_mode & 0o111


def demo_commands(*args: str) -> str:
    """What `make demo` would run (make -n prints the recipe, running nothing)."""
    return subprocess.run(
        ["make", "-n", "-o", "system-packages-demo", "-o", "install", "demo", *args],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=60,
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root")},
    ).stdout  # fmt: skip


def test_a_second_demo_serves_on_the_address_it_is_given():
    assert "--bind 127.0.0.1:8000" in demo_commands()
    second = demo_commands("DEMO_BIND=127.0.0.1:8001")
    assert "--bind 127.0.0.1:8001" in second
    assert "Serving on http://127.0.0.1:8001" in second
    assert "manage.py worker" in second  # the worker runs beside it, as in production
