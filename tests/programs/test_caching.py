"""The program page is cached for anonymous visitors like the catalog's pages, under the
catalog version: a change of the program, its course list or a member course shows at
once; signed-in learners (their progress) are never served a cached page."""

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import CourseFactory, ProgramCourseFactory

from .conftest import courses_of

pytestmark = pytest.mark.django_db


def url(program) -> str:
    return reverse("programs:detail", args=[program.slug])


def test_anonymous_repeat_visit_is_served_without_queries(
    client, program, django_assert_num_queries, django_assert_max_num_queries
):
    # session-less: program, courses (with their approvals); no user, no progress
    with django_assert_max_num_queries(6):
        first = client.get(url(program))
    assert first.status_code == HTTPStatus.OK
    with django_assert_num_queries(0):
        second = client.get(url(program))
    assert second.status_code == HTTPStatus.OK
    assert second.content == first.content
    assert "Cookie" in second["Vary"]
    with django_assert_num_queries(0):
        assert client.head(url(program)).status_code == HTTPStatus.OK


def test_editing_the_program_shows_at_once(client, program):
    client.get(url(program))
    program.recognition_statement = "Now also recognised by the Second Board."
    program.save()
    assert b"Second Board" in client.get(url(program)).content


def test_changing_the_course_list_shows_at_once(client, program, policies):
    client.get(url(program))
    added = ProgramCourseFactory(program=program, course=CourseFactory(title="A Fifth Course"))
    assert b"A Fifth Course" in client.get(url(program)).content
    added.delete()
    assert b"A Fifth Course" not in client.get(url(program)).content
    # program.courses.add() writes the rows without post_save: m2m_changed covers it.
    course = CourseFactory(title="Added Through The Relation")
    assert b"Added Through The Relation" not in client.get(url(program)).content
    program.courses.add(course)
    assert b"Added Through The Relation" in client.get(url(program)).content
    program.courses.clear()
    assert b"Added Through The Relation" not in client.get(url(program)).content


def test_a_member_course_changing_shows_at_once(client, program):
    client.get(url(program))
    course = courses_of(program)[0]
    course.title = "Foundations, Revised"
    course.price_cents = 12900
    course.save()
    page = client.get(url(program)).content.decode()
    assert "Foundations, Revised" in page
    assert "$129.00" in page


def test_unpublishing_the_program_hides_it_at_once(client, program):
    assert client.get(url(program)).status_code == HTTPStatus.OK
    program.is_published = False
    program.save()
    assert client.get(url(program)).status_code == HTTPStatus.NOT_FOUND


def test_a_signed_in_learner_sees_their_own_progress_not_the_cached_page(
    client, program, learner, complete
):
    anonymous = Client()
    assert b"Your progress" not in anonymous.get(url(program)).content
    complete(learner, courses_of(program)[0])
    client.force_login(learner)
    assert b"Your progress" in client.get(url(program)).content
    assert b"Sign in to buy" in anonymous.get(url(program)).content
