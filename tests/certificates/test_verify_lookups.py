"""The public verification lookups against the caches production runs with: the lookup
limiter counting in Redis in one round trip, and what happens when the cache is down."""

import secrets
from http import HTTPStatus

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

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
    counters = [k for k in redis_cache._cache.get_client().keys(f"*{REMOTE}*")]
    assert len(counters) == 1  # the counter of this minute, with its expiry
    assert 0 < redis_cache._cache.get_client().ttl(counters[0]) <= 120
    assert page(Client(REMOTE_ADDR="10.9.8.7"), certificate.display_code).status_code == 200


def test_with_the_cache_down_boards_still_verify(client, certificate, settings, cache_down, caplog):
    settings.CERTIFICATE_VERIFY_RATE_PER_MINUTE = 1
    for _ in range(3):
        response = page(client, certificate.display_code)
        assert response.status_code == HTTPStatus.OK
        assert "VALID" in response.content.decode()
        assert facts(client, certificate.display_code).json()["status"] == "valid"
    assert page(client, "0000-0000-0000-0000").status_code == HTTPStatus.NOT_FOUND
    assert "lookup limit not counted" in caplog.text
