"""What a licensing board sees of a certificate, kept per code in the shared cache.

The verification page and its JSON print one certificate row (with its replacement's
code and its signed PDF's fingerprint); `verified_by_typed_code` answers both from a
snapshot (`Verified`: the row as read and the JSON facts) kept in the default cache
(Redis, shared by every host) instead of querying again.
An anonymous visitor's whole page (no session, no pending messages: the same page for
every such visitor, which reads nothing else of the request) is kept with it once
rendered, the time of the check put in afresh on each request (`page_response`).

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

import functools
import hashlib
import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import date as date_filter
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.html import conditional_escape
from django.utils.timezone import template_localtime

from courses.caching import is_anonymous_request, release

from . import codes
from .models import Certificate
from .services import VERIFIED_COLUMNS, certificate_to_verify, verification_facts

logger = logging.getLogger(__name__)

CACHE_ALIAS = "default"
# A snapshot is exact while its version stands; the timeouts only bound the memory.
SECONDS = 10 * 60
VERSION_SECONDS = 60 * 60
# Part of every key (see _release): change it when Verified or the columns it holds change.
SHAPE = 1
TEMPLATE = "certificates/verify.html"
CHECKED_FORMAT = "F j, Y, g:i a T"
# Where the time of the check goes in a kept page (nothing the escaping changes).
_MARK = f"checked{uuid.uuid4().hex}"


@dataclass(frozen=True)
class Verified:
    """A certificate as its verification page and JSON show it."""

    certificate: Certificate  # services.certificate_to_verify: the printed columns only
    facts: dict  # the JSON (services.verification_facts)


def _keys(code: str) -> tuple[str, str]:
    return f"verified-version:{code}", f"verified:{_release()}:{code}"


@functools.cache
def _release() -> str:
    """What a snapshot was made from besides the row, once per process: the code,
    templates and static files (courses.caching.release), the columns read, the settings
    printed. A deploy that changes any of them never serves an older snapshot."""
    made_of = (release(), SHAPE, VERIFIED_COLUMNS, settings.SITE_NAME,
               settings.SITE_URL, settings.TIME_ZONE)  # fmt: skip
    return hashlib.sha256(repr(made_of).encode()).hexdigest()[:16]


def _built(code: str) -> Verified | None:
    certificate = certificate_to_verify(code)
    if certificate is None:
        return None
    return Verified(certificate=certificate, facts=verification_facts(certificate))


def _shared_cache():
    """The cache snapshots live in, or None with the database cache (see above)."""
    cache = caches[CACHE_ALIAS]
    return None if isinstance(cache, DatabaseCache) else cache


def _readable_cache():
    """_shared_cache, or None inside a transaction (see above)."""
    return None if transaction.get_connection().in_atomic_block else _shared_cache()


class _Snapshot:
    """One code's entry in the shared cache, read in one round trip: (version, Verified,
    the anonymous page or None), served only while `version` is the code's version."""

    def __init__(self, code: str):
        self.code = code
        self.version = self.verified = self.page = None
        self.cache = _readable_cache()
        if self.cache is None:
            return
        version_key, self.key = _keys(code)
        try:
            found = self.cache.get_many([version_key, self.key])
            version, stored = found.get(version_key), found.get(self.key)
            if version is None:
                # Random, not a counter: a version lost to eviction never brings back a
                # snapshot stored under an earlier one.
                token = uuid.uuid4().hex
                version = token if self.cache.add(version_key, token, VERSION_SECONDS) else None
                version = version or self.cache.get(version_key)
            elif stored is not None and stored[0] == version:
                _, self.verified, self.page = stored
            self.version = version
        except Exception:
            logger.warning("Verification cache unavailable", exc_info=True)
            self.cache = None

    def get(self, *, store: bool = True) -> Verified | None:
        """The snapshot, built from the database (read after the version) when missing and
        then stored, unless the caller stores it with its page (keep_page)."""
        if self.verified is None:
            self.verified = _built(self.code)
            if self.verified is not None and store:
                self._store()
        return self.verified

    def keep_page(self, page: tuple[str, str] | None) -> None:
        self.page = page
        self._store()

    def _store(self) -> None:
        if self.cache is None or self.version is None:
            return
        try:
            self.cache.set(self.key, (self.version, self.verified, self.page), SECONDS)
        except Exception:
            logger.warning("Verification cache unavailable", exc_info=True)


def verified_by_typed_code(typed: str) -> Verified | None:
    """The snapshot of the certificate behind a typed code, or None: no such certificate."""
    code = codes.normalize(typed)
    return _Snapshot(code).get() if code else None


def checked_text(checked_at) -> str:
    """`checked_at` as the page prints it ({{ checked_at|date:CHECKED_FORMAT }})."""
    return conditional_escape(date_filter(template_localtime(checked_at), CHECKED_FORMAT))


def page_response(request: HttpRequest, typed: str) -> HttpResponse | None:
    """The verification page of the certificate behind a typed code (None: no such
    certificate). An anonymous visitor's page is kept whole with the snapshot, the time of
    the check put in afresh; a signed-in visitor's is rendered from the snapshot's row."""
    code = codes.normalize(typed)
    snapshot = _Snapshot(code) if code else None
    anonymous = is_anonymous_request(request)
    found = snapshot.get(store=not anonymous) if snapshot else None
    if found is None:
        return None
    checked = checked_text(timezone.now())
    if not anonymous:
        return render(request, TEMPLATE, {"certificate": found.certificate, "checked": checked})
    if snapshot.page is None:
        html = render_to_string(
            TEMPLATE, {"certificate": found.certificate, "checked": _MARK}, request
        )
        head, mark, tail = html.partition(_MARK)
        if mark and _MARK not in tail and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
            snapshot.keep_page((head, tail))
        else:  # a page that set a cookie or did not print the time once: not kept
            snapshot.keep_page(None)
            return HttpResponse(html.replace(_MARK, checked))
    head, tail = snapshot.page
    response = HttpResponse(head + checked + tail)
    # As rendering did (its menu reads the session): the page differs for a signed-in visitor.
    patch_vary_headers(response, ["Cookie"])
    return response


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
    if _shared_cache() is None:
        return
    # A certificate it replaced shows its code and link (a code never changes, but the
    # replaced page depends on this row, so it is forgotten too).
    replaced = list(
        Certificate.objects.filter(replaced_by_id=instance.pk).values_list("code", flat=True)
    )
    forget([instance.code, *replaced])


def _signed_document_changed(sender, instance, **kwargs) -> None:
    certificate_id = getattr(instance, "certificate_id", None)
    if certificate_id is not None and _shared_cache() is not None:
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
