"""Serving protected course files, after the caller has checked access.

Three ways, one decision (`serve_private_file`):
- object storage: a redirect to a short-lived presigned URL; the store answers Range
  requests itself;
- local disk with MEDIA_ACCEL_REDIRECT_PREFIX: X-Accel-Redirect, nginx sends the bytes
  (the header is URL-quoted, so names that are not ASCII work);
- local disk without nginx (the demo, tests): streamed here.

Streaming follows HTTP Range (RFC 9110 §14): a single range answers 206 with
Content-Range (suffix and open-ended ranges included); an unsatisfiable one answers 416;
several ranges, or an If-Range validator that no longer matches, get the whole file (200),
as the RFC allows. Files stream in fixed-size chunks, so memory stays flat. Nothing here
needs a local path: the storage API opens, sizes and dates every file.
"""

import mimetypes
import posixpath
import re
from collections.abc import Iterator
from email.utils import formatdate, parsedate_to_datetime
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import Storage
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.utils.http import content_disposition_header, parse_etags, quote_etag

from courses.storage import presigned_url

CHUNK = 64 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
EXTRA_TYPES = {".vtt": "text/vtt", ".m4a": "audio/mp4", ".opus": "audio/ogg", ".oga": "audio/ogg"}


def _content_type(name: str) -> str:
    extension = posixpath.splitext(name)[1].lower()
    return EXTRA_TYPES.get(extension) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def _read(storage: Storage, name: str, start: int, length: int) -> Iterator[bytes]:
    with storage.open(name, "rb") as handle:
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


def presigned_url_capable(storage: Storage) -> bool:
    return bool(getattr(storage, "querystring_auth", False))


def serve_private_file(
    request: HttpRequest,
    storage: Storage,
    name: str,
    *,
    filename: str = "",
    as_attachment: bool = False,
    same_origin: bool = False,
) -> HttpResponse:
    """Send one stored file to a client that has already passed the access check.

    `same_origin`: never redirect to the object store (a <track> cannot load captions
    from another origin without CORS); the bytes then pass through this process.
    """
    content_type = _content_type(name)
    disposition = content_disposition_header(as_attachment, filename or posixpath.basename(name))
    if not same_origin:
        url = presigned_url(
            storage, name, content_type=content_type, disposition=disposition,
            method="HEAD" if request.method == "HEAD" else "GET",
        )  # fmt: skip
        if url:
            # Not cacheable: each play comes back here, so revoked access bites at once.
            return HttpResponseRedirect(url, headers={"Cache-Control": "private, no-store"})
    if settings.MEDIA_ACCEL_REDIRECT_PREFIX and not presigned_url_capable(storage):
        response = HttpResponse(
            content_type=content_type,
            headers={
                "Content-Disposition": disposition,
                "Cache-Control": "private, no-cache",
                "X-Content-Type-Options": "nosniff",
            },
        )
        prefix = settings.MEDIA_ACCEL_REDIRECT_PREFIX.rstrip("/")
        response["X-Accel-Redirect"] = f"{prefix}/{quote(name, safe='/')}"
        return response
    return _stream(request, storage, name, content_type=content_type, disposition=disposition)


def _stream(
    request: HttpRequest, storage: Storage, name: str, *, content_type: str, disposition: str
) -> HttpResponse:
    try:
        size = storage.size(name)
        mtime = storage.get_modified_time(name).timestamp()
    except FileNotFoundError:
        return HttpResponse(status=404)
    etag = quote_etag(f"{int(mtime * 1e9):x}-{size:x}")
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Last-Modified": formatdate(mtime, usegmt=True),
        # Revalidate on every use (cheap: ETag + 304) so that revoked access bites at once.
        "Cache-Control": "private, no-cache",
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": disposition,
    }
    if_none_match = request.headers.get("If-None-Match", "")
    if if_none_match.strip() == "*" or etag in {
        t.removeprefix("W/") for t in parse_etags(if_none_match)
    }:
        return HttpResponse(status=304, headers=headers)

    byte_range = None
    if "Range" in request.headers and request.method == "GET":
        if_range = request.headers.get("If-Range")
        if if_range is None or _if_range_matches(if_range, etag, mtime):
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
    body = _read(storage, name, start, length) if request.method == "GET" else iter(())
    return StreamingHttpResponse(body, status=status, content_type=content_type, headers=headers)
