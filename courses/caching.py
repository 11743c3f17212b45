"""Whole-page caching of the public catalog pages for anonymous visitors.

Anonymous visitors (no session cookie, no pending messages) all see the same catalog,
course and instructor pages, so each worker keeps the rendered page for
PAGE_CACHE_SECONDS. Any change to catalog data clears the worker's page cache at once
(signals in apps.py); other workers and hosts catch up within PAGE_CACHE_SECONDS.
Signed-in users, staff previews and anything that sets a cookie are never cached.
"""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

CACHE_ALIAS = "pages"


def _is_anonymous_request(request: HttpRequest) -> bool:
    return (
        request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
    )


def cache_anonymous_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not _is_anonymous_request(request) or not settings.PAGE_CACHE_SECONDS:
            return view(request, *args, **kwargs)
        cache = caches[CACHE_ALIAS]
        key = f"page:{request.get_full_path()}"
        cached = cache.get(key)
        if cached is not None:
            return cached
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.cookies and not response.streaming:
            # A hit never touches the session, so say here that the page varies on it.
            patch_vary_headers(response, ["Cookie"])
            cache.set(key, response, settings.PAGE_CACHE_SECONDS)
        return response

    return wrapper


def clear_page_cache(**kwargs) -> None:
    caches[CACHE_ALIAS].clear()
