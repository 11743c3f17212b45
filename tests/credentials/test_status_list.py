"""Each credential's place in the revocation status list is a random index drawn when
its certificate is issued (W3C Bitstring Status List: indexes should reveal nothing about
issue order); the list, decoded here by hand, flips exactly that bit."""

import base64
import gzip
import importlib

import pytest
from django.apps import apps

from certificates import states
from credentials import status
from credentials.models import StatusListEntry
from tests.certificates.conftest import confirm_and_issue
from tests.credentials.test_openbadges import fetch_credential, verify_independently

pytestmark = pytest.mark.django_db

backfill = importlib.import_module("credentials.migrations.0003_status_list_entries")


def decoded_list(client) -> bytes:
    token = client.get("/credentials/status/revocation.jwt").content.decode()
    encoded = verify_independently(client, token)["credentialSubject"]["encodedList"]
    raw = encoded.removeprefix("u")
    return gzip.decompress(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))


def set_bits(bits: bytes) -> list[int]:
    return [i for i in range(len(bits) * 8) if bits[i // 8] >> (7 - i % 8) & 1]


def test_the_index_is_drawn_at_issue_and_is_the_credentials_status_index(
    client, completed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        certificate = confirm_and_issue(completed)
    entry = StatusListEntry.objects.get(certificate=certificate)  # before any fetch
    assert 0 <= entry.index < status.STATUS_LIST_MIN_BITS
    claims = verify_independently(client, fetch_credential(client, certificate))
    assert claims["credentialStatus"]["statusListIndex"] == str(entry.index)
    assert claims["credentialStatus"]["id"].endswith(f"#{entry.index}")


def test_revoking_sets_exactly_that_bit_and_reinstating_clears_it(client, certificate):
    index = int(
        verify_independently(client, fetch_credential(client, certificate))["credentialStatus"][
            "statusListIndex"
        ]
    )
    assert set_bits(decoded_list(client)) == []
    states.certificate_revoke(
        certificate=certificate, public_reason="issued_in_error", note="Wrong course"
    )
    bits = decoded_list(client)
    assert len(bits) * 8 == status.STATUS_LIST_MIN_BITS
    assert set_bits(bits) == [index]  # its own bit, and not the one at its id
    states.certificate_reinstate(certificate=certificate, note="Revoked by mistake")
    assert set_bits(decoded_list(client)) == []


def test_a_reissue_draws_a_new_index_and_sets_only_the_old_one(client, certificate):
    old = StatusListEntry.objects.get(certificate=certificate).index
    new_certificate = states.certificate_reissue(certificate=certificate, note="Name spelling")
    new = StatusListEntry.objects.get(certificate=new_certificate).index  # drawn at reissue
    assert new != old
    assert set_bits(decoded_list(client)) == [old]


def test_a_taken_index_is_drawn_again(certificate, monkeypatch):
    taken = certificate.status_entry.index
    other = states.certificate_reissue(certificate=certificate, note="Name spelling")
    StatusListEntry.objects.filter(certificate=other).delete()
    draws = iter([taken, taken, 4242 if taken != 4242 else 4243])
    monkeypatch.setattr(status.secrets, "randbelow", lambda _: next(draws))
    assert status.status_index_assign(other) in {4242, 4243}
    assert StatusListEntry.objects.get(certificate=other).index in {4242, 4243}
    # Asked again (a second hook, a credential fetch), it keeps the index it has.
    assert status.status_index_assign(other) == StatusListEntry.objects.get(certificate=other).index


def test_the_range_grows_to_stay_at_most_half_full():
    assert status.status_list_capacity(0) == 131_072
    assert status.status_list_capacity(65_535) == 131_072
    assert status.status_list_capacity(65_536) == 2 * 131_072
    assert status.status_list_capacity(200_000) == 4 * 131_072


def test_the_migration_gives_existing_certificates_random_unique_indexes(client, certificate):
    new = states.certificate_reissue(certificate=certificate, note="Name spelling")
    StatusListEntry.objects.all().delete()  # as before the migration

    backfill.random_indexes(apps, None)

    entries = dict(StatusListEntry.objects.values_list("certificate_id", "index"))
    assert set(entries) == {certificate.pk, new.pk}
    assert len(set(entries.values())) == 2
    assert all(0 <= index < status.STATUS_LIST_MIN_BITS for index in entries.values())
    # The list reads them: the replaced certificate's bit, only.
    assert set_bits(decoded_list(client)) == [entries[certificate.pk]]
