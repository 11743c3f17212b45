"""What a licensing board sees of a certificate, kept per code in the shared cache.

The verification page and its JSON print one certificate row (with its replacement's
code and its signed PDF's fingerprint); `verified_by_typed_code` answers both from a
snapshot (`Verified`: the JSON facts and the page's fragments, rendered once) kept in
the default cache (Redis, shared by every host) instead of querying and rendering again.

Never stale: each code has a version in the same cache, a random token read *before*
the database is; a snapshot is served only under the version it was built under. Any
save or delete of the certificate, of a certificate it replaced or of its signed PDF
deletes that version once the change commits (signals, `connect` in apps.py), so the
next lookup reads the database; a snapshot built from a read that raced with the change
is stored under the deleted version and never served. A deletion is allowed even when
Redis refuses writes (out of memory), where replacing a version would fail.

Not cached: when the default cache is the database cache (the demo without Redis: a
cache read there is a query too), inside a transaction (it could read its own uncommitted
change, then roll back), unknown codes (a code just issued must verify at once). A cache
outage costs speed, not the answer: the database is read and the page rendered as before.
"""

import logging
import uuid
from dataclasses import dataclass

from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from . import codes
from .models import Certificate
from .services import certificate_to_verify, verification_facts

logger = logging.getLogger(__name__)

CACHE_ALIAS = "default"
# A snapshot is exact while its version stands; the timeouts only bound the memory.
SECONDS = 10 * 60
VERSION_SECONDS = 60 * 60
# Part of every key: change it when Verified or the fragments' templates change shape.
SHAPE = 1


@dataclass(frozen=True)
class Verified:
    """A certificate as its verification page and JSON show it."""

    display_code: str
    status_label: str
    summary: SafeString  # certificates/_verify_summary.html
    links: SafeString  # certificates/_verify_links.html
    facts: dict  # the JSON (services.verification_facts)


def _keys(code: str) -> tuple[str, str]:
    return f"verified-version:{code}", f"verified:{SHAPE}:{code}"


def _fragment(template: str, certificate: Certificate) -> SafeString:
    # The fragment files end with a newline that the page does not have there.
    return mark_safe(render_to_string(template, {"certificate": certificate}).removesuffix("\n"))  # noqa: S308 (rendered by the template engine, escaped there)


def _built(code: str) -> Verified | None:
    certificate = certificate_to_verify(code)
    if certificate is None:
        return None
    return Verified(
        display_code=certificate.display_code,
        status_label=certificate.get_status_display(),
        summary=_fragment("certificates/_verify_summary.html", certificate),
        links=_fragment("certificates/_verify_links.html", certificate),
        facts=verification_facts(certificate),
    )


def _shared_cache():
    """The cache snapshots live in, or None where they must not be used (see above)."""
    cache = caches[CACHE_ALIAS]
    if isinstance(cache, DatabaseCache):
        return None
    return cache


def verified_by_typed_code(typed: str) -> Verified | None:
    """The snapshot of the certificate behind a typed code, or None: no such certificate."""
    code = codes.normalize(typed)
    if code is None:
        return None
    cache = _shared_cache()
    if cache is None or transaction.get_connection().in_atomic_block:
        return _built(code)
    version_key, key = _keys(code)
    try:
        found = cache.get_many([version_key, key])  # one round trip
        version, stored = found.get(version_key), found.get(key)
        if version is not None and stored is not None and stored[0] == version:
            return stored[1]
        if version is None:
            # Random, not a counter: a version lost to eviction never brings back a
            # snapshot stored under an earlier one.
            token = uuid.uuid4().hex
            version = token if cache.add(version_key, token, VERSION_SECONDS) else None
            version = version or cache.get(version_key)
    except Exception:
        logger.warning("Verification cache unavailable", exc_info=True)
        return _built(code)
    verified = _built(code)  # read after the version: see the module's docstring
    if verified is not None and version is not None:
        try:
            cache.set(key, (version, verified), SECONDS)
        except Exception:
            logger.warning("Verification cache unavailable", exc_info=True)
    return verified


def forget(codes_: list[str]) -> None:
    """These certificates changed: once the change commits, no snapshot of them is served."""
    if not codes_ or _shared_cache() is None:
        return
    keys = [_keys(code)[0] for code in codes_]

    def delete_versions() -> None:
        try:
            caches[CACHE_ALIAS].delete_many(keys)
        except Exception:
            # The snapshots then stand until they expire (SECONDS): say so loudly.
            logger.error("Verification cache not cleared for %s", codes_, exc_info=True)

    transaction.on_commit(delete_versions)


def _certificate_changed(sender, instance: Certificate, **kwargs) -> None:
    # A certificate it replaced shows its code and link (a code never changes, but the
    # replaced page depends on this row, so it is forgotten too).
    replaced = list(
        Certificate.objects.filter(replaced_by_id=instance.pk).values_list("code", flat=True)
    )
    forget([instance.code, *replaced])


def _signed_document_changed(sender, instance, **kwargs) -> None:
    certificate_id = getattr(instance, "certificate_id", None)
    if certificate_id is not None:
        forget(list(Certificate.objects.filter(pk=certificate_id).values_list("code", flat=True)))


def connect() -> None:
    """Forget a certificate's snapshot whenever its row or its signed PDF's row changes.
    (Certificate.objects...update() sends no signal: every such update in the code base
    either changes no printed column (the PDF's file name) or runs in the transaction of
    a status move, which saved the row and so forgets it when that commits.)"""
    post_save.connect(_certificate_changed, sender=Certificate, dispatch_uid="verified-save")
    post_delete.connect(_certificate_changed, sender=Certificate, dispatch_uid="verified-delete")
    try:
        # The signed PDF's model (credentials app) by the relation, not by an import.
        signed = Certificate._meta.get_field("signed_document").related_model
    except FieldDoesNotExist:
        return
    post_save.connect(_signed_document_changed, sender=signed, dispatch_uid="verified-signed-save")
    post_delete.connect(
        _signed_document_changed, sender=signed, dispatch_uid="verified-signed-delete"
    )
