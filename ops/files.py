"""Stored files that no row references any more (a replaced audio file, a re-rendered
certificate PDF, an upload abandoned in admin), deleted after a grace period.

Only the storage API is used (listdir, get_modified_time, delete), never a local path:
production storage is S3-compatible object storage. Every FileField of every installed
model counts as a reference, history tables included, so a file that an old version of a
record still names is kept.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.apps import apps
from django.core.files.storage import Storage
from django.db import models
from django.utils import timezone

from records.events import event_log


@dataclass
class StoredArea:
    storage: Storage
    referenced: set[str] = field(default_factory=set)


def _storage_key(storage: Storage) -> tuple:
    return (
        type(storage).__qualname__,
        str(getattr(storage, "location", "")),
        getattr(storage, "bucket_name", ""),
    )


def stored_areas() -> list[StoredArea]:
    """Each distinct storage that some FileField writes to, with every name rows hold."""
    areas: dict[tuple, StoredArea] = {}
    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            if not isinstance(model_field, models.FileField):
                continue
            area = areas.setdefault(
                _storage_key(model_field.storage), StoredArea(storage=model_field.storage)
            )
            names = (
                model._base_manager.exclude(**{model_field.attname: ""})
                .exclude(**{f"{model_field.attname}__isnull": True})
                .values_list(model_field.attname, flat=True)
            )
            area.referenced.update(names)
    return list(areas.values())


def walk(storage: Storage, path: str = "") -> Iterator[str]:
    directories, files = storage.listdir(path)
    for name in files:
        yield f"{path}/{name}" if path else name
    for directory in directories:
        yield from walk(storage, f"{path}/{directory}" if path else directory)


def orphaned_files_delete(
    *, grace: timedelta = timedelta(days=7), dry_run: bool = False, now: datetime | None = None
) -> list[str]:
    """Delete files older than `grace` that no row names; returns what was (or would be)
    deleted. The grace period covers uploads whose row is not saved yet."""
    cutoff = (now or timezone.now()) - grace
    deleted = []
    for area in stored_areas():
        try:
            names = list(walk(area.storage))
        except FileNotFoundError:  # nothing was ever stored there
            continue
        for name in names:
            if name in area.referenced or area.storage.get_modified_time(name) > cutoff:
                continue
            if not dry_run:
                area.storage.delete(name)
                event_log("file.deleted", name=name, reason="no row references it")
            deleted.append(name)
    return deleted
