from http import HTTPStatus

import pytest
from django.core import mail
from django.urls import reverse

from background.models import SentEmail
from enrollment import notifications, orders, refunds
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db


def test_my_courses_lists_active_enrollments_only(client, paid_order, fake_stripe):
    client.force_login(paid_order.user)
    response = client.get(reverse("enrollment:my_courses"))
    assert paid_order.course.title.encode() in response.content
    refunds.order_refund(order=paid_order, reason="x", actor="director")
    response = client.get(reverse("enrollment:my_courses"))
    assert paid_order.course.title.encode() not in response.content
    assert b"You have no active courses" in response.content


def test_receipt_shows_what_a_receipt_needs(client, paid_order, settings):
    settings.SELLER_ADDRESS = "1 Main St\nSpringfield"
    client.force_login(paid_order.user)
    body = client.get(paid_order.get_absolute_url()).content.decode()
    for fact in [
        paid_order.number,
        paid_order.course_title,
        "$49.00",
        paid_order.stripe_payment_intent_id,
        "Test CE Sponsor",
        "1 Main St",
        paid_order.user.email,
        "Print this receipt",
        "Ask for a refund",
    ]:
        assert fact in body


def test_order_list_shows_paid_orders_not_abandoned_checkouts(
    client, paid_order, learner, fake_stripe
):
    orders.order_start(user=learner, course=CourseFactory(title="Abandoned"))
    client.force_login(learner)
    body = client.get(reverse("enrollment:orders")).content.decode()
    assert paid_order.number in body
    assert "Abandoned" not in body


def test_learner_pages_need_sign_in(client, paid_order):
    for url in [
        reverse("enrollment:my_courses"),
        reverse("enrollment:orders"),
        paid_order.get_absolute_url(),
    ]:
        assert client.get(url)["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("count", [1, 30])
def test_learner_pages_query_budget(
    client, learner, policies, count, django_assert_max_num_queries
):
    for course in CourseFactory.create_batch(count):
        order = orders.order_start(user=learner, course=course)
        orders.payment_record(
            order=order,
            reference=f"pi_{order.pk}",
            amount_cents=4900,
            actor="system",
        )
    client.force_login(learner)
    for url in [reverse("enrollment:my_courses"), reverse("enrollment:orders")]:
        with django_assert_max_num_queries(5):
            assert client.get(url).status_code == HTTPStatus.OK
    with django_assert_max_num_queries(7):
        assert client.get(order.get_absolute_url()).status_code == HTTPStatus.OK


def test_course_page_for_a_signed_in_learner_stays_within_budget(
    client, paid_order, django_assert_max_num_queries
):
    client.force_login(paid_order.user)
    url = paid_order.course.get_absolute_url()
    # session and user, the page's 7 (with approvals and the test rules), enrollment check
    with django_assert_max_num_queries(10):
        response = client.get(url)
    assert b"Continue course" in response.content


@pytest.mark.parametrize(
    "name",
    [
        "admin:enrollment_order_changelist",
        "admin:enrollment_refundrequest_changelist",
        "admin:enrollment_enrollment_changelist",
        "admin:enrollment_stripeevent_changelist",
    ],
)
def test_admin_lists_load_within_budget(
    client, director, paid_order, name, django_assert_max_num_queries
):
    client.force_login(director)
    with django_assert_max_num_queries(12):
        assert client.get(reverse(name)).status_code == HTTPStatus.OK


def test_order_admin_page_shows_history_and_refunds(client, director, paid_order, fake_stripe):
    refunds.order_refund(order=paid_order, reason="x", actor="director", amount_cents=100)
    client.force_login(director)
    response = client.get(reverse("admin:enrollment_order_change", args=[paid_order.pk]))
    assert response.status_code == HTTPStatus.OK
    assert b"partially_refunded" in response.content or b"Partially refunded" in response.content


def test_course_page_states_the_refund_rule_and_its_window(client, course, settings):
    assert b"full refund at any time" in client.get(course.get_absolute_url()).content
    settings.REFUND_WINDOW_DAYS = 30
    course.save()  # clears the page cache, as any catalog edit does
    assert (
        b"full refund within 30 days of purchase" in client.get(course.get_absolute_url()).content
    )


def test_receipt_and_order_email_print_the_credit_as_one_line(client, paid_order):
    paid_order.ce_credits, paid_order.credit_type = 8, "CE credits (APA)"
    paid_order.save()
    client.force_login(paid_order.user)
    receipt = client.get(paid_order.get_absolute_url()).content.decode()
    assert "8 CE credits (APA)" in receipt
    mail.outbox.clear()
    SentEmail.objects.all().delete()  # the receipt went out at payment; send it again
    notifications.order_confirmation_send.call(order_id=paid_order.pk)
    [message] = mail.outbox
    assert "Credit: 8 CE credits (APA)" in message.body
    assert "8 CE credits (APA)" in message.alternatives[0][0]
    assert "8:" not in message.alternatives[0][0]


def test_order_and_refund_admin_pages_show_money_in_dollars(
    client, director, paid_order, fake_stripe
):
    refunds.order_refund(order=paid_order, reason="x", actor="director", amount_cents=150)
    client.force_login(director)
    page = client.get(reverse("admin:enrollment_order_change", args=[paid_order.pk])).content
    assert b"$49.00" in page
    assert b"$1.50" in page
    assert b"cents" not in page.lower()
    refund = paid_order.refunds.get()
    page = client.get(reverse("admin:enrollment_refund_change", args=[refund.pk])).content
    assert b"$1.50" in page
    assert b"(cents)" not in page
