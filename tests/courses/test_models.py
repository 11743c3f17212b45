from decimal import Decimal

import pytest
from django.db import IntegrityError

from courses.models import Course, ProgramPolicies
from tests.factories import (
    CourseFactory,
    CourseInstructorFactory,
    LearningObjectiveFactory,
)

pytestmark = pytest.mark.django_db


def test_published_course_must_have_a_publication_date():
    with pytest.raises(IntegrityError):
        CourseFactory(status=Course.Status.PUBLISHED, published_at=None)


def test_credits_must_be_positive():
    with pytest.raises(IntegrityError):
        CourseFactory(ce_credits=Decimal("0"))


def test_currency_must_be_an_iso_code():
    with pytest.raises(IntegrityError):
        CourseFactory(currency="usd")


def test_level_outside_the_choices_is_refused():
    with pytest.raises(IntegrityError):
        CourseFactory(level="expert")


def test_price_cannot_be_negative():
    with pytest.raises(IntegrityError):
        CourseFactory(price_cents=-1)


def test_slug_is_unique():
    CourseFactory(slug="same")
    with pytest.raises(IntegrityError):
        CourseFactory(slug="same")


def test_an_instructor_is_listed_once_per_course():
    link = CourseInstructorFactory()
    with pytest.raises(IntegrityError):
        CourseInstructorFactory(course=link.course, instructor=link.instructor)


def test_objectives_keep_their_order():
    course = CourseFactory()
    LearningObjectiveFactory(course=course, text="second", order=2)
    LearningObjectiveFactory(course=course, text="first", order=1)
    assert [o.text for o in course.objectives.all()] == ["first", "second"]


def test_there_is_only_one_policies_row(policies):
    with pytest.raises(IntegrityError):
        ProgramPolicies.objects.create(
            id=2,
            contact_email="x@example.com",
            diversity_accessibility="a",
            sources_relevance="b",
            refund_cancellation="c",
            grievance="d",
        )


def test_publish_sets_the_date_once():
    course = CourseFactory(draft=True)
    course.publish()
    first = course.published_at
    assert course.is_published
    assert first is not None
    course.unpublish()
    course.publish()
    assert course.published_at == first


def test_visible_to_hides_drafts_from_everyone_but_staff(learner, director):
    published = CourseFactory()
    draft = CourseFactory(draft=True)
    assert list(Course.objects.visible_to(learner)) == [published]
    assert set(Course.objects.visible_to(director)) == {published, draft}
