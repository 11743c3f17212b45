from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core import mail
from django.urls import reverse

from enrollment import orders, refunds, states
from enrollment.models import Enrollment, Order, OrderStatus, Refund, RefundRequest
from enrollment.signals import enrollment_revoked
from tests.factories import UserFactory
from tests.stripe_fake import event, refund_object, session_object, signed_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def revocations():
    heard = []

    def listener(sender, enrollment, reason, **kwargs):
        heard.append((enrollment.pk, reason))

    enrollment_revoked.connect(listener)
    yield heard
    enrollment_revoked.disconnect(listener)


def ask_refund(client, order, reason="The course was not what I needed."):
    """The receipt's form, then "Yes" on the confirmation page."""
    return client.post(
        reverse("enrollment:refund_request", args=[order.number]),
        {"reason": reason, "confirmed": "yes"},
        follow=True,
    )


def test_refund_form_asks_for_confirmation_first_and_changes_nothing(
    client, paid_order, fake_stripe
):
    client.force_login(paid_order.user)
    response = client.post(
        reverse("enrollment:refund_request", args=[paid_order.number]),
        {"reason": "Not for me <b>really</b>"},
    )
    assert response.status_code == HTTPStatus.OK
    text = response.content.decode()
    assert "access to the course, its material and its post-test ends" in text
    assert "Certificate of Completion for it, if you have one, is revoked" in text
    assert 'name="confirmed" value="yes"' in text
    assert "Not for me &lt;b&gt;really&lt;/b&gt;" in text
    assert not RefundRequest.objects.exists()
    assert not Refund.objects.exists()
    assert not fake_stripe.refunds


def test_learner_asks_and_gets_a_full_refund_that_revokes_access(
    client, paid_order, fake_stripe, revocations, django_capture_on_commit_callbacks
):
    client.force_login(paid_order.user)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = ask_refund(client, paid_order)
    assert b"Your order was refunded" in response.content
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.REFUNDED
    assert paid_order.amount_refunded_cents == 4900
    refund = Refund.objects.get()
    assert refund.status == Refund.Status.SUCCEEDED
    assert refund.stripe_refund_id in fake_stripe.refunds
    assert refund.requested_by == paid_order.user
    assert refund.reason == "The course was not what I needed."
    sent = next(r for r in fake_stripe.requests if r["path"] == "/v1/refunds")
    assert sent["form"]["payment_intent"] == paid_order.stripe_payment_intent_id
    assert sent["form"]["amount"] == "4900"
    assert sent["headers"]["Idempotency-Key"] == f"refund-{refund.pk}"
    enrollment = Enrollment.objects.get()
    assert enrollment.status == Enrollment.Status.REVOKED
    assert revocations == [(enrollment.pk, f"Refund on order {paid_order.number}")]
    assert RefundRequest.objects.get().status == RefundRequest.Status.APPROVED
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.endswith(f"Refund on order {paid_order.number}")
    page = client.get(paid_order.course.get_absolute_url())
    assert b"Continue course" not in page.content


def test_refund_request_needs_a_reason(client, paid_order, fake_stripe):
    client.force_login(paid_order.user)
    response = ask_refund(client, paid_order, reason="   ")
    assert b"tell us briefly why" in response.content
    assert not Refund.objects.exists()


def test_another_learners_order_is_404(client, paid_order, fake_stripe):
    client.force_login(UserFactory())
    response = client.post(
        reverse("enrollment:refund_request", args=[paid_order.number]), {"reason": "x"}
    )
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert client.get(paid_order.get_absolute_url()).status_code == HTTPStatus.NOT_FOUND
    assert not Refund.objects.exists()


def test_double_submitted_refund_request_refunds_once(client, paid_order, fake_stripe):
    client.force_login(paid_order.user)
    ask_refund(client, paid_order)
    response = ask_refund(client, paid_order)
    assert b"cannot be refunded" in response.content
    assert Refund.objects.count() == 1
    assert len(fake_stripe.refunds) == 1


def test_requests_wait_for_the_director_when_auto_approval_is_off(
    client, paid_order, fake_stripe, settings
):
    settings.REFUND_REQUESTS_AUTO_APPROVE = False
    client.force_login(paid_order.user)
    response = ask_refund(client, paid_order)
    assert b"We received your refund request" in response.content
    assert RefundRequest.objects.get().status == RefundRequest.Status.OPEN
    assert Enrollment.objects.get().is_active


def test_refund_window_is_enforced(client, paid_order, fake_stripe, settings):
    settings.REFUND_WINDOW_DAYS = 30
    Order.objects.filter(pk=paid_order.pk).update(paid_at=paid_order.paid_at - timedelta(days=31))
    client.force_login(paid_order.user)
    response = ask_refund(client, paid_order)
    assert b"within 30 days of purchase" in response.content
    assert not Refund.objects.exists()


def test_stripe_refusing_a_refund_changes_nothing_but_records_the_attempt(paid_order, fake_stripe):
    fake_stripe.fail_with = 400
    with pytest.raises(refunds.RefundError, match="refused the refund"):
        refunds.order_refund(order=paid_order, reason="x", actor="director")
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.PAID
    assert Refund.objects.get().status == Refund.Status.FAILED
    assert Enrollment.objects.get().is_active


def test_partial_refund_keeps_access_unless_the_director_chooses(paid_order, fake_stripe):
    refunds.order_refund(order=paid_order, reason="goodwill", actor="director", amount_cents=1000)
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.PARTIALLY_REFUNDED
    assert paid_order.refundable_cents == 3900
    assert Enrollment.objects.get().is_active
    refunds.order_refund(
        order=paid_order, reason="more", actor="director", amount_cents=500, revoke_access=True
    )
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.PARTIALLY_REFUNDED
    assert not Enrollment.objects.get().is_active


def test_refund_cannot_exceed_what_remains(paid_order, fake_stripe):
    with pytest.raises(refunds.RefundError):
        refunds.order_refund(order=paid_order, reason="x", actor="director", amount_cents=5000)
    refunds.order_refund(order=paid_order, reason="x", actor="director")
    with pytest.raises(refunds.RefundError, match="nothing left"):
        refunds.order_refund(order=paid_order, reason="x", actor="director")
    assert len(fake_stripe.refunds) == 1


def test_director_refunds_from_admin_after_a_confirmation_page(
    client, director, paid_order, fake_stripe
):
    client.force_login(director)
    url = reverse("admin:enrollment_order_changelist")
    form = {"action": "refund_orders", "_selected_action": [paid_order.pk]}
    confirm = client.post(url, form)
    assert confirm.status_code == HTTPStatus.OK
    assert b"Refund now" in confirm.content
    assert not Refund.objects.exists()
    client.post(url, {**form, "confirm": "yes", "reason": "Director's decision"})
    refund = Refund.objects.get()
    assert refund.approved_by == director
    assert refund.status == Refund.Status.SUCCEEDED
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.REFUNDED
    assert paid_order.status_changes.last().actor == "director"
    assert paid_order.status_changes.last().actor_user == director
    assert not Enrollment.objects.get().is_active


def test_director_approves_a_refund_request_from_admin(
    client, director, paid_order, fake_stripe, settings
):
    settings.REFUND_REQUESTS_AUTO_APPROVE = False
    refunds.refund_request_create(order=paid_order, user=paid_order.user, reason="Not for me")
    client.force_login(director)
    request = RefundRequest.objects.get()
    url = reverse("admin:enrollment_refundrequest_changelist")
    client.post(
        url,
        {
            "action": "approve_and_refund",
            "_selected_action": [request.pk],
            "confirm": "yes",
            "reason": "Approved",
        },
    )
    request.refresh_from_db()
    assert request.status == RefundRequest.Status.APPROVED
    assert request.refund.status == Refund.Status.SUCCEEDED


def test_refund_made_in_the_stripe_dashboard_arrives_by_webhook(client, paid_order, revocations):
    dashboard = refund_object(paid_order.stripe_payment_intent_id, 4900)
    signed_post(client, event("refund.created", dashboard))
    signed_post(client, event("refund.updated", dashboard))
    signed_post(
        client,
        event(
            "charge.refunded",
            {
                "payment_intent": paid_order.stripe_payment_intent_id,
                "refunds": {"data": [dashboard]},
            },
        ),
    )
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.REFUNDED
    assert paid_order.amount_refunded_cents == 4900
    assert Refund.objects.get().stripe_refund_id == dashboard["id"]
    assert paid_order.status_changes.last().actor == "webhook"
    assert len(revocations) == 1


def test_our_own_refund_echoed_by_webhook_is_not_counted_twice(client, paid_order, fake_stripe):
    refund = refunds.order_refund(order=paid_order, reason="x", actor="director")
    echoed = fake_stripe.refunds[refund.stripe_refund_id]
    signed_post(client, event("refund.created", echoed))
    signed_post(client, event("refund.updated", echoed))
    paid_order.refresh_from_db()
    assert paid_order.amount_refunded_cents == 4900
    assert Refund.objects.count() == 1


def test_failed_refund_reported_later_restores_nothing_it_should_not(client, paid_order):
    pending = refund_object(paid_order.stripe_payment_intent_id, 4900, status="pending")
    signed_post(client, event("refund.created", pending))
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.PAID
    assert Enrollment.objects.get().is_active
    signed_post(client, event("refund.failed", {**pending, "status": "failed"}))
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.PAID
    assert Refund.objects.get().status == Refund.Status.FAILED


def test_refund_event_that_overtakes_the_payment_is_applied_once_paid(
    client, learner, course, fake_stripe
):
    order = orders.order_start(user=learner, course=course)
    orders.checkout_begin(order=order)
    order.refresh_from_db()
    session = session_object(order)
    early = refund_object(session["payment_intent"], 4900)
    response = signed_post(client, event("refund.created", early))
    assert response.json()["outcome"].startswith("deferred")
    signed_post(client, event("checkout.session.completed", session))
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert not Enrollment.objects.get().is_active


def test_illegal_status_move_is_refused_and_leaves_no_history(paid_order):
    before = paid_order.status_changes.count()
    with pytest.raises(states.IllegalTransition):
        states.order_move(order=paid_order, to=OrderStatus.EXPIRED, actor="system")
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.PAID
    assert paid_order.status_changes.count() == before


def test_refunded_learner_can_buy_again(client, paid_order, fake_stripe):
    refunds.order_refund(order=paid_order, reason="x", actor="director")
    client.force_login(paid_order.user)
    response = client.post(reverse("enrollment:checkout", args=[paid_order.course.slug]))
    assert response.status_code == HTTPStatus.FOUND
    assert Order.objects.count() == 2


def test_admin_refund_larger_than_what_remains_keeps_the_form_with_an_error(
    client, director, paid_order, fake_stripe
):
    client.force_login(director)
    response = client.post(
        reverse("admin:enrollment_order_changelist"),
        {
            "action": "refund_orders",
            "_selected_action": [paid_order.pk],
            "confirm": "yes",
            "reason": "Too much",
            "amount": "100.00",
        },
    )
    assert response.status_code == HTTPStatus.OK
    assert b"has $49.00 left to refund" in response.content
    assert b"Too much" in response.content
    assert not Refund.objects.exists()


def test_director_refunds_one_cent_from_the_order_page(client, director, paid_order, fake_stripe):
    client.force_login(director)
    page = client.get(reverse("admin:enrollment_order_change", args=[paid_order.pk]))
    refund_url = reverse("admin:enrollment_order_refund", args=[paid_order.pk])
    assert refund_url.encode() in page.content  # the Refund button on the order's page
    response = client.post(refund_url, {"confirm": "yes", "reason": "Goodwill", "amount": "0.01"})
    assert response.status_code == HTTPStatus.FOUND
    assert Refund.objects.get().amount_cents == 1
