import csv
import io
from datetime import date
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from programs.models import ProgramCourse, ProgramCredential
from tests.factories import CourseFactory, UserFactory

from .conftest import completable_course, courses_of

pytestmark = pytest.mark.django_db


def member_of(name: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=name))
    return user


def test_content_editor_defines_a_program_with_required_and_elective_courses(client, policies):
    required, elective = CourseFactory(), CourseFactory()
    client.force_login(member_of("Content editor"))
    response = client.post(
        reverse("admin:programs_program_add"),
        {
            "title": "Certificate in Testing",
            "slug": "certificate-in-testing",
            "is_published": "on",
            "description": "",
            "credential_name": "Certificate of Advanced Study",
            "electives_required": "1",
            "recognition_statement": "",
            "discount_percent": "15",
            "memberships-TOTAL_FORMS": "2",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-position": "1",
            "memberships-0-course": str(required.pk),
            "memberships-0-required": "on",
            "memberships-1-position": "2",
            "memberships-1-course": str(elective.pk),
        },
    )
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    rows = ProgramCourse.objects.order_by("position").values_list("course", "required")
    assert list(rows) == [(required.pk, True), (elective.pk, False)]


def test_discount_above_90_percent_is_refused(client, policies):
    client.force_login(member_of("Content editor"))
    response = client.post(
        reverse("admin:programs_program_add"),
        {
            "title": "T",
            "slug": "t",
            "credential_name": "C",
            "electives_required": "0",
            "discount_percent": "95",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == HTTPStatus.OK
    assert b"less than or equal to 90" in response.content


def test_director_sees_who_is_enrolled_and_who_completed(
    client, director, program, learner, complete
):
    for course in courses_of(program)[:3]:
        complete(learner, course)
    other = UserFactory(email="halfway@example.com")
    complete(other, courses_of(program)[0])
    client.force_login(director)
    listing = client.get(reverse("admin:programs_program_changelist")).content.decode()
    assert ">2</td>" in listing  # learners enrolled
    assert ">1</td>" in listing  # completed
    page = client.get(reverse("admin:programs_program_change", args=[program.pk]))
    text = page.content.decode()
    credential = ProgramCredential.objects.get(user=learner)
    assert f"completed, {credential.display_code}" in text
    assert "halfway@example.com" in text
    assert "1 of 3 done" in text


def test_program_roster_lists_only_the_programs_courses(
    client, program, learner, complete, policies
):
    in_program = complete(learner, courses_of(program)[0])
    elsewhere = complete(
        learner, completable_course(title="Elsewhere", price_cents=1000, credits="1")
    )
    client.force_login(member_of("Registrar"))
    response = client.get(
        reverse("admin:programs_program_roster", args=[program.pk]),
        {"completed_from": "2000-01-01", "completed_to": date.today().isoformat(),
         "format": "roster"},
    )  # fmt: skip
    assert response.status_code == HTTPStatus.OK
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["certificate_code"] for r in rows] == [in_program.display_code]
    assert elsewhere.display_code not in response.content.decode()


def test_program_roster_needs_the_roster_permission(client, program):
    client.force_login(member_of("Content editor"))
    response = client.get(reverse("admin:programs_program_roster", args=[program.pk]))
    assert response.status_code == HTTPStatus.FORBIDDEN


def test_registrar_revokes_a_credential_issued_in_error(client, program, learner, complete):
    for course in courses_of(program)[:3]:
        complete(learner, course)
    credential = ProgramCredential.objects.get()
    registrar = member_of("Registrar")
    client.force_login(registrar)
    response = client.post(
        reverse("admin:programs_programcredential_changelist"),
        {"action": "revoke_issued_in_error", "_selected_action": [credential.pk]},
    )
    assert response.status_code == HTTPStatus.FOUND
    credential.refresh_from_db()
    assert credential.status == ProgramCredential.Status.REVOKED
    assert credential.public_reason == "issued_in_error"
    assert credential.status_changes.last().actor_user == registrar


@pytest.mark.parametrize("count", [1, 8])
def test_program_change_page_query_budget_does_not_grow(
    client, director, program, count, fake_stripe, django_assert_max_num_queries
):
    from demo.journeys import journey_enroll

    for _ in range(count):
        journey_enroll(user=UserFactory(), course=courses_of(program)[0], pay=fake_stripe.pay)
    client.force_login(director)
    with django_assert_max_num_queries(22):  # the same for 1 and for 8 learners
        response = client.get(reverse("admin:programs_program_change", args=[program.pk]))
    assert response.content.decode().count(" of 3 done") == count
