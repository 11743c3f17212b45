"""The stored-files half of a backup, and the checks of a restore drill.

Files are copied through the storage API (the same code for the local filesystem and for
S3-compatible object storage through django-storages and boto3), and only the files
that rows reference: an orphan is garbage (ops.files). Each storage is named after the
first model field that writes to it (`courses.instructor.photo`), the same in the
backed-up site and in the one restored from it.

A backup directory holds `database.dump` (deploy/backup.sh runs pg_dump), `files/<area>/`
and `manifest.json`: the counts of the records boards audit and a SHA-256 per file.
"""

import hashlib
import json
from pathlib import Path

from django.apps import apps
from django.core.files.base import File
from django.core.files.storage import Storage
from django.db import models

from .files import _storage_key

# The records that must survive: counted at backup time, compared after a restore.
AUDITED = {
    "orders": "enrollment.Order",
    "paid_orders": "enrollment.Order",
    "enrollments": "enrollment.Enrollment",
    "refunds": "enrollment.Refund",
    "certificates": "certificates.Certificate",
    "attempts": "testing.Attempt",
    "evaluations": "testing.EvaluationResponse",
    "users": "accounts.User",
}


def areas() -> dict[str, tuple[Storage, set[str]]]:
    """area name -> (storage, every file name rows reference in it)."""
    found: dict[tuple, str] = {}
    result: dict[str, tuple[Storage, set[str]]] = {}
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.FileField):
                continue
            key = _storage_key(field.storage)
            label = found.setdefault(key, f"{model._meta.label_lower}.{field.name}")
            _, names = result.setdefault(label, (field.storage, set()))
            names.update(
                model._base_manager.exclude(**{field.attname: ""})
                .exclude(**{f"{field.attname}__isnull": True})
                .values_list(field.attname, flat=True)
            )
    return result


def record_counts() -> dict[str, int]:
    counts = {}
    for name, label in AUDITED.items():
        queryset = apps.get_model(label)._base_manager.all()
        if name == "paid_orders":
            queryset = queryset.exclude(paid_at__isnull=True)
        counts[name] = queryset.count()
    certificate = apps.get_model("certificates.Certificate")
    counts["certificate_pdfs"] = certificate._base_manager.exclude(pdf="").count()
    return counts


def _sha256(handle) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()


def files_backup(*, target: Path) -> dict:
    """Copy every referenced file into target/files/<area>/ and write the manifest.
    A referenced file that is missing is listed, not fatal: the report says so."""
    manifest = {"counts": record_counts(), "files": {}, "missing": []}
    for label, (storage, names) in sorted(areas().items()):
        for name in sorted(names):
            if not storage.exists(name):
                manifest["missing"].append(f"{label}/{name}")
                continue
            destination = target / "files" / label / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            with storage.open(name, "rb") as source, destination.open("wb") as out:
                for chunk in iter(lambda: source.read(1 << 20), b""):
                    out.write(chunk)
            with destination.open("rb") as copied:
                manifest["files"][f"{label}/{name}"] = _sha256(copied)
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return manifest


def _bucket_create(storage: Storage) -> None:
    """A drill restores into a fresh bucket: create it (S3 storages only)."""
    bucket = getattr(storage, "bucket_name", None)
    if not bucket:
        return
    client = storage.connection.meta.client
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        client.create_bucket(Bucket=bucket)


def files_restore(*, source: Path) -> int:
    """Put every backed-up file back under its own name, in this site's storages."""
    restored = 0
    storages = {label: storage for label, (storage, _) in areas().items()}
    for label, storage in storages.items():
        folder = source / "files" / label
        if not folder.is_dir():
            continue
        _bucket_create(storage)
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            name = path.relative_to(folder).as_posix()
            if storage.exists(name):
                storage.delete(name)
            with path.open("rb") as handle:
                saved = storage.save(name, File(handle, name=name))
            if saved != name:
                raise RuntimeError(f"{label}: {name} came back as {saved}")
            restored += 1
    return restored


def restore_check(*, source: Path) -> list[str]:
    """What the restored site lacks compared with the backup; empty when whole. Every
    record count matches, every referenced file is there with the same bytes, and every
    certificate's PDF opens as a PDF."""
    manifest = json.loads((source / "manifest.json").read_text())
    problems = []
    counts = record_counts()
    for name, expected in manifest["counts"].items():
        if counts.get(name) != expected:
            problems.append(f"{name}: {counts.get(name)} restored, {expected} backed up")
    for label, (storage, names) in areas().items():
        for name in names:
            key = f"{label}/{name}"
            if key not in manifest["files"]:
                continue  # listed as missing at backup time
            if not storage.exists(name):
                problems.append(f"{key}: not restored")
                continue
            with storage.open(name, "rb") as handle:
                if _sha256(handle) != manifest["files"][key]:
                    problems.append(f"{key}: different bytes")
    certificate = apps.get_model("certificates.Certificate")
    for row in certificate._base_manager.exclude(pdf=""):
        if row.pdf.storage.exists(row.pdf.name):
            with row.pdf.open("rb") as handle:
                if handle.read(5) != b"%PDF-":
                    problems.append(f"certificate {row.code}: {row.pdf.name} is not a PDF")
    return problems
