"""Where each certificate's credential sits in the revocation status list: a random
index, unique, drawn when the certificate is issued (W3C Bitstring Status List: indexes
"should" be assigned randomly, so that they reveal nothing about issue order)."""

import secrets

from django.db import IntegrityError, transaction

from certificates.models import Certificate

from .models import StatusListEntry

# At least 16 KB of bits, so that a list says little about how many credentials there are
# or which one a verifier asks about (the spec's minimum for herd privacy).
STATUS_LIST_MIN_BITS = 131_072
ATTEMPTS = 50


def status_list_capacity(entries: int) -> int:
    """The range indexes are drawn from: the minimum list, grown by whole minimums so it
    stays at most half full (a draw rarely hits a taken index)."""
    needed = 2 * (entries + 1)
    return max(1, -(-needed // STATUS_LIST_MIN_BITS)) * STATUS_LIST_MIN_BITS


def status_index_assign(certificate: Certificate) -> int:
    """The certificate's index, drawn now if it has none (at issue: certificates.hooks)."""
    existing = StatusListEntry.objects.filter(certificate=certificate).first()
    if existing is not None:
        return existing.index
    capacity = status_list_capacity(StatusListEntry.objects.count())
    for _ in range(ATTEMPTS):
        try:
            with transaction.atomic():
                entry = StatusListEntry.objects.create(
                    certificate=certificate, index=secrets.randbelow(capacity)
                )
        except IntegrityError:
            # The index was taken (or a concurrent request gave this certificate one).
            existing = StatusListEntry.objects.filter(certificate=certificate).first()
            if existing is not None:
                return existing.index
            continue
        return entry.index
    raise RuntimeError(f"no free status-list index after {ATTEMPTS} draws")


def status_index(certificate: Certificate) -> int:
    """The credential's `statusListIndex`. A certificate made without the issue hook (a
    fixture, a shell) gets one on first use."""
    try:
        return certificate.status_entry.index
    except StatusListEntry.DoesNotExist:
        return status_index_assign(certificate)


def on_certificate_issued(certificate: Certificate) -> None:
    status_index_assign(certificate)
