"""The restore drill, run for real: pg_dump, pg_restore into a fresh database, files
into a fresh location, then every order, certificate and PDF checked."""

import json
import subprocess
import sys

from certificates import services as certificate_services
from tests.certificates.conftest import certificate, completed  # noqa: F401
from tests.ops.servers import ROOT, production_env
from tests.testing.conftest import bank, evaluation_items, ready  # noqa: F401


def drill(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["deploy/restore-drill.sh"],
        cwd=ROOT,
        env={**env, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_the_restore_drill_brings_back_orders_certificates_and_their_pdfs(
    transactional_db,
    certificate,  # noqa: F811
    tmp_path,
):
    certificate_services.certificate_pdf(certificate=certificate)
    certificate.refresh_from_db()
    assert certificate.pdf.name
    result = drill(production_env(TMPDIR=str(tmp_path)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "restore complete: every record and file is there" in result.stdout
    assert "1 file(s) restored" in result.stdout


def test_the_drill_fails_when_a_certificate_pdf_did_not_come_back(
    transactional_db,
    certificate,  # noqa: F811
    tmp_path,
):
    """The check is real: back up, then restore a backup whose PDF is gone."""
    from django.core.management import call_command

    certificate_services.certificate_pdf(certificate=certificate)
    certificate.refresh_from_db()
    call_command("backup_files", str(tmp_path))
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["counts"]["certificates"] == 1
    assert manifest["counts"]["certificate_pdfs"] == 1
    certificate.pdf.storage.delete(certificate.pdf.name)
    from ops.backups import restore_check

    (problem,) = restore_check(source=tmp_path)
    assert problem.endswith(f"/{certificate.pdf.name}: not restored")


def test_a_backup_prunes_old_ones_but_keeps_a_month_start_for_seven_years(
    transactional_db, tmp_path
):
    from datetime import UTC, datetime, timedelta

    today = datetime.now(UTC).date()
    month_start = (today - timedelta(days=60)).replace(day=1)
    old_day = month_start + timedelta(days=1)
    ancient = today.replace(year=today.year - 8, day=1)
    recent = today - timedelta(days=3)
    for day in (month_start, old_day, ancient, recent):
        (tmp_path / f"{day.isoformat()}T021500Z").mkdir()
    env = production_env(BACKUP_DIR=str(tmp_path))
    result = subprocess.run(
        ["deploy/backup.sh"],
        cwd=ROOT,
        env={**env, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    kept = sorted(p.name[:10] for p in tmp_path.iterdir())
    assert month_start.isoformat() in kept
    assert recent.isoformat() in kept
    assert old_day.isoformat() not in kept
    assert ancient.isoformat() not in kept
    (new,) = [p for p in tmp_path.iterdir() if p.name.startswith(today.isoformat())]
    assert (new / "database.dump").stat().st_size > 0
    assert json.loads((new / "manifest.json").read_text())["counts"]["orders"] == 0
