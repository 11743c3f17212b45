"""The Redis cache backend reuses one redis-py client per connection pool."""

import secrets

from ops.rediscache import ReusedClientRedisCache


def make_cache():
    prefix = f"test-reused-{secrets.token_hex(4)}"
    return ReusedClientRedisCache("redis://127.0.0.1:6379/5", {"KEY_PREFIX": prefix})


def test_one_client_serves_every_call():
    cache = make_cache()
    try:
        cache.set("a", {"x": 1})
        assert cache.get("a") == {"x": 1}
        assert cache.add("n", 1)
        assert cache.incr("n") == 2  # integers stay unpickled, as in Django's backend
        first = cache._cache.get_client(write=True)
        assert cache._cache.get_client() is first
        assert cache._cache.get_client("a", write=False) is first
    finally:
        cache.delete_many(["a", "n"])


def test_two_caches_keep_their_own_clients():
    one, two = make_cache(), make_cache()
    one.set("k", 1)
    try:
        assert two.get("k") is None  # different key prefixes
        assert one._cache.get_client() is not two._cache.get_client()
    finally:
        one.delete("k")
