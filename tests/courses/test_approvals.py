from datetime import date, timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.credits import CreditOption, course_credit_options, credit_option_for
from courses.models import Course, CourseApproval, ProviderApproval
from tests.courses.test_course_page import page_text
from tests.factories import (
    ApprovingBodyFactory,
    CourseApprovalFactory,
    CourseFactory,
    ProviderApprovalFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DAY = date(2026, 6, 1)


def option(abbreviation, professions, jurisdictions=(), **kwargs) -> CreditOption:
    return CreditOption(
        body=abbreviation,
        body_abbreviation=abbreviation,
        provider_number="",
        course_number="",
        credits=Decimal("6"),
        unit=kwargs.pop("unit", "CE credits"),
        statement=f"{abbreviation} statement",
        professions=tuple(professions),
        jurisdictions=tuple(jurisdictions),
        **kwargs,
    )


def test_the_learners_profession_picks_the_credit_line():
    options = [option("APA", ["psychologist"]), option("NBCC", ["counselor"], unit="contact hours")]
    chosen = credit_option_for(options, profession="counselor", jurisdiction="TX", on=DAY)
    assert chosen.line == "6 contact hours (NBCC)"
    assert credit_option_for(options, profession="mft", jurisdiction="TX", on=DAY) is None


def test_a_state_board_wins_for_its_own_licensees_and_only_for_them():
    national = option("ASWB ACE", ["social_worker"])
    california = option("CA BBS", ["social_worker", "mft"], jurisdictions=["CA"])
    options = [national, california]
    assert credit_option_for(options, profession="social_worker", jurisdiction="CA", on=DAY) == (
        california
    )
    assert credit_option_for(options, profession="social_worker", jurisdiction="NV", on=DAY) == (
        national
    )
    assert credit_option_for(options, profession="mft", jurisdiction="NV", on=DAY) is None


def test_an_approval_outside_its_period_covers_nobody():
    ended = option("APA", ["psychologist"], valid_until=DAY - timedelta(days=1))
    future = option("APA", ["psychologist"], valid_from=DAY + timedelta(days=1))
    for expired in (ended, future):
        assert credit_option_for([expired], profession="psychologist", jurisdiction="", on=DAY) is (
            None
        )


def test_a_credit_option_survives_json():
    original = option("CA BBS", ["mft"], jurisdictions=["CA"], valid_from=DAY, approval_id=7)
    assert CreditOption.from_json(original.to_json()) == original


def test_course_page_shows_every_current_approval_statement_and_who_it_covers(client, course):
    CourseApprovalFactory(
        course=course,
        approval=ProviderApprovalFactory(
            body=ApprovingBodyFactory(name="California BBS", abbreviation="CA BBS",
                                      credit_unit="CE hours"),
            statement="Approved by the California BBS for LMFTs.",
            professions=["mft", "counselor"],
            jurisdictions=["CA"],
        ),
    )  # fmt: skip
    CourseApprovalFactory(
        course=course,
        approval=ProviderApprovalFactory(
            body=ApprovingBodyFactory(name="Old body", abbreviation="OLD"),
            statement="An approval that has ended.",
            valid_until=timezone.localdate() - timedelta(days=1),
        ),
    )
    text = page_text(client.get(course.get_absolute_url()))
    assert "3 CE credits (APA)" in text
    assert "For psychologists." in text
    assert "Test CE Sponsor is approved by the APA" in text
    assert "3 CE hours (CA BBS)" in text
    assert (
        "For marriage and family therapists, professional counselors licensed in California."
        in (text)
    )
    assert "Approved by the California BBS for LMFTs." in text
    assert "An approval that has ended." not in text
    assert "Pass the online post-test with a score of at least 75%" in text
    assert "Submit the course evaluation." in text


def test_a_signed_in_learner_whose_profession_is_not_covered_is_told_before_buying(client, course):
    client.force_login(UserFactory(profession="mft", license_jurisdiction="TX"))
    text = page_text(client.get(course.get_absolute_url()))
    assert "No CE credit for your profession." in text
    assert "no approval for marriage and family therapists licensed in Texas" in text
    review = page_text(client.get(reverse("enrollment:checkout", args=[course.slug])))
    assert "No approved CE credit for your profession" in review


def test_a_signed_in_learner_sees_the_credit_line_they_would_earn(client, course, learner):
    client.force_login(learner)
    text = page_text(client.get(course.get_absolute_url()))
    assert "Your credit as a psychologist: 3 CE credits (APA)" in text
    review = page_text(client.get(reverse("enrollment:checkout", args=[course.slug])))
    assert "Your credit 3 CE credits (APA)" in review


def test_the_order_snapshots_the_buyers_credit_line(paid_order):
    assert paid_order.ce_credits == Decimal("3.0")
    assert paid_order.credit_type == "CE credits (APA)"


def test_director_adds_an_approval_and_its_history_is_kept(client, director):
    body = ApprovingBodyFactory(name="National Board for Certified Counselors",
                                abbreviation="NBCC", credit_unit="contact hours")  # fmt: skip
    client.force_login(director)
    response = client.post(
        reverse("admin:courses_providerapproval_add"),
        {"body": body.pk, "provider_number": "ACEP 1", "statement": "NBCC statement.",
         "valid_from": "2026-01-01", "valid_until": "", "professions": ["counselor"],
         "jurisdictions": []},
    )  # fmt: skip
    assert response.status_code == HTTPStatus.FOUND
    approval = ProviderApproval.objects.get(provider_number="ACEP 1")
    assert approval.professions == ["counselor"]
    assert approval.history.get().history_user == director
    refused = client.post(
        reverse("admin:courses_providerapproval_add"),
        {"body": body.pk, "statement": "x", "valid_from": "2026-01-01",
         "professions": ["astrologer"], "jurisdictions": ["ZZ"]},
    )  # fmt: skip
    assert refused.status_code == HTTPStatus.OK
    assert ProviderApproval.objects.count() == 1


def test_director_attaches_approvals_inline_on_the_course(client, director, course):
    approval = ProviderApprovalFactory(professions=["psychologist", "counselor"])
    client.force_login(director)
    page = client.get(reverse("admin:courses_course_change", args=[course.pk]))
    assert b"course_approvals-TOTAL_FORMS" in page.content
    CourseApproval.objects.create(course=course, approval=approval, credits=Decimal("2.5"))
    lines = [
        o.line for o in course_credit_options(Course.objects.with_approvals().get(pk=course.pk))
    ]
    assert "2.5 CE credits (APA)" in lines


@pytest.mark.parametrize("count", [1, 20])
def test_course_page_query_budget_with_approvals(
    client, policies, count, django_assert_max_num_queries
):
    course = CourseFactory()
    for _ in range(count):
        CourseApprovalFactory(course=course)
    client.force_login(UserFactory())
    with django_assert_max_num_queries(11):
        response = client.get(course.get_absolute_url())
    assert response.status_code == HTTPStatus.OK
    assert len(response.context["credit_options"]) == count
