"""/robots.txt: what search engines may crawl.

The catalog, course, instructor pages and the certificate verification form are public and
indexable. Certificate pages (/verify/<code>/) are deliberately not disallowed here: a
crawler that may not fetch a page never sees its noindex, and can still list the bare
address if someone links it. They answer with ``X-Robots-Tag: noindex, nofollow`` and a
robots meta tag instead. Private areas are disallowed to save crawl budget; their access
checks, not this file, keep them private.
"""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

DISALLOWED = (
    "/admin/",
    "/accounts/",
    "/my/",
    "/learn/",
    "/checkout/",
    "/certificates/",
    "/stripe/",
)


@require_safe
@cache_control(public=True, max_age=86400)
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in DISALLOWED), "Allow: /"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
