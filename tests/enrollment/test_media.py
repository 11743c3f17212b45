"""Protected media: HTTP Range semantics byte for byte, validators, and X-Accel-Redirect."""

from email.utils import formatdate
from http import HTTPStatus
from urllib.parse import quote

import pytest
import requests
from django.core.files.base import ContentFile
from django.test import RequestFactory
from django.urls import reverse
from storages.backends.s3 import S3Storage

from courses.models import AudioTrack
from enrollment.media import parse_range, serve_private_file

pytestmark = pytest.mark.django_db

DATA = bytes(range(256)) * 40  # 10,240 bytes, every offset recognisable


@pytest.fixture
def track(paid_order):
    track = AudioTrack(course=paid_order.course, title="Lesson", transcript="Words.")
    track.file.save("lesson.mp3", ContentFile(DATA), save=True)
    return track


@pytest.fixture
def url(track):
    return reverse("enrollment:media", args=[track.course.slug, "audio", track.pk])


@pytest.fixture
def learner_client(client, paid_order):
    client.force_login(paid_order.user)
    return client


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_whole_file_with_range_support_advertised(learner_client, url):
    response = learner_client.get(url)
    assert response.status_code == HTTPStatus.OK
    assert body(response) == DATA
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(DATA))
    assert response["Content-Type"] == "audio/mpeg"
    assert response["Cache-Control"] == "private, no-cache"
    assert response["ETag"].startswith('"')
    assert "Last-Modified" in response


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-0", 0, 0),
        ("bytes=100-199", 100, 199),
        ("bytes=10000-", 10000, 10239),
        ("bytes=-240", 10000, 10239),
        ("bytes=10200-99999", 10200, 10239),
        ("bytes=-999999", 0, 10239),
    ],
)
def test_single_range_is_206_byte_for_byte(learner_client, url, header, start, end):
    response = learner_client.get(url, HTTP_RANGE=header)
    assert response.status_code == HTTPStatus.PARTIAL_CONTENT
    assert body(response) == DATA[start : end + 1]
    assert response["Content-Range"] == f"bytes {start}-{end}/{len(DATA)}"
    assert response["Content-Length"] == str(end - start + 1)


@pytest.mark.parametrize("header", ["bytes=10240-", "bytes=20000-30000", "bytes=-0"])
def test_unsatisfiable_range_is_416(learner_client, url, header):
    response = learner_client.get(url, HTTP_RANGE=header)
    assert response.status_code == HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE
    assert response["Content-Range"] == f"bytes */{len(DATA)}"


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "items=0-5", "bytes=50-10", "bytes=-", "x"])
def test_multiple_or_malformed_ranges_get_the_whole_file(learner_client, url, header):
    response = learner_client.get(url, HTTP_RANGE=header)
    assert response.status_code == HTTPStatus.OK
    assert body(response) == DATA


def test_if_range_with_the_current_etag_honours_the_range(learner_client, url):
    etag = learner_client.get(url)["ETag"]
    response = learner_client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=etag)
    assert response.status_code == HTTPStatus.PARTIAL_CONTENT
    assert body(response) == DATA[:10]


def test_if_range_with_a_stale_validator_sends_the_whole_file(learner_client, url):
    response = learner_client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"stale"')
    assert response.status_code == HTTPStatus.OK
    assert body(response) == DATA
    old = formatdate(0, usegmt=True)
    response = learner_client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=old)
    assert response.status_code == HTTPStatus.OK


def test_if_none_match_is_304(learner_client, url):
    etag = learner_client.get(url)["ETag"]
    assert learner_client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == HTTPStatus.NOT_MODIFIED


def test_head_gives_headers_without_the_body(learner_client, url):
    response = learner_client.head(url)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Length"] == str(len(DATA))
    assert b"".join(response.streaming_content) == b""


def test_nginx_sends_the_bytes_when_configured(learner_client, url, track, settings):
    settings.MEDIA_ACCEL_REDIRECT_PREFIX = "/protected/"
    response = learner_client.get(url)
    assert response.status_code == HTTPStatus.OK
    assert response["X-Accel-Redirect"] == f"/protected/{track.file.name}"
    assert response["Cache-Control"] == "private, no-cache"
    assert response.content == b""


def test_a_name_that_is_not_ascii_is_url_quoted_for_nginx(learner_client, settings, paid_order):
    settings.MEDIA_ACCEL_REDIRECT_PREFIX = "/protected/"
    track = AudioTrack(course=paid_order.course, title="Séance", transcript="Words.")
    track.file.save("séance un.mp3", ContentFile(DATA), save=True)
    response = learner_client.get(
        reverse("enrollment:media", args=[track.course.slug, "audio", track.pk])
    )
    assert response["X-Accel-Redirect"] == "/protected/" + quote(track.file.name)
    assert response["X-Accel-Redirect"].isascii()
    assert "s%C3%A9ance" in response["Content-Disposition"]


@pytest.fixture
def bucket_store(s3):
    """The private store as production configures it (settings.STORAGES["private"])."""
    return S3Storage(
        bucket_name=s3.bucket, endpoint_url=s3.endpoint, region_name="us-east-1",
        access_key="test", secret_key="test", signature_version="s3v4", location="private",
        default_acl="private", querystring_auth=True, querystring_expire=60,
        file_overwrite=False,
    )  # fmt: skip


def test_object_storage_answers_with_a_short_lived_link_that_honours_range(bucket_store):
    name = bucket_store.save("audio/lesson.mp3", ContentFile(DATA))
    request = RequestFactory().get("/", HTTP_RANGE="bytes=100-199")
    response = serve_private_file(request, bucket_store, name)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Cache-Control"] == "private, no-store"
    link = response["Location"]
    assert "X-Amz-Expires=60" in link
    assert "X-Amz-Signature=" in link
    played = requests.get(link, headers={"Range": "bytes=100-199"}, timeout=10)
    assert played.status_code == HTTPStatus.PARTIAL_CONTENT
    assert played.content == DATA[100:200]
    assert played.headers["Content-Type"] == "audio/mpeg"
    unsigned = link.split("?")[0]
    assert requests.get(unsigned, timeout=10).status_code == HTTPStatus.FORBIDDEN


def test_captions_from_object_storage_come_through_this_origin(bucket_store):
    """A <track> cannot follow a redirect to another origin, so the bytes pass through;
    S3Storage has no path(), so this also proves no local path is needed."""
    name = bucket_store.save("video/captions/intro.vtt", ContentFile(b"WEBVTT\n\n" + DATA))
    request = RequestFactory().get("/", HTTP_RANGE="bytes=0-5")
    response = serve_private_file(request, bucket_store, name, same_origin=True)
    assert response.status_code == HTTPStatus.PARTIAL_CONTENT
    assert response["Content-Type"] == "text/vtt"
    assert body(response) == b"WEBVTT"


def test_missing_file_is_404(learner_client, url, track):
    track.file.storage.delete(track.file.name)
    assert learner_client.get(url).status_code == HTTPStatus.NOT_FOUND


def test_course_files_have_no_public_url(track):
    with pytest.raises(ValueError, match="no public URL"):
        _ = track.file.url


def test_parse_range_is_a_pure_function():
    assert parse_range("bytes=0-", 0) == "unsatisfiable"
    assert parse_range("bytes=5-", 10) == (5, 9)
    assert parse_range(" bytes=-3 ", 10) == (7, 9)
