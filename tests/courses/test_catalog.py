from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse

from tests.factories import (
    CourseFactory,
    CourseInstructorFactory,
    LearningObjectiveFactory,
)

pytestmark = pytest.mark.django_db

CATALOG = reverse("courses:catalog")


def titles(response) -> list[str]:
    return [course.title for course in response.context["courses"]]


def test_catalog_lists_published_courses_only(client):
    CourseFactory(title="Open course")
    CourseFactory(title="Secret draft", draft=True)
    response = client.get(CATALOG)
    assert response.status_code == HTTPStatus.OK
    assert titles(response) == ["Open course"]
    assert b"Secret draft" not in response.content


def test_search_matches_title_summary_and_objectives(client):
    CourseFactory(title="Transference basics")
    CourseFactory(title="Other", summary="All about transference in practice")
    by_objective = CourseFactory(title="Third")
    LearningObjectiveFactory(course=by_objective, text="distinguish kinds of TRANSFERENCE")
    CourseFactory(title="Unrelated")
    response = client.get(CATALOG, {"q": "transference"})
    assert sorted(titles(response)) == ["Other", "Third", "Transference basics"]


def test_search_finds_courses_by_instructor_name(client):
    CourseInstructorFactory(course__title="Taught by Gerson", instructor__name="Michael Gerson")
    CourseFactory(title="Someone else's")
    response = client.get(CATALOG, {"q": "gerson"})
    assert titles(response) == ["Taught by Gerson"]


def test_search_needs_every_word(client):
    CourseFactory(title="Ethics of telehealth")
    CourseFactory(title="Ethics of supervision")
    response = client.get(CATALOG, {"q": "ethics telehealth"})
    assert titles(response) == ["Ethics of telehealth"]


def test_a_course_matching_several_objectives_is_listed_once(client):
    course = CourseFactory(title="Defenses")
    LearningObjectiveFactory.create_batch(3, course=course, text="list ego defenses")
    response = client.get(CATALOG, {"q": "defenses"})
    assert titles(response) == ["Defenses"]


def test_filter_by_level(client):
    CourseFactory(title="Intro", level="introductory")
    CourseFactory(title="Deep", level="advanced")
    response = client.get(CATALOG, {"level": "advanced"})
    assert titles(response) == ["Deep"]


@pytest.mark.parametrize(
    ("bucket", "expected"),
    [("lt3", ["Short"]), ("3to6", ["Medium", "Six"]), ("gt6", ["Long"])],
)
def test_filter_by_credits(client, bucket, expected):
    CourseFactory(title="Short", ce_credits=Decimal("1.5"))
    CourseFactory(title="Medium", ce_credits=Decimal("3.0"))
    CourseFactory(title="Six", ce_credits=Decimal("6.0"))
    CourseFactory(title="Long", ce_credits=Decimal("8.0"))
    response = client.get(CATALOG, {"credits": bucket})
    assert titles(response) == expected


def test_tampered_filter_values_are_ignored_not_errors(client):
    CourseFactory(title="Only")
    response = client.get(CATALOG, {"level": "<script>", "credits": "999", "page": "x"})
    assert response.status_code == HTTPStatus.OK
    assert titles(response) == ["Only"]
    assert b"<script>" not in response.content


def test_catalog_is_paginated_and_keeps_the_filters(client, settings):
    settings.CATALOG_PAGE_SIZE = 2
    for i in range(5):
        CourseFactory(title=f"Advanced {i}", level="advanced")
    response = client.get(CATALOG, {"level": "advanced", "page": 2})
    assert titles(response) == ["Advanced 2", "Advanced 3"]
    assert b"level=advanced&amp;page=3" in response.content
    assert b"Page 2 of 3" in response.content


def test_filtered_pages_are_not_indexed(client):
    CourseFactory()
    assert b'name="robots" content="noindex' in client.get(CATALOG, {"q": "x"}).content
    assert b'rel="canonical"' in client.get(CATALOG).content


@pytest.mark.parametrize("count", [1, 50])
def test_catalog_query_budget_does_not_grow_with_courses(
    client, count, django_assert_max_num_queries
):
    for course in CourseFactory.create_batch(count):
        CourseInstructorFactory.create_batch(2, course=course)
    with django_assert_max_num_queries(3):
        response = client.get(CATALOG, {"q": "course"})
    assert response.status_code == HTTPStatus.OK
    assert len(response.context["courses"]) == min(count, 12)
