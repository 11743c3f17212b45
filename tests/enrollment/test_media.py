"""Protected media: HTTP Range semantics byte for byte, validators, and X-Accel-Redirect."""

from email.utils import formatdate
from http import HTTPStatus

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from courses.models import AudioTrack
from enrollment.media import parse_range

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
    assert response.content == b""


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
