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


def test_count_is_one_round_trip_and_the_counter_expires(monkeypatch):
    """The lookup limiter's counter: INCR and EXPIRE in one pipeline, where Django's
    add + incr take three round trips; a plain integer, readable with get()."""
    import redis

    cache = make_cache()
    trips = []
    execute = redis.client.Pipeline.execute
    monkeypatch.setattr(
        redis.client.Pipeline,
        "execute",
        lambda self, *a, **k: trips.append(1) or execute(self, *a, **k),
    )
    single = redis.Redis.execute_command
    monkeypatch.setattr(
        redis.Redis,
        "execute_command",
        lambda self, *a, **k: trips.append(a[0]) or single(self, *a, **k),
    )
    try:
        assert [cache.count("hits", timeout=120) for _ in range(3)] == [1, 2, 3]
        assert trips == [1, 1, 1]
        raw = cache._cache.get_client(write=True)
        assert 0 < raw.ttl(cache.make_and_validate_key("hits")) <= 120
        assert cache.get("hits") == 3
    finally:
        cache.delete("hits")


def test_count_gives_a_counter_without_expiry_one():
    """A counter left without expiry (written by an older version) gets one."""
    cache = make_cache()
    raw = cache._cache.get_client(write=True)
    key = cache.make_and_validate_key("old")
    raw.set(key, 5)
    try:
        assert cache.count("old", timeout=60) == 6
        assert 0 < raw.ttl(key) <= 60
    finally:
        cache.delete("old")
