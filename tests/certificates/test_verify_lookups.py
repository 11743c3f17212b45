"""The public verification lookups against the caches production runs with: the lookup
limiter counting in Redis in one round trip, the snapshot of what a board sees kept per
code (certificates.verified) and never stale, and what happens when the cache is down.

Snapshots are never used inside a transaction, so the tests of them commit
(transaction=True) as the site does."""

import re
import secrets
from http import HTTPStatus

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certificates import states, verified
from certificates.models import Certificate
from enrollment.signals import enrollment_revoked
from tests.certificates.test_certificates import a_fresh_minute

pytestmark = pytest.mark.django_db

REDIS = "ops.rediscache.ReusedClientRedisCache"
REMOTE = "127.0.0.1"  # the test client's address


def _forget(prefix: str) -> None:
    import redis

    store = redis.Redis(host="127.0.0.1", port=6379, db=5)
    for key in store.scan_iter(match=f":*:{prefix}*"):
        store.delete(key)
    for key in store.scan_iter(match=f"{prefix}*"):
        store.delete(key)


@pytest.fixture
def redis_cache(settings):
    """The default cache in Redis (database 5), as with CACHE_URL=redis://..."""
    prefix = f"test-verify-{secrets.token_hex(4)}"
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": REDIS, "LOCATION": "redis://127.0.0.1:6379/5",
                    "KEY_PREFIX": prefix},
    }  # fmt: skip
    yield caches["default"]
    _forget(prefix)


@pytest.fixture
def cache_down(settings):
    """The default cache in a Redis that does not answer (nothing listens on port 1)."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": REDIS, "LOCATION": "redis://127.0.0.1:1/0",
                    "OPTIONS": {"socket_connect_timeout": 0.5}},
    }  # fmt: skip
    return caches["default"]


def page(client, code):
    return client.get(reverse("certificates:verify", args=[code]))


def facts(client, code):
    return client.get(reverse("certificates:verify_json", args=[code]))


def test_redis_counts_every_lookup_known_or_not(client, certificate, settings, redis_cache):
    settings.CERTIFICATE_VERIFY_RATE_PER_MINUTE = 4
    a_fresh_minute()
    statuses = [
        page(client, certificate.display_code).status_code,
        page(client, "0000-0000-0000-0000").status_code,  # unknown codes count too
        facts(client, "0000-0000-0000-0000").status_code,
        facts(client, certificate.display_code).status_code,
        page(client, certificate.display_code).status_code,
        facts(client, certificate.display_code).status_code,
    ]
    assert statuses == [200, 404, 404, 200, 429, 429]
    assert page(client, certificate.display_code)["Retry-After"] == "60"
    counters = [
        k for k in redis_cache._cache.get_client().keys(f"{redis_cache.key_prefix}*{REMOTE}*")
    ]
    assert len(counters) == 1  # the counter of this minute, with its expiry
    assert 0 < redis_cache._cache.get_client().ttl(counters[0]) <= 120
    assert page(Client(REMOTE_ADDR="10.9.8.7"), certificate.display_code).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_with_the_cache_down_boards_still_verify(client, certificate, settings, cache_down, caplog):
    settings.CERTIFICATE_VERIFY_RATE_PER_MINUTE = 1
    for _ in range(3):
        response = page(client, certificate.display_code)
        assert response.status_code == HTTPStatus.OK
        assert "VALID" in response.content.decode()
        assert facts(client, certificate.display_code).json()["status"] == "valid"
    assert page(client, "0000-0000-0000-0000").status_code == HTTPStatus.NOT_FOUND
    assert "lookup limit not counted" in caplog.text
    assert "Verification cache unavailable" in caplog.text
    states.certificate_revoke(certificate=certificate, public_reason="issued_in_error", note="x")
    assert "REVOKED" in page(client, certificate.display_code).content.decode()
    assert facts(client, certificate.display_code).json()["status"] == "revoked"


def without_time(response) -> str:
    return re.sub(r"Checked [^<]*\.", "Checked", response.content.decode())


def status_of(client, code) -> tuple[str, str]:
    """The verdict on the page and the status in the JSON."""
    body = page(client, code).content.decode()
    verdict = re.search(r'role="status">\s*(\w+)', body).group(1)
    return verdict, facts(client, code).json()["status"]


@pytest.mark.django_db(transaction=True)
def test_a_board_looking_again_reads_no_database(
    client, certificate, redis_cache, django_assert_num_queries
):
    first, first_facts = (
        page(client, certificate.display_code),
        facts(client, certificate.display_code),
    )
    assert first.status_code == HTTPStatus.OK
    with django_assert_num_queries(0):
        again = page(client, certificate.display_code)
        again_facts = facts(client, certificate.display_code)
    assert without_time(again) == without_time(first)
    assert again_facts.json() == first_facts.json()
    per_response = {"Expires", "X-Request-ID"}
    same_headers = {k: v for k, v in first.headers.items() if k not in per_response}
    assert {k: v for k, v in again.headers.items() if k not in per_response} == same_headers
    assert again["Vary"] == "Cookie"
    assert again["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-cache" in again["Cache-Control"]
    # The time of the check stays live.
    assert re.search(r"Checked \w+ \d+, \d{4}, \d+:\d\d [ap]\.m\. \w+\.", again.content.decode())


@pytest.mark.django_db(transaction=True)
def test_revoke_reinstate_and_reissue_show_at_once(client, certificate, redis_cache):
    code = certificate.display_code
    assert status_of(client, code) == ("VALID", "valid")  # now kept in the cache
    states.certificate_revoke(certificate=certificate, public_reason="issued_in_error", note="x")
    assert status_of(client, code) == ("REVOKED", "revoked")
    assert "Issued in error" in page(client, code).content.decode()
    states.certificate_reinstate(certificate=certificate, note="Revoked by mistake")
    assert status_of(client, code) == ("VALID", "valid")
    new = states.certificate_reissue(certificate=certificate, note="Name spelling")
    assert status_of(client, code) == ("REISSUED", "reissued")
    assert new.get_absolute_url() in page(client, code).content.decode()
    assert facts(client, code).json()["replaced_by"].endswith(new.get_absolute_url())
    assert status_of(client, new.display_code) == ("VALID", "valid")


@pytest.mark.django_db(transaction=True)
def test_a_refund_revokes_at_once(client, certificate, redis_cache):
    code = certificate.display_code
    assert status_of(client, code) == ("VALID", "valid")
    enrollment_revoked.send(sender=None, enrollment=certificate.enrollment, reason="Refund")
    assert status_of(client, code) == ("REVOKED", "revoked")
    assert (
        facts(client, code).json()["revocation_reason"] == "Withdrawn at the participant's request"
    )


@pytest.mark.django_db(transaction=True)
def test_a_new_signed_pdf_shows_its_fingerprint_at_once(client, certificate, redis_cache):
    code = certificate.display_code
    signed = certificate.signed_document
    assert signed.sha256 in page(client, code).content.decode()
    signed.sha256 = "ab" * 32
    signed.save()
    assert "ab" * 32 in page(client, code).content.decode()
    assert facts(client, code).json()["document_sha256"] == "ab" * 32
    signed.delete()
    assert "fingerprint" not in page(client, code).content.decode()
    assert facts(client, code).json()["document_sha256"] is None


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_read_before_a_change_is_never_served(client, certificate, redis_cache):
    """A lookup that read the row just before a revoke committed stores what it read under
    the version it saw; the revoke dropped that version, so the snapshot is never served."""
    code = certificate.display_code
    before = verified.verified_by_typed_code(code)
    version_key, key = verified._keys(certificate.code)
    seen = redis_cache.get(version_key)
    states.certificate_revoke(certificate=certificate, public_reason="issued_in_error", note="x")
    assert redis_cache.get(version_key) is None
    redis_cache.set(key, (seen, before, None))  # the late write of the earlier lookup
    assert status_of(client, code) == ("REVOKED", "revoked")


@pytest.mark.django_db(transaction=True)
def test_unknown_codes_are_not_kept(client, certificate, redis_cache):
    """A code is looked up before it exists (a typo), then issued: it verifies at once."""
    assert page(client, "0000-0000-0000-0000").status_code == HTTPStatus.NOT_FOUND
    Certificate.objects.filter(pk=certificate.pk).update(code="0" * 16)
    assert page(client, "0000-0000-0000-0000").status_code == HTTPStatus.OK


@pytest.mark.django_db(transaction=True)
def test_a_signed_in_visitor_never_gets_the_anonymous_page(client, certificate, redis_cache):
    code = certificate.display_code
    assert "Sign in" in page(client, code).content.decode()
    assert "Sign in" in page(client, code).content.decode()  # the kept page
    client.force_login(certificate.enrollment.user)
    with CaptureQueriesContext(connection) as queries:
        body = page(client, code).content.decode()
    assert "Sign out" in body
    assert "Sign in" not in body
    assert "VALID" in body
    assert certificate.signed_document.sha256 in body
    # The kept row and its signed PDF: no lookup reads them again.
    read = " ".join(q["sql"] for q in queries.captured_queries)
    assert "certificates_certificate" not in read
    assert "credentials_signeddocument" not in read


@pytest.mark.django_db(transaction=True)
def test_the_time_of_the_check_reads_as_the_template_printed_it(settings):
    import datetime

    from django.template import Context, Template

    printed = Template('{{ t|date:"F j, Y, g:i a T" }}')
    for t in [
        datetime.datetime(2026, 7, 4, 0, 5, tzinfo=datetime.UTC),
        datetime.datetime(2026, 12, 6, 13, 30, tzinfo=datetime.UTC),
        datetime.datetime(2027, 3, 14, 23, 59, 59, tzinfo=datetime.UTC),
    ]:
        assert verified.checked_text(t) == printed.render(Context({"t": t}))


@pytest.mark.django_db(transaction=True)
def test_the_kept_page_is_the_same_however_the_code_was_typed(client, certificate, redis_cache):
    display = page(client, certificate.display_code)
    sloppy = page(client, certificate.code.lower())
    assert without_time(sloppy) == without_time(display)


@pytest.mark.django_db(transaction=True)
def test_a_change_rolled_back_leaves_no_trace(client, certificate, redis_cache):
    """Inside a transaction the snapshot is neither read nor stored: a lookup there sees
    the uncommitted revoke, and once that rolls back the page says VALID."""
    from django.db import transaction

    code = certificate.display_code
    assert status_of(client, code) == ("VALID", "valid")

    class Undone(Exception):
        pass

    def revoke_then_roll_back():
        with transaction.atomic():
            states.certificate_revoke(
                certificate=certificate, public_reason="issued_in_error", note="x"
            )
            assert verified.verified_by_typed_code(code).facts["status"] == "revoked"
            raise Undone

    with pytest.raises(Undone):
        revoke_then_roll_back()
    assert status_of(client, code) == ("VALID", "valid")


def test_the_demo_database_cache_keeps_no_snapshot(client, certificate):
    """Without Redis the default cache is a database table: a snapshot read there would be
    a query too, so none is kept and each lookup reads the row."""
    assert status_of(client, certificate.display_code) == ("VALID", "valid")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_cache WHERE cache_key LIKE %s", ["%verified%"])
        assert cursor.fetchone()[0] == 0
