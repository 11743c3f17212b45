"""Whole-page caching of a signed-in learner's own pages (my courses, orders, transcript,
course home, sections, test home, certificate page).

Each page is kept for LEARNER_PAGE_CACHE_SECONDS in the "pages" cache (Redis in
production, shared by every host) under a key made of the learner, the path with the query
parameters the page reads, the day (pages print "today"-relative dates) and the learner's
CSRF secret (a cached form must carry a token for the secret the browser holds). The
entry stores, with the response, the versions it was built under:

- the learner's own version, replaced by `learner_changed(user_id)`: every request of
  theirs that writes (any POST, see `LearnerWritesMiddleware`) and every save or delete of
  what their pages show made by someone else (the Stripe webhook, the Director in the
  admin, the worker: signals in each app's ready(), and the few queryset updates that call
  it themselves);
- the course-structure and catalog versions that course, section, test and catalog
  changes already replace (courses/structure.py, courses/caching.py);
- the release (a digest of the code and templates), so a deploy never serves pages of
  the code before it.

Only with the shared cache (the default needs CACHE_URL): in one process's memory a
change made in another process would not replace the versions this one reads.

A hit is one cache round trip (`get_many` of the four keys) after the session and the
user, with no query of its own. Pages that depend on the clock beyond the day (the test
home while a wait between attempts runs) say so with `not_cacheable(response)`; pages
with a message to show, staff users and responses that set cookies are never stored. With
the cache down the page is simply built.
"""

import hashlib
import logging
import uuid
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse, QueryDict
from django.middleware.csrf import get_token
from django.utils import timezone

from courses.caching import CACHE_ALIAS, current_version, read_query, release
from courses.caching import VERSION_KEY as CATALOG_VERSION_KEY
from courses.structure import VERSION_KEY as STRUCTURE_VERSION_KEY

logger = logging.getLogger(__name__)

# A learner's version outlives any page stored under it; a lost one is simply remade
# (random, so it never matches an older page).
VERSION_SECONDS = 7 * 24 * 60 * 60


def _version_key(user_id: int) -> str:
    return f"learner-version:{user_id}"


def _replace(user_id: int) -> None:
    try:
        caches[CACHE_ALIAS].set(_version_key(user_id), uuid.uuid4().hex, VERSION_SECONDS)
    except Exception:
        # Pages live LEARNER_PAGE_CACHE_SECONDS at most; the write itself must not fail.
        logger.warning("Learner page version not replaced (cache unavailable)", exc_info=True)


def learner_changed(user_id: int | None) -> None:
    """What the learner's pages show changed: replace their version now and again once the
    transaction commits (a page built from what was read before the commit and stored
    under the version made now is dropped by the second)."""
    if user_id is None:
        return
    _replace(user_id)
    transaction.on_commit(lambda: _replace(user_id))


def not_cacheable(response: HttpResponse) -> HttpResponse:
    """This response depends on the clock (or on anything else no version follows)."""
    response.learner_cache_off = True
    return response


def _usable(request: HttpRequest) -> bool:
    user = request.user
    return (
        settings.LEARNER_PAGE_CACHE_SECONDS > 0
        and request.method in ("GET", "HEAD")
        and user.is_authenticated
        and not user.is_staff
        and "CSRF_COOKIE" in request.META
        and "messages" not in request.COOKIES
        and "_messages" not in request.session
    )


def _page_key(request: HttpRequest, reads: tuple[str, ...]) -> tuple[str, QueryDict]:
    query = read_query(request, reads)
    material = "\n".join(
        (
            f"{request.path}?{query.urlencode()}",
            timezone.localdate().isoformat(),
            request.META["CSRF_COOKIE"],
        )
    )
    digest = hashlib.sha256(material.encode()).hexdigest()
    return f"learner-page:{request.user.pk}:{digest}", query


def _versions(found: dict, user_id: int) -> tuple[str, str, str, str]:
    """The three current versions, from the one get_many (one missing is made now), and
    the release."""
    keys = (_version_key(user_id), STRUCTURE_VERSION_KEY, CATALOG_VERSION_KEY)
    if all(key in found for key in keys):
        return (*(found[key] for key in keys), release())
    cache = caches[CACHE_ALIAS]
    if keys[0] not in found:
        cache.add(keys[0], uuid.uuid4().hex, VERSION_SECONDS)
    return (cache.get(keys[0]), current_version(keys[1]), current_version(keys[2]), release())


def _queued_messages(request: HttpRequest) -> bool:
    """The view added a message: the page shows it once, so it is not kept."""
    storage = getattr(request, "_messages", None)
    return bool(storage is not None and storage._queued_messages)


def cache_learner_page(view: Callable[..., HttpResponse] | None = None, *, reads=()):
    """Cache this learner page (see the module's text); ``reads`` names the query
    parameters the page depends on (the view then sees only those). Goes inside
    login_required and the method check."""
    if view is not None:
        return cache_learner_page(reads=reads)(view)

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not _usable(request):
                return view(request, *args, **kwargs)
            cache = caches[CACHE_ALIAS]
            user_id = request.user.pk
            try:
                key, query = _page_key(request, reads)
                found = cache.get_many(
                    [key, _version_key(user_id), STRUCTURE_VERSION_KEY, CATALOG_VERSION_KEY]
                )
                versions = _versions(found, user_id)
                entry = found.get(key)
                kept_versions, uses_csrf, kept = entry if entry is not None else (None, 0, None)
            except Exception:
                logger.warning("Learner page cache unavailable", exc_info=True)
                return view(request, *args, **kwargs)
            if kept is not None and kept_versions == versions:
                if uses_csrf:
                    get_token(request)  # renews the CSRF cookie, as the page's render did
                return kept
            request.GET = query
            response = view(request, *args, **kwargs)
            if (
                response.status_code == 200
                and not response.streaming
                and not response.cookies
                and not getattr(response, "learner_cache_off", False)
                and not _queued_messages(request)
            ):
                uses_csrf = bool(request.META.get("CSRF_COOKIE_NEEDS_UPDATE"))
                try:
                    cache.set(
                        key, (versions, uses_csrf, response), settings.LEARNER_PAGE_CACHE_SECONDS
                    )
                except Exception:
                    logger.warning("Learner page cache unavailable", exc_info=True)
            return response

        return wrapper

    return decorator


class LearnerWritesMiddleware:
    """Every request of a signed-in user that may write (POST, PUT, PATCH, DELETE)
    replaces their page version once it is answered: the answers saved, the section
    completed, the evaluation, the confirmation, the refund request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                _replace(user.pk)
        return response


def learner_pages_follow(model, user_of: Callable[[object], int | None], *, deletes=True) -> None:
    """Saves (and, with `deletes`, deletes) of `model` change what its learner's pages
    show: `user_of(row)` names the learner. For changes made by someone else (webhook,
    admin, worker); the learner's own writes are covered by LearnerWritesMiddleware as
    well. `deletes=False` for rows only ever deleted by a cascade that another version
    already follows: a post_delete receiver makes Django load every cascaded row."""

    def changed(sender, instance, **kwargs) -> None:
        try:
            user_id = user_of(instance)
        except ObjectDoesNotExist:  # deleted along with its parent
            return
        learner_changed(user_id)

    uid = f"learner-pages-{model._meta.label_lower}"
    post_save.connect(changed, sender=model, weak=False, dispatch_uid=uid)
    if deletes:
        post_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"{uid}-delete")
