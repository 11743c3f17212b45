from http import HTTPStatus

import pytest
from django.core import mail
from django.urls import reverse

from enrollment.models import Enrollment, Order, OrderStatus
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db


def checkout_url(course) -> str:
    return reverse("enrollment:checkout", args=[course.slug])


def test_signed_out_buyer_signs_in_and_comes_back_to_the_purchase(client, course, learner):
    response = client.get(course.get_absolute_url())
    assert f"/accounts/login/?next={checkout_url(course)}" in response.content.decode().replace(
        "%2F", "/"
    )
    response = client.get(checkout_url(course))
    assert response["Location"].startswith(reverse("account_login"))
    client.force_login(learner)
    response = client.get(checkout_url(course))
    assert response.status_code == HTTPStatus.OK
    assert b"Confirm your purchase" in response.content
    assert b"$49.00" in response.content


def test_buy_records_a_pending_order_and_sends_the_learner_to_stripe_checkout(
    client, learner, course, fake_stripe
):
    client.force_login(learner)
    response = client.post(checkout_url(course))
    order = Order.objects.get()
    assert order.status == OrderStatus.PENDING
    assert (order.course_title, order.price_cents, order.currency) == (course.title, 4900, "USD")
    assert order.ce_credits == course.ce_credits
    assert "full refund" in order.refund_policy
    session = fake_stripe.sessions[order.stripe_checkout_session_id]
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == session["url"]
    sent = fake_stripe.requests[-1]["form"]
    assert sent["mode"] == "payment"
    assert sent["line_items[0][price_data][unit_amount]"] == "4900"
    assert sent["line_items[0][price_data][currency]"] == "usd"
    assert sent["line_items[0][price_data][product_data][name]"] == course.title
    assert sent["customer_email"] == learner.email
    assert sent["client_reference_id"] == order.number
    assert sent["metadata[order_number]"] == order.number
    assert sent["payment_intent_data[metadata][order_number]"] == order.number
    assert sent["allow_promotion_codes"] == "true"
    assert sent["success_url"].endswith("/checkout/success/?session_id={CHECKOUT_SESSION_ID}")
    assert sent["cancel_url"].endswith(f"/checkout/cancel/{order.number}/")
    assert fake_stripe.requests[-1]["headers"]["Idempotency-Key"] == f"checkout-{order.number}"


def test_double_submit_reuses_the_order_and_the_checkout_session(
    client, learner, course, fake_stripe
):
    client.force_login(learner)
    first = client.post(checkout_url(course))
    second = client.post(checkout_url(course))
    assert Order.objects.count() == 1
    assert first["Location"] == second["Location"]
    assert len(fake_stripe.sessions) == 1


def test_owner_sees_continue_course_and_cannot_buy_again(client, paid_order):
    client.force_login(paid_order.user)
    page = client.get(paid_order.course.get_absolute_url())
    assert b"Continue course" in page.content
    assert b"Buy this course" not in page.content
    response = client.post(checkout_url(paid_order.course))
    assert response["Location"] == reverse("enrollment:course_home", args=[paid_order.course.slug])
    assert Order.objects.count() == 1


def test_free_course_enrolls_without_stripe(client, learner, policies, fake_stripe):
    free = CourseFactory(price_cents=0)
    client.force_login(learner)
    response = client.post(checkout_url(free))
    assert response["Location"] == reverse("enrollment:my_courses")
    order = Order.objects.get()
    assert order.status == OrderStatus.PAID
    assert order.gateway == "free"
    assert Enrollment.objects.active_for(learner).filter(course=free).exists()
    assert fake_stripe.requests == []


def test_stripe_outage_charges_nothing_and_says_so(client, learner, course, fake_stripe):
    fake_stripe.fail_with = 500
    client.force_login(learner)
    response = client.post(checkout_url(course), follow=True)
    assert b"could not reach the payment provider" in response.content
    assert not Enrollment.objects.exists()


def test_success_page_fulfils_before_the_webhook(
    client, learner, course, fake_stripe, django_capture_on_commit_callbacks
):
    client.force_login(learner)
    client.post(checkout_url(course))
    order = Order.objects.get()
    fake_stripe.pay(order.stripe_checkout_session_id)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(
            reverse("enrollment:checkout_success"),
            {"session_id": order.stripe_checkout_session_id},
        )
    assert b"You are enrolled" in response.content
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.stripe_payment_intent_id.startswith("pi_test_")
    assert Enrollment.objects.active_for(learner).count() == 1
    assert len(mail.outbox) == 1
    assert order.number in mail.outbox[0].body
    assert mail.outbox[0].alternatives[0][1] == "text/html"


def test_success_page_while_payment_is_processing(client, learner, course, fake_stripe):
    client.force_login(learner)
    client.post(checkout_url(course))
    order = Order.objects.get()
    response = client.get(
        reverse("enrollment:checkout_success"), {"session_id": order.stripe_checkout_session_id}
    )
    assert b"Your payment is processing" in response.content
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize("session_id", ["", "nope", "cs_test_../../v1/refunds", "cs_unknown"])
def test_success_page_with_a_bad_or_unknown_session_is_404(client, learner, session_id):
    client.force_login(learner)
    response = client.get(reverse("enrollment:checkout_success"), {"session_id": session_id})
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_success_page_for_another_learners_session_is_404(client, paid_order):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    response = client.get(
        reverse("enrollment:checkout_success"),
        {"session_id": paid_order.stripe_checkout_session_id},
    )
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_cancel_returns_to_the_course_with_a_message(client, learner, course, fake_stripe):
    client.force_login(learner)
    client.post(checkout_url(course))
    order = Order.objects.get()
    response = client.get(reverse("enrollment:checkout_cancel", args=[order.number]), follow=True)
    assert b"You have not been charged" in response.content


def test_demo_gateway_pays_through_the_same_fulfilment(
    client, learner, course, settings, fake_stripe
):
    settings.DEBUG = True
    settings.STRIPE_SECRET_KEY = ""
    client.force_login(learner)
    response = client.post(checkout_url(course))
    order = Order.objects.get()
    assert order.gateway == "demo"
    assert response["Location"] == reverse("enrollment:demo_checkout", args=[order.number])
    assert b"test-payment page" in client.get(response["Location"]).content
    client.post(response["Location"])
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.status_changes.last().actor == "learner"
    assert Enrollment.objects.active_for(learner).count() == 1
    assert fake_stripe.requests == []


def test_demo_gateway_does_not_exist_with_stripe_keys(client, learner, course, fake_stripe):
    client.force_login(learner)
    client.post(checkout_url(course))
    order = Order.objects.get()
    url = reverse("enrollment:demo_checkout", args=[order.number])
    assert client.post(url).status_code == HTTPStatus.NOT_FOUND
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_a_second_payment_for_an_owned_course_is_refunded_automatically(
    client, paid_order, fake_stripe, django_capture_on_commit_callbacks
):
    from enrollment import orders

    second = Order.objects.create(
        user=paid_order.user,
        course=paid_order.course,
        gateway="stripe",
        course_title=paid_order.course_title,
        price_cents=paid_order.price_cents,
        currency="USD",
        ce_credits=paid_order.ce_credits,
        credit_type=paid_order.credit_type,
    )
    orders.checkout_begin(order=second)
    second.refresh_from_db()
    session = fake_stripe.pay(second.stripe_checkout_session_id)
    with django_capture_on_commit_callbacks(execute=True):
        orders.checkout_session_fulfil(session=session, actor="webhook")
    second.refresh_from_db()
    assert second.status == OrderStatus.REFUNDED
    assert "already bought" in second.refunds.get().reason
    assert Enrollment.objects.active().get().order == paid_order


@pytest.mark.django_db(transaction=True)
def test_concurrent_buy_presses_open_one_order(learner, course, fake_stripe):
    import threading

    from django.db import connection
    from django.test import Client

    barrier = threading.Barrier(4)

    def press():
        client = Client()
        client.force_login(learner)
        barrier.wait()
        try:
            client.post(checkout_url(course))
        finally:
            connection.close()

    threads = [threading.Thread(target=press) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Order.objects.count() == 1
    assert len(fake_stripe.sessions) == 1
