import json
import threading
import time
from http import HTTPStatus

import pytest
from django.core import mail
from django.db import connection
from django.tasks import TaskResultStatus
from django.test import Client
from django_tasks_db.models import DBTaskResult

from enrollment import orders
from enrollment.models import Enrollment, Order, OrderStatus, StripeEvent
from tests.background.conftest import run_worker
from tests.stripe_fake import event, session_object, signed_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(learner, course, fake_stripe):
    order = orders.order_start(user=learner, course=course)
    orders.checkout_begin(order=order)
    order.refresh_from_db()
    return order


def completed(order, **overrides) -> dict:
    return event("checkout.session.completed", session_object(order, **overrides))


def test_completed_session_pays_the_order_and_enrolls(
    client, order, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_post(client, completed(order))
    assert response.status_code == HTTPStatus.OK
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.amount_paid_cents == 4900
    assert Enrollment.objects.get().order == order
    assert [h.to_status for h in order.status_changes.all()] == ["pending", "paid"]
    assert order.status_changes.last().stripe_event_id.startswith("evt_")
    assert len(mail.outbox) == 1


def test_with_the_mail_server_down_the_webhook_answers_at_once_and_the_receipt_waits(
    client, order, database_tasks, smtp
):
    smtp.stop()
    response = signed_post(client, completed(order))
    assert response.status_code == HTTPStatus.OK
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert Enrollment.objects.get(order=order).is_active
    receipt = DBTaskResult.objects.get(task_path="enrollment.notifications.order_confirmation_send")
    assert receipt.status == TaskResultStatus.READY
    assert receipt.args_kwargs["kwargs"] == {"order_id": order.pk}
    run_worker()  # the mail server is still down: the receipt waits for its next try
    receipt.refresh_from_db()
    assert receipt.status == TaskResultStatus.READY
    assert receipt.run_after > receipt.enqueued_at
    assert smtp.messages == []


@pytest.mark.parametrize(
    ("header", "secret"),
    [(None, None), ("t=1,v1=deadbeef", None), ("garbage", None), ("valid", "whsec_wrong")],
)
def test_bad_or_missing_signature_is_400_and_changes_nothing(client, order, header, secret):
    payload = json.dumps(completed(order))
    if header == "valid":
        response = signed_post(client, payload, secret=secret)
    else:
        extra = {"HTTP_STRIPE_SIGNATURE": header} if header else {}
        response = client.post(
            "/stripe/webhook/", data=payload, content_type="application/json", **extra
        )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not StripeEvent.objects.exists()
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_replayed_old_event_is_refused(client, order):
    response = signed_post(client, completed(order), timestamp=int(time.time()) - 600)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize("body", ["not json", "{}", '{"id": "evt_1", "type": "x"}', "[]"])
def test_malformed_body_with_a_valid_signature_is_400(client, body):
    response = signed_post(client, body)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not StripeEvent.objects.exists()


def test_webhook_only_accepts_post(client):
    assert client.get("/stripe/webhook/").status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_duplicate_delivery_is_acknowledged_and_counted_once(client, order):
    payload = completed(order)
    first = signed_post(client, payload)
    second = signed_post(client, payload)
    assert first.status_code == second.status_code == HTTPStatus.OK
    assert second.json()["outcome"] == "duplicate"
    assert Enrollment.objects.count() == 1
    assert StripeEvent.objects.count() == 1


def test_two_events_about_one_payment_give_one_enrollment(client, order):
    session = session_object(order)
    signed_post(client, event("checkout.session.completed", session))
    signed_post(client, event("checkout.session.async_payment_succeeded", session))
    assert Enrollment.objects.count() == 1
    assert Order.objects.get().status_changes.filter(to_status="paid").count() == 1


def test_delayed_payment_is_granted_when_it_succeeds(client, order):
    signed_post(client, completed(order, paid=False))
    assert not Enrollment.objects.exists()
    response = signed_post(
        client, event("checkout.session.async_payment_succeeded", session_object(order))
    )
    assert response.status_code == HTTPStatus.OK
    assert Enrollment.objects.count() == 1


@pytest.mark.parametrize(
    ("event_type", "status"),
    [
        ("checkout.session.expired", OrderStatus.EXPIRED),
        ("checkout.session.async_payment_failed", OrderStatus.FAILED),
    ],
)
def test_expired_or_failed_session_closes_the_order_without_access(
    client, order, event_type, status
):
    signed_post(client, event(event_type, session_object(order, paid=False)))
    order.refresh_from_db()
    assert order.status == status
    assert not Enrollment.objects.exists()


def test_expiry_arriving_after_payment_leaves_the_order_paid(client, order):
    signed_post(client, completed(order))
    signed_post(client, event("checkout.session.expired", session_object(order, paid=False)))
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert Enrollment.objects.active().count() == 1


def test_payment_after_expiry_event_still_enrolls(client, order):
    signed_post(client, event("checkout.session.expired", session_object(order, paid=False)))
    signed_post(client, completed(order))
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert Enrollment.objects.count() == 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"amount_subtotal": 100},
        {"currency": "eur"},
        {"id": "cs_test_someone_elses"},
    ],
)
def test_session_that_does_not_match_its_order_is_not_fulfilled_and_is_flagged(
    client, order, overrides
):
    response = signed_post(client, completed(order, **overrides))
    assert response.status_code == HTTPStatus.OK
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert order.needs_attention
    assert "not fulfilled" in order.attention_note
    assert not Enrollment.objects.exists()


def test_promotion_code_discount_is_recorded_and_accepted(client, order):
    signed_post(client, completed(order, amount_total=2900))
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.amount_paid_cents == 2900
    assert order.discount_cents == 2000


def test_session_naming_no_order_is_acknowledged(client, order):
    response = signed_post(client, completed(order, client_reference_id="CE-NOPE"))
    assert response.status_code == HTTPStatus.OK
    assert not Enrollment.objects.exists()


def test_unhandled_event_types_are_stored_and_acknowledged(client):
    response = signed_post(client, event("customer.created", {"id": "cus_1"}))
    assert response.status_code == HTTPStatus.OK
    assert response.json()["outcome"] == "ignored type"
    assert StripeEvent.objects.get().type == "customer.created"


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_give_exactly_one_paid_order_and_enrollment(
    learner, course, fake_stripe
):
    order = orders.order_start(user=learner, course=course)
    orders.checkout_begin(order=order)
    order.refresh_from_db()
    session = session_object(order)
    same = event("checkout.session.completed", session)
    events = [same] * 4 + [
        event("checkout.session.completed", session),
        event("checkout.session.async_payment_succeeded", session),
        event("checkout.session.completed", session),
        event("checkout.session.async_payment_succeeded", session),
    ]
    barrier = threading.Barrier(len(events))
    statuses = []

    def deliver(payload):
        barrier.wait()
        try:
            statuses.append(signed_post(Client(), payload).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(e,)) for e in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [HTTPStatus.OK] * len(events)
    assert Enrollment.objects.count() == 1
    assert Order.objects.get().status_changes.filter(to_status="paid").count() == 1
    assert StripeEvent.objects.count() == 5
