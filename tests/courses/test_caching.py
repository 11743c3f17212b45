from http import HTTPStatus

import pytest
from django.urls import reverse

from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db


def test_anonymous_repeat_visit_is_served_without_queries(
    client, course, django_assert_num_queries
):
    first = client.get(course.get_absolute_url())
    with django_assert_num_queries(0):
        second = client.get(course.get_absolute_url())
    assert second.status_code == HTTPStatus.OK
    assert second.content == first.content
    assert "Cookie" in second["Vary"]


def test_editing_a_course_shows_at_once(client, course):
    client.get(course.get_absolute_url())
    course.title = "A corrected title"
    course.save()
    assert b"A corrected title" in client.get(course.get_absolute_url()).content


def test_unpublishing_in_admin_hides_the_course_at_once(client, director, course):
    anonymous = client.__class__()
    assert anonymous.get(course.get_absolute_url()).status_code == HTTPStatus.OK
    client.force_login(director)
    client.post(
        reverse("admin:courses_course_changelist"),
        {"action": "unpublish_courses", "_selected_action": [course.pk]},
    )
    assert anonymous.get(course.get_absolute_url()).status_code == HTTPStatus.NOT_FOUND
    assert b"Course number" not in anonymous.get(reverse("courses:catalog")).content


def test_signed_in_pages_are_never_cached(client, learner, policies):
    client.get(reverse("courses:catalog"))
    client.force_login(learner)
    assert b"Sign out" in client.get(reverse("courses:catalog")).content


def test_each_query_string_is_its_own_page(client, policies):
    CourseFactory(title="Alpha", level="advanced")
    CourseFactory(title="Beta", level="introductory")
    assert b"Beta" not in client.get(reverse("courses:catalog"), {"level": "advanced"}).content
    assert b"Alpha" not in client.get(reverse("courses:catalog"), {"level": "introductory"}).content


def test_parameters_the_page_does_not_read_share_one_entry(
    client, policies, django_assert_num_queries
):
    CourseFactory(title="Alpha", level="advanced")
    catalog = reverse("courses:catalog")
    first = client.get(catalog, {"level": "advanced", "utm_source": "x" * 400})
    assert b"x" * 400 not in first.content  # nor in the pagination links it caches
    with django_assert_num_queries(0):
        again = client.get(f"{catalog}?fbclid=1&level=advanced&q=")
    assert again.content == first.content


def test_head_is_answered_from_the_same_cache(client, course, django_assert_num_queries):
    client.get(course.get_absolute_url())
    with django_assert_num_queries(0):
        response = client.head(course.get_absolute_url())
    assert response.status_code == HTTPStatus.OK
