import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from courses.markdown import render_markdown
from courses.models import AudioTrack, Course, Video
from courses.services import audio_track_read_duration, course_publish_blockers
from tests.courses.test_admin import COURSE_FIELDS, inline
from tests.factories import CourseFactory, CourseInstructorFactory, LearningObjectiveFactory


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
    course = CourseFactory(draft=True)
    LearningObjectiveFactory(course=course)
    CourseInstructorFactory(course=course)
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
def test_admin_refuses_to_publish_audio_without_transcript(client, director, policies):
    course = CourseFactory(draft=True, slug="draft-course")
    LearningObjectiveFactory(course=course)
    link = CourseInstructorFactory(course=course)
    client.force_login(director)
    audio = ContentFile(b"ID3" + bytes(100), name="talk.mp3")
    data = {
        "title": course.title,
        "slug": course.slug,
        "status": "published",
        **COURSE_FIELDS,
        "require_all_sections": "on",
        **inline("objectives", []),
        **inline(
            "course_instructors",
            [{"order": "1", "instructor": str(link.instructor.pk), "id": str(link.pk)}],
        ),
        **inline("sections", []),
        **inline(
            "audio_tracks", [{"order": "1", "title": "Talk", "file": audio, "transcript": ""}]
        ),
        **inline("videos", []),
        **inline("course_approvals", []),
    }
    data["course_instructors-INITIAL_FORMS"] = "1"
    data["objectives-TOTAL_FORMS"] = "1"
    objective = course.objectives.get()
    data.update(
        {"objectives-INITIAL_FORMS": "1", "objectives-0-id": str(objective.pk),
         "objectives-0-order": "1", "objectives-0-text": objective.text}
    )  # fmt: skip
    response = client.post(reverse("admin:courses_course_change", args=[course.pk]), data)
    assert b"needs a transcript for every audio track" in response.content
    course.refresh_from_db()
    assert course.status == Course.Status.DRAFT
    assert not AudioTrack.objects.exists()


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
