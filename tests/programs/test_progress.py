from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse

from certificates.states import certificate_revoke
from demo.journeys import journey_enroll
from enrollment.refunds import order_refund
from programs.progress import DONE, IN_PROGRESS, NOT_BOUGHT, program_progress
from records.models import Actor
from tests.factories import CourseFactory, ProgramCourseFactory

from .conftest import courses_of

pytestmark = pytest.mark.django_db


def states(program, user):
    return [step.state for step in program_progress(program, user).steps]


def test_progress_counts_done_in_progress_and_not_bought(program, learner, complete, fake_stripe):
    foundations, technique, elective_a, _ = courses_of(program)
    assert states(program, learner) == [NOT_BOUGHT] * 4
    complete(learner, foundations)
    journey_enroll(user=learner, course=elective_a, pay=fake_stripe.pay)
    assert states(program, learner) == [DONE, NOT_BOUGHT, IN_PROGRESS, NOT_BOUGHT]
    progress = program_progress(program, learner)
    assert (progress.done_count, progress.needed_count) == (1, 3)
    assert progress.credits_done == Decimal("8")
    # Required courses plus one elective: the one being taken counts first.
    assert progress.total_credits == Decimal("17")
    assert not progress.complete
    assert [s.course for s in progress.to_buy] == [technique, courses_of(program)[3]]


def test_a_refund_or_a_revoked_certificate_takes_the_course_back_out(
    program, learner, complete, director
):
    foundations, technique, *_ = courses_of(program)
    first = complete(learner, foundations)
    second = complete(learner, technique)
    assert states(program, learner)[:2] == [DONE, DONE]

    order_refund(order=first.enrollment.order, reason="Changed my mind", actor=Actor.LEARNER)
    certificate_revoke(
        certificate=second,
        public_reason="issued_in_error",
        note="Wrong person",
        actor_user=director,
    )
    # Refunded: the enrollment is gone, so the course is not bought; revoked: in progress.
    assert states(program, learner)[:2] == [NOT_BOUGHT, IN_PROGRESS]


def test_program_page_shows_courses_requirements_and_statement(client, program):
    response = client.get(reverse("programs:detail", args=[program.slug]))
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    for course in courses_of(program):
        assert course.title in page
    assert page.index("Foundations") < page.index("Technique") < page.index("Elective A")
    assert "All 2 required courses" in page
    assert "1 of the 2 electives" in page
    assert "$119.00" in page
    assert "Introductory level" in page
    # 8 + 6 required, plus the lighter (2) or the heavier (3) elective.
    assert "16 to 17 CE credits" in page
    assert "Recognised by the Testing Board" in page
    assert "Sign in to buy the courses" in page


def test_program_page_shows_the_learners_progress_and_what_is_left(
    client, program, learner, complete
):
    complete(learner, courses_of(program)[0])
    client.force_login(learner)
    page = client.get(reverse("programs:detail", args=[program.slug])).content.decode()
    assert "<strong>1 of 3</strong>" in page
    assert "Completed" in page
    assert "Not yet bought" in page
    # Three left to buy at 10% off: 89 + 49 + 39 = 177 -> 159.30.
    assert "Buy 3 courses for $159.30" in page
    assert "you save $17.70" in page


def test_my_courses_lists_program_progress(client, program, learner, complete):
    complete(learner, courses_of(program)[0])
    client.force_login(learner)
    page = client.get(reverse("enrollment:my_courses")).content.decode()
    assert "My programs" in page
    assert program.title in page
    assert "<strong>1 of 3</strong>" in page


def test_my_courses_without_programs_has_no_program_block(client, paid_order):
    client.force_login(paid_order.user)
    page = client.get(reverse("enrollment:my_courses")).content.decode()
    assert "My programs" not in page


def test_catalog_and_course_page_link_to_the_program(client, program):
    url = reverse("programs:detail", args=[program.slug])
    catalog = client.get(reverse("courses:catalog")).content.decode()
    assert f'href="{url}"' in catalog
    course_page = client.get(courses_of(program)[2].get_absolute_url()).content.decode()
    assert f'href="{url}"' in course_page
    assert "(an elective)" in course_page


def test_unpublished_program_is_404_to_the_public(client, program):
    program.is_published = False
    program.save()
    response = client.get(reverse("programs:detail", args=[program.slug]))
    assert response.status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("count", [2, 12])
def test_program_page_query_budget_does_not_grow(
    client, program, learner, count, django_assert_max_num_queries
):
    for _ in range(count):
        ProgramCourseFactory(program=program, course=CourseFactory())
    client.force_login(learner)
    # session, user, program, courses, enrollments, certificates, credential
    with django_assert_max_num_queries(8):
        response = client.get(reverse("programs:detail", args=[program.slug]))
    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize("count", [1, 6])
def test_my_courses_query_budget_does_not_grow_with_programs(
    client, learner, count, policies, django_assert_max_num_queries
):
    for _ in range(count):
        link = ProgramCourseFactory()
        journey_enroll(user=learner, course=link.course)
    client.force_login(learner)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("enrollment:my_courses"))
    assert response.content.decode().count("My programs") == 1
