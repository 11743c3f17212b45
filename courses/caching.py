"""Whole-page caching of the public catalog pages for anonymous visitors.

Anonymous visitors (no session cookie, no pending messages) all see the same catalog,
course and instructor pages, so the rendered page is kept for PAGE_CACHE_SECONDS in the
"pages" cache: Redis with CACHE_URL, shared by every host; one process's memory without.
Each entry is stored with the catalog version it was made under, a version kept in the
same cache and read together with the entry (one round trip, `get_many`); any change to
catalog data replaces the version (signals in apps.py), so every host stops serving the
older entries with its next request, and they are simply overwritten or expire.
Signed-in users, staff previews and anything that sets a cookie are never cached.
"""

import functools
import hashlib
import logging
import uuid
from collections.abc import Callable
from functools import wraps
from pathlib import Path

import django
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import caches
from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.cache import patch_vary_headers

logger = logging.getLogger(__name__)

CACHE_ALIAS = "pages"
VERSION_KEY = "catalog-version"
# Versioned, so kept until the catalog changes; the timeout only bounds the memory.
DATA_SECONDS = 60 * 60


def is_anonymous_request(request: HttpRequest) -> bool:
    """A GET or HEAD with no session and no pending messages: the page is the same for
    every such visitor."""
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
    )


def catalog_version() -> str:
    return current_version(VERSION_KEY)


def current_version(key: str) -> str:
    """The version stored under `key` in the shared cache (made on first use)."""
    cache = caches[CACHE_ALIAS]
    version = cache.get(key)
    if version is None:
        # Random, not a counter: a version lost to eviction can never bring back pages
        # stored under an earlier one.
        cache.add(key, uuid.uuid4().hex, timeout=None)
        version = cache.get(key)
    return version


@functools.cache
def release() -> str:
    """A digest of the code, templates and static files this process runs: a page kept
    by an older release (before a deploy, or on the other host mid-rollout) is never
    served by a newer one."""
    digest = hashlib.sha256(django.get_version().encode())
    root = Path(settings.BASE_DIR)
    folders = [
        folder
        for folder in sorted(root.iterdir())
        if folder.name == "templates"
        or (folder.name != "tests" and (folder / "__init__.py").exists())
    ]
    for path in (path for folder in folders for path in sorted(folder.rglob("*.*"))):
        if path.suffix not in (".py", ".html"):
            continue
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    # Pages name the static files by their hashed names.
    digest.update(getattr(staticfiles_storage, "manifest_hash", "").encode())
    return digest.hexdigest()[:16]


def versioned_get(version_key: str, key: str) -> tuple[str, object | None]:
    """The version under `version_key` and the value `versioned_set` stored under `key`
    with that same version (None when missing or made under another version), in one
    round trip."""
    cache = caches[CACHE_ALIAS]
    found = cache.get_many([version_key, key])
    version = found.get(version_key)
    if version is None:
        # No version yet (or evicted): nothing stored can be current.
        return current_version(version_key), None
    entry = found.get(key)
    if type(entry) is tuple and len(entry) == 2 and entry[0] == version:
        return version, entry[1]
    return version, None


def versioned_set(key: str, version: str, value: object, seconds: int) -> None:
    """Store `value` under `key` as made under `version` (read before `value` was made:
    a change meanwhile has already replaced it, so the entry is never served)."""
    caches[CACHE_ALIAS].set(key, (version, value), seconds)


def new_version(key: str) -> None:
    """Replace the version under `key`: everything cached under the old one is unreachable."""
    caches[CACHE_ALIAS].set(key, uuid.uuid4().hex, timeout=None)


def read_query(request: HttpRequest, reads: tuple[str, ...]) -> QueryDict:
    """The request's query reduced to the parameters a page reads, in a fixed order, empty
    ones left out."""
    query = QueryDict(mutable=True)
    for name in reads:
        value = request.GET.get(name, "")
        if value:
            query[name] = value
    query._mutable = False
    return query


def query_digest(path: str, query: QueryDict) -> str:
    """A fixed-length name for a path and query: a long query never trips the cache's
    key-length warning."""
    return hashlib.sha256(f"{path}?{query.urlencode()}".encode()).hexdigest()


def _page_key(request: HttpRequest, reads: tuple[str, ...]) -> tuple[str, QueryDict]:
    """The key for this page, and the query the view is given: only the parameters it
    reads (`read_query`). Any other parameter (utm_source, a cache buster) neither misses
    the cache nor adds an entry."""
    query = read_query(request, reads)
    return f"page:{query_digest(request.path, query)}", query


def cache_anonymous_page(view: Callable[..., HttpResponse] | None = None, *, reads=()):
    """Cache the view's page for anonymous visitors; ``reads`` names the query parameters
    the page depends on. The view then sees only those, so a cached page (its pagination
    links, say) never carries another visitor's extra parameters. Used bare
    (``@cache_anonymous_page``) the page reads no parameter."""
    if view is not None:
        return cache_anonymous_page(reads=reads)(view)

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not is_anonymous_request(request) or not settings.PAGE_CACHE_SECONDS:
                return view(request, *args, **kwargs)
            try:
                key, query = _page_key(request, reads)
                version, cached = versioned_get(VERSION_KEY, key)
            except Exception:
                # A cache outage costs speed, not the page.
                logger.warning("Page cache unavailable", exc_info=True)
                return view(request, *args, **kwargs)
            if cached is not None:
                return cached
            request.GET = query
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.cookies and not response.streaming:
                # A hit never touches the session, so say here that the page varies on it.
                patch_vary_headers(response, ["Cookie"])
                try:
                    versioned_set(key, version, response, settings.PAGE_CACHE_SECONDS)
                except Exception:
                    logger.warning("Page cache unavailable", exc_info=True)
            return response

        return wrapper

    return decorator


def course_cached_data(
    name: str, build: Callable[[], object], seconds: int = DATA_SECONDS
) -> object:
    """Public catalog data for every visitor (signed in or not), kept under the catalog
    version like the pages: `build()` runs once per catalog change and host group."""
    return cached_or_built(VERSION_KEY, f"data:{name}", build, seconds)


def cached_or_built(
    version_key: str, key: str, build: Callable[[], object], seconds: int
) -> object:
    """The value stored under `key` with the current version under `version_key` or, when
    missing or older, `build()` stored there: one round trip when cached. A cache outage
    costs speed, not the page: the value is then built for this request."""
    try:
        version, value = versioned_get(version_key, key)
    except Exception:
        logger.warning("Page cache unavailable", exc_info=True)
        return build()
    if value is None:
        value = build()
        try:
            versioned_set(key, version, value, seconds)
        except Exception:
            logger.warning("Page cache unavailable", exc_info=True)
    return value


def _new_version() -> None:
    new_version(VERSION_KEY)


def clear_page_cache(**kwargs) -> None:
    """Catalog data changed: no host serves a page cached before the change.

    Replaced now, and again once the change commits, so that a page another host
    renders from the not-yet-committed state is not kept under the new version.
    """
    _new_version()
    transaction.on_commit(_new_version)
