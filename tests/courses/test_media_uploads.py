"""Course media in admin: checked by content, and removed from storage once replaced or
deleted; a form returned with errors says that the chosen files must be chosen again."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from courses.models import AudioTrack, Video
from demo.management.commands.seed_demo import MEDIA_DIR
from tests.admin_forms import admin_form_data
from tests.courses.test_admin import inline
from tests.factories import publishable_course

pytestmark = pytest.mark.django_db

MP3 = (MEDIA_DIR / "alliance.mp3").read_bytes()
MP4 = (MEDIA_DIR / "intro.mp4").read_bytes()
VTT = (MEDIA_DIR / "intro.vtt").read_bytes()


def post_course(client, course, prefix: str, row: dict, **changes):
    url = reverse("admin:courses_course_change", args=[course.pk])
    data = admin_form_data(client.get(url))
    data.update({**inline(prefix, [row]), **changes})
    return client.post(url, data)


def inline_errors(response, prefix: str) -> dict:
    for formset in response.context["inline_admin_formsets"]:
        if formset.formset.prefix == prefix:
            return formset.formset.forms[0].errors
    raise AssertionError(prefix)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("talk.mp3", b"ID3" + bytes(500), "not playable audio"),
        ("talk.mp3", MP4[:2000], "not playable audio"),  # a cut file does not decode
        ("talk.wav", b"RIFF" + bytes(300), "not playable audio"),
    ],
)
def test_audio_that_does_not_decode_is_refused(client, director, policies, name, data, message):
    course = publishable_course()
    client.force_login(director)
    row = {"order": "1", "title": "Talk", "transcript": "T", "file": ContentFile(data, name=name)}
    response = post_course(client, course, "audio_tracks", row)
    assert message in str(inline_errors(response, "audio_tracks")["file"])
    assert not AudioTrack.objects.exists()


@pytest.mark.parametrize(
    ("field", "name", "data", "message"),
    [
        ("file", "intro.mp4", bytes(800), "not an MP4 or WebM video"),
        ("file", "intro.webm", MP3, "not an MP4 or WebM video"),
        ("captions", "intro.vtt", b"1\n00:00:01,000 --> 00:00:02,000\nHi\n", "first line"),
        ("captions", "intro.vtt", b"WEBVTT\n\n00:01.000 --> 00:00.500\nHi\n", "ends before"),
        ("captions", "intro.vtt", b"WEBVTT\n\n00:00:01,000 --> 00:00:02,000\nHi\n", "Line 3"),
        ("captions", "intro.vtt", "WEBVTT\n".encode("utf-16"), "UTF-8"),
    ],
)
def test_video_and_captions_are_checked_by_content(
    client, director, policies, field, name, data, message
):
    course = publishable_course()
    client.force_login(director)
    files = {
        "file": ContentFile(MP4, name="intro.mp4"),
        "captions": ContentFile(VTT, name="intro.vtt"),
    }
    files[field] = ContentFile(data, name=name)
    row = {"order": "1", "title": "Intro", "captions_language": "en", **files}
    response = post_course(client, course, "videos", row)
    assert message in str(inline_errors(response, "videos")[field])
    assert not Video.objects.exists()
    # The form came back: the director is told the chosen files must be chosen again.
    shown = [str(m) for m in response.context["messages"]]
    assert any("choose the files again" in m and name in m for m in shown)


def test_real_media_are_accepted(client, director, policies):
    course = publishable_course()
    client.force_login(director)
    row = {
        "order": "1",
        "title": "Intro",
        "captions_language": "en",
        "file": ContentFile(MP4, name="intro.mp4"),
        "captions": ContentFile(VTT, name="intro.vtt"),
    }
    response = post_course(client, course, "videos", row)
    assert response.status_code == 302
    assert Video.objects.get().captions


def test_replaced_and_deleted_course_files_leave_storage(
    policies, django_capture_on_commit_callbacks
):
    course = publishable_course()
    track = AudioTrack(course=course, title="Talk", transcript="T")
    with django_capture_on_commit_callbacks(execute=True):
        track.file.save("first.mp3", ContentFile(MP3), save=True)
    storage, first = track.file.storage, track.file.name
    assert storage.exists(first)
    with django_capture_on_commit_callbacks(execute=True):
        track.file.save("second.mp3", ContentFile(MP3), save=True)
    assert not storage.exists(first)
    second = track.file.name
    assert storage.exists(second)
    with django_capture_on_commit_callbacks(execute=True):
        track.delete()
    assert not storage.exists(second)
