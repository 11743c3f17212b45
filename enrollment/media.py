"""Serving protected course files, after the caller has checked access.

HTTP Range (RFC 9110 §14): a single range answers 206 with Content-Range (suffix and
open-ended ranges included); an unsatisfiable one answers 416; several ranges, or an
If-Range validator that no longer matches, get the whole file (200), as the RFC allows.
Files stream in fixed-size chunks, so memory stays flat whatever their size. With
MEDIA_ACCEL_REDIRECT_PREFIX set, nginx sends the bytes instead (X-Accel-Redirect) and
handles ranges itself.
"""

import mimetypes
import os
import re
from collections.abc import Iterator
from email.utils import formatdate, parsedate_to_datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import parse_etags, quote_etag

CHUNK = 64 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
EXTRA_TYPES = {".vtt": "text/vtt", ".m4a": "audio/mp4", ".opus": "audio/ogg", ".oga": "audio/ogg"}


def _content_type(name: str) -> str:
    extension = os.path.splitext(name)[1].lower()
    return EXTRA_TYPES.get(extension) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def _read(path: str, start: int, length: int) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        handle.seek(start)
        remaining = length
        while remaining > 0:
            chunk = handle.read(min(CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk


def parse_range(header: str, size: int) -> tuple[int, int] | str | None:
    """(start, end) inclusive for one satisfiable range; None to send the whole file;
    "unsatisfiable" for a well-formed range outside the file."""
    spec = header.strip()
    if "," in spec:
        return None
    match = _RANGE.match(spec)
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":  # suffix: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            return "unsatisfiable"
        return max(size - length, 0), size - 1
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if last != "" and int(last) < start:
        return None  # invalid range: ignore the header
    if start >= size:
        return "unsatisfiable"
    return start, end


def _if_range_matches(value: str, etag: str, mtime: float) -> bool:
    value = value.strip()
    if value.startswith(('"', "W/")):
        return value == etag
    try:
        return int(parsedate_to_datetime(value).timestamp()) >= int(mtime)
    except (TypeError, ValueError):
        return False


def serve_private_file(request: HttpRequest, storage, name: str) -> HttpResponse:
    """Send one stored file to a client that has already passed the access check."""
    path = storage.path(name)
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return HttpResponse(status=404)
    size = stat.st_size
    etag = quote_etag(f"{stat.st_mtime_ns:x}-{size:x}")
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Last-Modified": formatdate(stat.st_mtime, usegmt=True),
        # Revalidate on every use (cheap: ETag + 304) so that revoked access bites at once.
        "Cache-Control": "private, no-cache",
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": "inline",
    }
    content_type = _content_type(name)
    if settings.MEDIA_ACCEL_REDIRECT_PREFIX:
        response = HttpResponse(content_type=content_type, headers=headers)
        response["X-Accel-Redirect"] = settings.MEDIA_ACCEL_REDIRECT_PREFIX.rstrip("/") + "/" + name
        return response
    if_none_match = request.headers.get("If-None-Match", "")
    if if_none_match.strip() == "*" or etag in {
        t.removeprefix("W/") for t in parse_etags(if_none_match)
    }:
        return HttpResponse(status=304, headers=headers)

    byte_range = None
    if "Range" in request.headers and request.method == "GET":
        if_range = request.headers.get("If-Range")
        if if_range is None or _if_range_matches(if_range, etag, stat.st_mtime):
            byte_range = parse_range(request.headers["Range"], size)
    if byte_range == "unsatisfiable":
        return HttpResponse(
            status=416,
            content_type="text/plain",
            headers={**headers, "Content-Range": f"bytes */{size}"},
        )
    if byte_range is None:
        start, length, status = 0, size, 200
    else:
        start, end = byte_range
        length, status = end - start + 1, 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(length)
    body = _read(path, start, length) if request.method == "GET" else iter(())
    return StreamingHttpResponse(body, status=status, content_type=content_type, headers=headers)
