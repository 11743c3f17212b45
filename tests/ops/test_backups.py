"""The restore drill, run for real: pg_dump, pg_restore into a fresh database, files
into a fresh location, then every order, certificate and PDF checked."""

import json
import subprocess
import sys

import boto3
from django.core.files.base import ContentFile
from django.core.management import call_command

from certificates import services as certificate_services
from ops.backups import record_counts
from tests.certificates.conftest import certificate, completed  # noqa: F401
from tests.factories import InstructorFactory
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


def test_the_restore_drill_on_object_storage_brings_everything_back_into_fresh_buckets(
    transactional_db,
    certificate,  # noqa: F811
    tmp_path,
    s3,
):
    """Production's shape: every file in S3 (moto's server), private files in their own
    bucket. The drill backs up from the buckets and restores into new ones."""
    certificate_services.certificate_pdf(certificate=certificate)
    certificate.refresh_from_db()
    instructor = InstructorFactory()
    instructor.photo.save("portrait.png", ContentFile(b"\x89PNG portrait"), save=True)
    pdf = certificate.pdf.read()
    client = boto3.client(
        "s3", endpoint_url=s3.endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip
    # The site's files in the buckets under their stored names (the test process itself
    # keeps them on local disk): public ones in the bucket, private ones in their own.
    client.put_object(Bucket=s3.private_bucket, Key=certificate.pdf.name, Body=pdf)
    client.put_object(Bucket=s3.bucket, Key=instructor.photo.name, Body=b"\x89PNG portrait")
    env = production_env(
        TMPDIR=str(tmp_path),
        AWS_STORAGE_BUCKET_NAME=s3.bucket,
        AWS_PRIVATE_STORAGE_BUCKET_NAME=s3.private_bucket,
        AWS_S3_ENDPOINT_URL=s3.endpoint,
        AWS_S3_REGION_NAME="us-east-1",
        AWS_S3_ADDRESSING_STYLE="path",
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
    )
    result = drill(env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "restore complete: every record and file is there" in result.stdout
    assert "2 file(s) restored" in result.stdout

    buckets = {b["Name"] for b in client.list_buckets()["Buckets"]}
    (private,) = [b for b in buckets if b.startswith(f"{s3.private_bucket}-drill-")]
    (public,) = [b for b in buckets if b.startswith(f"{s3.bucket}-drill-")]
    restored_pdf = client.get_object(Bucket=private, Key=certificate.pdf.name)["Body"].read()
    assert restored_pdf == pdf
    assert restored_pdf.startswith(b"%PDF-")
    photo = client.get_object(Bucket=public, Key=instructor.photo.name)["Body"].read()
    assert photo == b"\x89PNG portrait"
    # What the drill compared with the restored database (it counted at backup time).
    counts = record_counts()
    assert counts["orders"] == counts["paid_orders"] == 1
    assert counts["certificates"] == counts["certificate_pdfs"] == 1


def test_the_drill_fails_when_a_certificate_pdf_did_not_come_back(
    transactional_db,
    certificate,  # noqa: F811
    tmp_path,
):
    """The check is real: back up, then restore a backup whose PDF is gone."""
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
