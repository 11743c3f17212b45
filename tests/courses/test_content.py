import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from courses.markdown import render_markdown
from courses.models import AudioTrack, Course, Video
from courses.services import audio_track_read_duration, course_publish_blockers
from tests.admin_forms import admin_form_data
from tests.courses.test_admin import inline
from tests.factories import CourseFactory, publishable_course


@pytest.mark.parametrize(
    "evil",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        '<p onclick="alert(1)">x</p>',
        "<style>body{display:none}</style>",
        '<iframe src="https://evil.example"></iframe>',
    ],
)
def test_markdown_is_sanitised(evil):
    html = render_markdown(f"Text {evil} more")
    assert "<script" not in html
    assert "onerror" not in html
    assert "onclick" not in html
    assert "javascript:" not in html
    assert "<style" not in html
    assert "<iframe" not in html


def test_markdown_keeps_headings_lists_quotes_tables_and_footnotes():
    html = render_markdown(
        "# Title\n\n## Sub\n\n- a\n- b\n\n> quoted\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\n"
        "Claim.[^1]\n\n[^1]: Source."
    )
    assert "<h2>Title</h2>" in html  # the page's h1 is the section title
    assert "<h2>Sub</h2>" in html
    assert "<li>a</li>" in html
    assert "<blockquote>" in html
    assert "<table>" in html
    assert 'class="footnote"' in html


@pytest.mark.django_db
def test_publishing_is_blocked_without_transcripts_or_captions():
    course = publishable_course()
    track = AudioTrack(course=course, title="Talk")
    track.file.save("talk.mp3", ContentFile(b"x"), save=True)
    video = Video(course=course, title="Intro")
    video.file.save("intro.mp4", ContentFile(b"x"), save=True)
    assert course_publish_blockers(course=course) == [
        "audio “Talk” has no transcript",
        "video “Intro” has no captions",
    ]
    track.transcript = "Words"
    track.save()
    video.captions.save("intro.vtt", ContentFile(b"WEBVTT\n"), save=True)
    assert course_publish_blockers(course=course) == []


@pytest.mark.django_db
def test_admin_refuses_to_publish_audio_without_transcript_and_keeps_no_file(
    client, director, policies
):
    course = publishable_course(slug="draft-course")
    client.force_login(director)
    url = reverse("admin:courses_course_change", args=[course.pk])
    data = admin_form_data(client.get(url))
    from demo.management.commands.seed_demo import MEDIA_DIR

    audio = ContentFile((MEDIA_DIR / "alliance.mp3").read_bytes(), name="talk.mp3")
    data.update(
        {**inline("audio_tracks", [{"order": "1", "title": "Talk", "file": audio}]),
         "status": "published"}
    )  # fmt: skip
    storage = AudioTrack._meta.get_field("file").storage
    stored = storage.listdir("audio")[1] if storage.exists("audio") else []
    response = client.post(url, data)
    errors = response.context["adminform"].form.errors["status"]
    assert "audio “Talk” has no transcript" in errors[0]
    assert "Choose the files to upload again." in errors[0]
    course.refresh_from_db()
    assert course.status == Course.Status.DRAFT
    assert not AudioTrack.objects.exists()
    assert storage.listdir("audio")[1] == stored  # the rolled-back upload left no file


@pytest.mark.django_db
def test_audio_duration_is_read_from_the_file():
    from demo.management.commands.seed_demo import MEDIA_DIR

    course = CourseFactory()
    track = AudioTrack(course=course, title="Demo", transcript="t")
    track.file.save("alliance.mp3", ContentFile((MEDIA_DIR / "alliance.mp3").read_bytes()))
    audio_track_read_duration(track=track)
    assert track.duration_seconds == 36


@pytest.mark.django_db
def test_director_opens_a_course_that_has_private_files(client, director, policies):
    course = CourseFactory()
    track = AudioTrack(course=course, title="Talk", transcript="t")
    track.file.save("talk.mp3", ContentFile(b"x"), save=True)
    video = Video(course=course, title="Intro")
    video.file.save("intro.mp4", ContentFile(b"x"), save=False)
    video.captions.save("intro.vtt", ContentFile(b"WEBVTT\n"), save=True)
    client.force_login(director)
    response = client.get(reverse("admin:courses_course_change", args=[course.pk]))
    assert response.status_code == 200
    assert track.file.name.encode() in response.content
    assert b"served to enrolled learners only" in response.content
