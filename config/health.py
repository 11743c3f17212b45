"""Health checks for the load balancer and the operator.

/healthz: liveness. The process answers; nothing else is touched, so it stays cheap and
never fails because a dependency is down (restarting the web host would not help).
/readyz: readiness. 200 when the database, the shared cache, file storage and a task
worker all answer and the signing keys can be read; 503 naming what is down otherwise. It
answers to anyone, so it names components, settings and error classes only, never
addresses, paths or messages.
"""

import os
import uuid

from django.conf import settings
from django.core.cache import caches
from django.core.files.storage import FileSystemStorage, storages
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from background.models import WorkerHeartbeat
from credentials import keys


@require_http_methods(["GET", "HEAD"])
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness probe for the load balancer; also the trivial-view baseline in bench/."""
    return HttpResponse("ok", content_type="text/plain")


def _database() -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _cache() -> str:
    cache, token = caches["default"], uuid.uuid4().hex
    cache.set("readyz-probe", token, timeout=30)
    if cache.get("readyz-probe") != token:
        raise RuntimeError("the cache did not keep a value")
    return "ok"


def _storage() -> str:
    for alias in ("default", "private"):
        storage = storages[alias]
        if isinstance(storage, FileSystemStorage):
            os.makedirs(storage.location, exist_ok=True)
            if not os.access(storage.location, os.W_OK):
                raise PermissionError(f"{alias} store is not writable")
        else:
            storage.exists("readyz-probe")  # one request; raises when the store is away
    return "ok"


def _worker() -> str:
    if settings.TASK_BACKEND != "database":
        return "ok (tasks run in the web process)"
    last = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
    if last is None:
        raise RuntimeError("no worker has ever reported")
    age = (timezone.now() - last).total_seconds()
    if age > settings.WORKER_STALE_SECONDS:
        raise RuntimeError(f"the last worker heartbeat is {age:.0f} s old")
    return f"ok (heartbeat {age:.0f} s ago)"


def _signing_keys() -> str:
    # The keys that sign certificate PDFs and credentials (credentials.keys).
    return keys.readiness()


CHECKS = {
    "database": _database,
    "cache": _cache,
    "storage": _storage,
    "worker": _worker,
    "signing keys": _signing_keys,
}


def readiness() -> dict[str, tuple[bool, str]]:
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = (True, check())
        except Exception as error:  # any failure means "not ready"; name its kind only
            detail = str(error) if isinstance(error, RuntimeError) else type(error).__name__
            results[name] = (False, f"down: {detail}")
    return results


@require_http_methods(["GET", "HEAD"])
@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    results = readiness()
    down = [name for name, (ok, _) in results.items() if not ok]
    lines = [f"down: {', '.join(down)}" if down else "ready"]
    lines += [f"{name}: {detail}" for name, (_, detail) in results.items()]
    return HttpResponse(
        "\n".join(lines) + "\n", content_type="text/plain", status=503 if down else 200
    )
