"""What every public verification page shares (course certificates here, program
credentials and the document check in the apps to the right): the per-client lookup
budget and the noindex header. A small public API, so that no app imports another's
private view helpers."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from config.client import client_address

from .services import verification_allowed


def lookup_refused(request: HttpRequest) -> HttpResponse | None:
    """The 429 page when this client has used up its lookup budget (see
    services.verification_allowed), else None: the caller goes on with the lookup."""
    if verification_allowed(client_address(request)):
        return None
    response = render(request, "certificates/too_many.html", status=429)
    response["Retry-After"] = "60"
    return response


def noindex(response: HttpResponse) -> HttpResponse:
    """Keep a page about one person's certificate out of search engines."""
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def verification_page(request, code, *, find, template, name) -> HttpResponse:
    """A verify page by its typed code: the lookup budget, then `find(code)` (None: the
    not-found page), then `template` with the record as `name`; noindex."""
    limited = lookup_refused(request)
    if limited:
        return limited
    record = find(code)
    if record is None:
        return noindex(render(request, "certificates/not_found.html", status=404))
    context = {name: record, "checked_at": timezone.now()}
    return noindex(render(request, template, context))


def verification_json(request, code, *, find, facts, what) -> HttpResponse:
    """The JSON twin of verification_page: 429, 404 naming `what`, or `facts(record)`."""
    if lookup_refused(request):
        return JsonResponse({"error": "too many requests"}, status=429)
    record = find(code)
    if record is None:
        return noindex(JsonResponse({"error": f"no {what} has this code"}, status=404))
    return noindex(JsonResponse(facts(record)))
