from http import HTTPStatus

import pytest
from django.urls import reverse

from enrollment.models import Enrollment, Order, OrderStatus
from enrollment.refunds import order_refund
from programs.checkout import discounted
from programs.models import ProgramPurchase
from records.models import Actor
from tests.stripe_fake import event, refund_object, signed_post

from .conftest import courses_of

pytestmark = pytest.mark.django_db


def buy(client, program, courses):
    return client.post(
        reverse("programs:buy", args=[program.slug]), {"course": [c.pk for c in courses]}
    )


def line_items(request: dict) -> list[tuple[str, int]]:
    form = request["form"]
    lines, i = [], 0
    while f"line_items[{i}][price_data][unit_amount]" in form:
        lines.append(
            (
                form[f"line_items[{i}][price_data][product_data][name]"],
                int(form[f"line_items[{i}][price_data][unit_amount]"]),
            )
        )
        i += 1
    return lines


def test_discount_is_rounded_half_up_to_the_cent():
    assert discounted(11900, 10) == 10710
    assert discounted(3900, 15) == 3315  # 585 off exactly
    assert discounted(4999, 10) == 4499  # 499.9 -> 500 off
    assert discounted(4900, 0) == 4900


def test_buying_the_remaining_courses_opens_one_session_with_a_line_per_order(
    client, program, learner, complete, fake_stripe
):
    foundations, technique, elective_a, elective_b = courses_of(program)
    complete(learner, foundations)
    client.force_login(learner)
    response = buy(client, program, [technique, elective_a, elective_b])
    assert response.status_code == HTTPStatus.FOUND
    session_id = response["Location"].rsplit("/", 1)[1]
    assert response["Location"] == fake_stripe.sessions[session_id]["url"]

    created = [
        r
        for r in fake_stripe.requests
        if r["path"] == "/v1/checkout/sessions" and "metadata[order_numbers]" in r["form"]
    ]
    assert len(created) == 1
    assert line_items(created[0]) == [
        ("Technique", 8010),
        ("Elective A", 4410),
        ("Elective B", 3510),
    ]
    assert created[0]["form"]["allow_promotion_codes"] == "false"
    # Our records say the same: one pending order per course at the program price.
    opened = Order.objects.filter(stripe_checkout_session_id=session_id).order_by("pk")
    assert [(o.course, o.price_cents, o.status) for o in opened] == [
        (technique, 8010, OrderStatus.PENDING),
        (elective_a, 4410, OrderStatus.PENDING),
        (elective_b, 3510, OrderStatus.PENDING),
    ]
    assert "10% program discount" in opened[0].refund_policy
    purchase = ProgramPurchase.objects.get()
    assert purchase.discount_percent == 10
    assert set(purchase.orders.all()) == set(opened)
    assert fake_stripe.sessions[session_id]["amount_subtotal"] == 8010 + 4410 + 3510


def test_a_double_press_reuses_the_same_orders_and_session(client, program, learner, fake_stripe):
    client.force_login(learner)
    first = buy(client, program, courses_of(program))
    second = buy(client, program, courses_of(program))
    assert first["Location"] == second["Location"]
    assert Order.objects.count() == 4
    assert ProgramPurchase.objects.count() == 1


def test_signed_webhook_fulfils_every_order_of_the_session_and_refunds_stay_per_course(
    client, program, learner, fake_stripe, django_capture_on_commit_callbacks
):
    client.force_login(learner)
    session_id = buy(client, program, courses_of(program))["Location"].rsplit("/", 1)[1]
    session = fake_stripe.pay(session_id)
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_post(client, event("checkout.session.completed", session))
    assert response.status_code == HTTPStatus.OK
    paid = list(Order.objects.filter(stripe_checkout_session_id=session_id).order_by("pk"))
    assert {o.status for o in paid} == {OrderStatus.PAID}
    assert [o.amount_paid_cents for o in paid] == [o.price_cents for o in paid]
    assert sum(o.amount_paid_cents for o in paid) == session["amount_total"]
    assert {o.stripe_payment_intent_id for o in paid} == {session["payment_intent"]}
    assert Enrollment.objects.active().filter(user=learner).count() == 4

    # The same event again (Stripe retries) changes nothing.
    with django_capture_on_commit_callbacks(execute=True):
        again = signed_post(client, event("checkout.session.completed", session))
    assert again.json()["outcome"] != "not fulfilled"
    assert Enrollment.objects.filter(user=learner).count() == 4

    # Refunding one course refunds exactly its order, on the shared payment.
    technique = paid[1]
    with django_capture_on_commit_callbacks(execute=True):
        order_refund(order=technique, reason="Not for me", actor=Actor.LEARNER)
    sent = [r for r in fake_stripe.requests if r["path"] == "/v1/refunds"]
    assert len(sent) == 1
    assert sent[0]["form"]["amount"] == str(technique.price_cents)
    assert sent[0]["form"]["metadata[order_number]"] == technique.number
    states = {o.number: o.status for o in Order.objects.filter(pk__in=[o.pk for o in paid])}
    assert states[technique.number] == OrderStatus.REFUNDED
    assert sorted(states.values()).count(OrderStatus.PAID) == 3
    assert not Enrollment.objects.active().filter(order=technique).exists()
    assert Enrollment.objects.active().filter(user=learner).count() == 3

    # Stripe's own refund event for it (names the order) is recorded once, on that order.
    refund = fake_stripe.refunds[next(iter(fake_stripe.refunds))]
    with django_capture_on_commit_callbacks(execute=True):
        signed_post(client, event("refund.updated", refund))
    assert Order.objects.get(pk=paid[0].pk).amount_refunded_cents == 0
    assert Order.objects.get(pk=technique.pk).amount_refunded_cents == technique.price_cents


def test_a_dashboard_refund_on_a_shared_payment_is_flagged_not_guessed(
    client, program, learner, fake_stripe, django_capture_on_commit_callbacks
):
    client.force_login(learner)
    session_id = buy(client, program, courses_of(program))["Location"].rsplit("/", 1)[1]
    session = fake_stripe.pay(session_id)
    with django_capture_on_commit_callbacks(execute=True):
        signed_post(client, event("checkout.session.completed", session))
    with django_capture_on_commit_callbacks(execute=True):
        signed_post(client, event("refund.created", refund_object(session["payment_intent"], 500)))
    orders = Order.objects.filter(stripe_checkout_session_id=session_id)
    assert all(o.needs_attention for o in orders)
    assert all(o.amount_refunded_cents == 0 for o in orders)
    assert Enrollment.objects.active().filter(user=learner).count() == 4


def test_a_session_whose_total_differs_is_not_fulfilled(
    client, program, learner, fake_stripe, django_capture_on_commit_callbacks
):
    client.force_login(learner)
    session_id = buy(client, program, courses_of(program))["Location"].rsplit("/", 1)[1]
    session = fake_stripe.pay(session_id, amount_total=100)
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_post(client, event("checkout.session.completed", session))
    assert response.json()["outcome"] == "not fulfilled"
    assert not Enrollment.objects.exists()
    assert all(o.needs_attention for o in Order.objects.all())


def test_the_success_page_fulfils_all_orders_and_names_every_course(
    client, program, learner, fake_stripe, django_capture_on_commit_callbacks
):
    client.force_login(learner)
    session_id = buy(client, program, courses_of(program))["Location"].rsplit("/", 1)[1]
    fake_stripe.pay(session_id)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("enrollment:checkout_success"), {"session_id": session_id})
    page = response.content.decode()
    assert "You are enrolled" in page
    for course in courses_of(program):
        assert course.title in page
    assert Enrollment.objects.active().filter(user=learner).count() == 4


def test_expired_session_closes_every_order(client, program, learner, fake_stripe):
    client.force_login(learner)
    session_id = buy(client, program, courses_of(program))["Location"].rsplit("/", 1)[1]
    expired = {**fake_stripe.sessions[session_id], "status": "expired"}
    signed_post(client, event("checkout.session.expired", expired))
    assert {o.status for o in Order.objects.all()} == {OrderStatus.EXPIRED}


def test_a_stale_course_list_changes_nothing(client, program, learner, complete, fake_stripe):
    foundations = courses_of(program)[0]
    complete(learner, foundations)
    client.force_login(learner)
    before = Order.objects.count()
    response = buy(client, program, courses_of(program))  # still lists Foundations
    assert response["Location"] == program.get_absolute_url()
    assert Order.objects.count() == before
    assert not [r for r in fake_stripe.requests if r["path"] == "/v1/checkout/sessions"][1:]


def test_buying_needs_sign_in_and_post(client, program):
    response = buy(client, program, courses_of(program))
    assert response.status_code == HTTPStatus.FOUND
    assert "/accounts/login/" in response["Location"]
    assert not Order.objects.exists()


def test_stripe_down_leaves_the_learner_on_the_program_page(client, program, learner, fake_stripe):
    fake_stripe.fail_with = 500
    client.force_login(learner)
    response = buy(client, program, courses_of(program))
    assert response["Location"] == program.get_absolute_url()
    assert not Enrollment.objects.exists()
