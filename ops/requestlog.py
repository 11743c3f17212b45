"""One log line per request: id, method, path, status, duration, client, user.

The request id is taken from a sane incoming `X-Request-ID` (set by nginx, so that its
log and ours share it) or made here, returned in the response's `X-Request-ID` header, and
stamped on every log line written while the request is served (ops.logformat).
"""

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from config.client import client_address

from .logformat import request_id_var

logger = logging.getLogger("ce.request")

SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
# One-time keys in links sent by email: whoever reads the log must not be able to use them.
SECRET_IN_PATH = re.compile(
    r"^(/accounts/confirm-email/|/accounts/password/reset/key/[0-9A-Za-z]+-)(?!done/)[^/]+"
)


def loggable_path(request: HttpRequest) -> str:
    path = SECRET_IN_PATH.sub(r"\1[redacted]", request.path)
    query = request.META.get("QUERY_STRING", "")
    return (f"{path}?{query}" if query else path)[:500]


def request_id_for(request: HttpRequest) -> str:
    incoming = request.headers.get("X-Request-ID", "")
    if SANE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def _user_id(request: HttpRequest) -> str:
    """The signed-in user's id, if this request already looked it up: the log line never
    costs a query of its own."""
    user = getattr(request, "_cached_user", None)
    if user is not None:
        return str(user.pk) if user.is_authenticated else "-"
    session = getattr(request, "session", None)
    cached = getattr(session, "_session_cache", None) or {}
    return str(cached.get("_auth_user_id", "-"))


class RequestLogMiddleware:
    """First in MIDDLEWARE, so that it times and ids everything, static files included."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = request_id_for(request)
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            client = client_address(request)
            user_id = _user_id(request)
            path = loggable_path(request)
            logger.info(
                '"%s %s" %s %sms client=%s user=%s',
                request.method,
                path,
                response.status_code,
                duration_ms,
                client,
                user_id,
                extra={
                    "event": "request",
                    "method": request.method,
                    "path": path,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                    "client": client,
                    "user_id": user_id,
                },
            )
            return response
        finally:
            request_id_var.reset(token)
