from http import HTTPStatus

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from courses.models import AudioTrack, Section, Video
from enrollment import progress, refunds
from enrollment.models import SectionProgress
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def content(paid_order):
    course = paid_order.course
    first = Section.objects.create(course=course, order=1, title="One", body="## Alpha\n\nText.")
    second = Section.objects.create(course=course, order=2, title="Two", body="Beta.")
    track = AudioTrack(course=course, section=first, title="Talk", transcript="Said words.")
    track.file.save("talk.mp3", ContentFile(b"ID3" + bytes(500)), save=True)
    video = Video(course=course, title="Intro")
    video.file.save("intro.mp4", ContentFile(bytes(800)), save=False)
    video.poster.save("poster.jpg", ContentFile(b"\xff\xd8\xff" + bytes(50)), save=False)
    video.captions.save("intro.vtt", ContentFile(b"WEBVTT\n\n00:00.000 --> 00:01.000\nHi\n"))
    return {"course": course, "sections": [first, second], "track": track, "video": video}


def player_urls(content) -> list[str]:
    slug = content["course"].slug
    first = content["sections"][0]
    video = content["video"]
    return [
        reverse("enrollment:course_home", args=[slug]),
        reverse("enrollment:section", args=[slug, first.pk]),
        reverse("enrollment:video", args=[slug, video.pk]),
        reverse("enrollment:media", args=[slug, "audio", content["track"].pk]),
        reverse("enrollment:media", args=[slug, "video", video.pk]),
        reverse("enrollment:media", args=[slug, "poster", video.pk]),
        reverse("enrollment:media", args=[slug, "captions", video.pk]),
    ]


def test_enrolled_learner_reaches_every_player_page_and_file(client, paid_order, content):
    client.force_login(paid_order.user)
    for url in player_urls(content):
        assert client.get(url).status_code == HTTPStatus.OK, url


def test_staff_reach_everything_without_an_enrollment(client, content):
    client.force_login(StaffFactory())
    for url in player_urls(content):
        assert client.get(url).status_code == HTTPStatus.OK, url


def test_signed_out_visitor_is_sent_to_sign_in(client, content):
    for url in player_urls(content):
        response = client.get(url)
        assert response.status_code == HTTPStatus.FOUND, url
        assert response["Location"].startswith(reverse("account_login"))


def test_another_learner_gets_404_everywhere(client, content):
    client.force_login(UserFactory())
    for url in player_urls(content):
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND, url


def test_refunded_learner_loses_access_at_once(client, paid_order, content, fake_stripe):
    client.force_login(paid_order.user)
    refunds.order_refund(order=paid_order, reason="x", actor="director")
    for url in player_urls(content):
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND, url


def test_guessing_ids_of_another_course_reveals_nothing(client, paid_order, content, policies):
    from tests.factories import CourseFactory

    other = CourseFactory()
    foreign = Section.objects.create(course=other, order=1, title="Secret", body="Secret text")
    client.force_login(paid_order.user)
    slug = content["course"].slug
    for url in [
        reverse("enrollment:section", args=[slug, foreign.pk]),
        reverse("enrollment:section", args=[other.slug, foreign.pk]),
        reverse("enrollment:media", args=[slug, "passwords", 1]),
        reverse("enrollment:media", args=[slug, "audio", 999999]),
    ]:
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND, url


def test_reader_shows_the_section_its_audio_transcript_and_neighbours(client, paid_order, content):
    client.force_login(paid_order.user)
    first, second = content["sections"]
    body = client.get(reverse("enrollment:section", args=[content["course"].slug, first.pk]))
    text = body.content.decode()
    assert "<h2>Alpha</h2>" in text
    assert "Said words." in text
    assert "<audio controls" in text
    assert f"Next: {second.title}" in text
    assert "Section 1 of 2" in text


def test_completing_sections_records_progress_and_resumes(client, paid_order, content):
    client.force_login(paid_order.user)
    slug = content["course"].slug
    first, second = content["sections"]
    response = client.post(reverse("enrollment:section_done", args=[slug, first.pk]))
    assert response["Location"] == reverse("enrollment:section", args=[slug, second.pk])
    client.post(reverse("enrollment:section_done", args=[slug, first.pk]))  # double submit
    assert SectionProgress.objects.count() == 1
    client.get(reverse("enrollment:section", args=[slug, second.pk]))
    home = client.get(reverse("enrollment:course_home", args=[slug])).content.decode()
    assert "1 of 2 sections completed" in home
    assert "Resume: Two" in home
    mine = client.get(reverse("enrollment:my_courses")).content.decode()
    assert "1 of 2 sections completed" in mine


def test_post_test_unlocks_after_every_section_when_required(paid_order, content):
    enrollment = paid_order.enrollment
    assert not progress.post_test_unlocked(enrollment=enrollment)
    for section in content["sections"]:
        progress.section_complete(enrollment=enrollment, section=section)
    assert progress.post_test_unlocked(enrollment=enrollment)


def test_post_test_open_at_once_when_not_required(paid_order, content):
    course = content["course"]
    course.require_all_sections = False
    course.save()
    paid_order.enrollment.refresh_from_db()
    assert progress.post_test_unlocked(enrollment=paid_order.enrollment)


def test_refunded_enrollment_never_unlocks_the_post_test(paid_order, content, fake_stripe):
    for section in content["sections"]:
        progress.section_complete(enrollment=paid_order.enrollment, section=section)
    refunds.order_refund(order=paid_order, reason="x", actor="director")
    paid_order.enrollment.refresh_from_db()
    assert not progress.post_test_unlocked(enrollment=paid_order.enrollment)


def test_video_page_has_its_captions_track(client, paid_order, content):
    client.force_login(paid_order.user)
    slug = content["course"].slug
    page = client.get(reverse("enrollment:video", args=[slug, content["video"].pk]))
    assert b'<track kind="captions"' in page.content
    captions = client.get(reverse("enrollment:media", args=[slug, "captions", content["video"].pk]))
    assert captions["Content-Type"] == "text/vtt"


@pytest.mark.parametrize("count", [1, 25])
def test_player_pages_have_a_query_budget(client, paid_order, count, django_assert_max_num_queries):
    course = paid_order.course
    sections = [
        Section.objects.create(course=course, order=i, title=f"S{i}", body="Body")
        for i in range(count)
    ]
    for i, section in enumerate(sections):
        track = AudioTrack(course=course, section=section, title=f"T{i}", transcript="t")
        track.file.save(f"t{i}.mp3", ContentFile(b"x"), save=True)
    client.force_login(paid_order.user)
    for url in [
        reverse("enrollment:course_home", args=[course.slug]),
        reverse("enrollment:section", args=[course.slug, sections[-1].pk]),
        reverse("enrollment:my_courses"),
    ]:
        with django_assert_max_num_queries(12):
            assert client.get(url).status_code == HTTPStatus.OK


def test_refunded_learner_opening_an_old_link_is_told_and_offered_the_course_again(
    client, paid_order, content, fake_stripe
):
    client.force_login(paid_order.user)
    refunds.order_refund(order=paid_order, reason="x", actor="director")
    slug = content["course"].slug
    for url in (
        reverse("enrollment:course_home", args=[slug]),
        reverse("testing:home", args=[slug]),
        reverse("certificates:course", args=[slug]),
    ):
        response = client.get(url)
        assert response.status_code == HTTPStatus.NOT_FOUND, url
        text = response.content.decode()
        assert paid_order.number in text
        assert "was refunded on" in text
        assert reverse("enrollment:checkout", args=[slug]) in text
    # Anyone else still learns nothing about the course's buyers.
    client.force_login(UserFactory())
    assert b"was refunded" not in client.get(reverse("enrollment:course_home", args=[slug])).content
