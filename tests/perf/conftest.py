import pytest


@pytest.fixture
def production_caches(settings):
    """The caches and session engine production runs with (CACHE_URL=redis://...): the
    session read from the shared cache, counters and course data there too. A local
    memory cache stands in for Redis, so only SQL is counted."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                    "LOCATION": "perf-default"},
        "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                  "LOCATION": "perf-pages"},
    }  # fmt: skip
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    from django.core.cache import caches

    caches["default"].clear()
    caches["pages"].clear()
    return settings
