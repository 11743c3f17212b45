"""What every public verification page shares (course certificates here, program
credentials and the document check in the apps to the right): the per-client lookup
budget and the noindex header. A small public API, so that no app imports another's
private view helpers."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

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
