"""Refunds and refund requests move along their transition tables, with a history row each."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from enrollment import refunds, states
from enrollment.models import Enrollment, OrderStatus, Refund, RefundRequest
from tests.factories import UserFactory
from tests.stripe_fake import event, refund_object, signed_post

pytestmark = pytest.mark.django_db


def moves(record) -> list[tuple[str, str, str]]:
    return [(c.from_status, c.to_status, c.actor) for c in record.status_changes.all()]


def test_a_director_refund_records_pending_then_succeeded_with_who(
    director, paid_order, fake_stripe
):
    refund = refunds.order_refund(
        order=paid_order, reason="Not for me", actor="director", approved_by=director
    )
    assert moves(refund) == [("", "pending", "director"), ("pending", "succeeded", "director")]
    assert {c.actor_user for c in refund.status_changes.all()} == {director}
    assert refund.status_changes.first().note == "Not for me"


def test_a_refund_stripe_refuses_is_recorded_as_failed_with_the_reason(paid_order, fake_stripe):
    fake_stripe.fail_with = 400
    with pytest.raises(refunds.RefundError):
        refunds.order_refund(order=paid_order, reason="x", actor="director")
    refund = Refund.objects.get()
    assert moves(refund) == [("", "pending", "director"), ("pending", "failed", "director")]
    assert refund.status_changes.last().note.startswith("Stripe refused it")


def test_refund_events_out_of_order_never_move_a_refund_backwards(client, paid_order):
    dashboard = refund_object(paid_order.stripe_payment_intent_id, 4900)
    signed_post(client, event("refund.updated", dashboard))
    response = signed_post(client, event("refund.created", {**dashboard, "status": "pending"}))
    assert response.status_code == HTTPStatus.OK
    refund = Refund.objects.get()
    assert refund.status == Refund.Status.SUCCEEDED
    assert moves(refund) == [("", "succeeded", "webhook")]


def test_a_pending_dashboard_refund_that_succeeds_later_has_both_steps(client, paid_order):
    pending = refund_object(paid_order.stripe_payment_intent_id, 4900, status="pending")
    signed_post(client, event("refund.created", pending, event_id="evt_created"))
    signed_post(client, event("refund.updated", {**pending, "status": "succeeded"}, "evt_done"))
    refund = Refund.objects.get()
    assert moves(refund) == [("", "pending", "webhook"), ("pending", "succeeded", "webhook")]
    assert refund.status_changes.last().stripe_event_id == "evt_done"
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.REFUNDED


def test_a_refund_that_fails_after_it_succeeded_puts_the_money_back_and_flags_the_order(
    client, paid_order, fake_stripe
):
    refund = refunds.order_refund(order=paid_order, reason="x", actor="director")
    failed = {
        **fake_stripe.refunds[refund.stripe_refund_id],
        "status": "failed",
        "failure_reason": "expired_or_canceled_card",
    }
    response = signed_post(client, event("refund.failed", failed))
    assert response.status_code == HTTPStatus.OK
    refund.refresh_from_db()
    assert refund.status == Refund.Status.FAILED
    assert refund.status_changes.last().note == "Stripe: expired_or_canceled_card"
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.PAID
    assert paid_order.amount_refunded_cents == 0
    assert paid_order.needs_attention
    assert "failed after it had succeeded" in paid_order.attention_note
    assert paid_order.status_changes.last().to_status == OrderStatus.PAID
    assert not Enrollment.objects.get().is_active  # access is not handed back by a card problem
    refunds.order_refund(order=paid_order, reason="Second try", actor="director")
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.REFUNDED


def test_an_illegal_refund_move_is_refused_and_leaves_no_history(paid_order, fake_stripe):
    fake_stripe.fail_with = 400
    with pytest.raises(refunds.RefundError):
        refunds.order_refund(order=paid_order, reason="x", actor="director")
    refund = Refund.objects.get()
    with pytest.raises(states.IllegalTransition):
        states.refund_move(refund=refund, to=Refund.Status.SUCCEEDED, actor="system")
    refund.refresh_from_db()
    assert refund.status == Refund.Status.FAILED
    assert refund.status_changes.count() == 2


def test_an_automatic_refund_approves_the_request_under_the_rule(client, paid_order, fake_stripe):
    client.force_login(paid_order.user)
    client.post(
        reverse("enrollment:refund_request", args=[paid_order.number]),
        {"reason": "No", "confirmed": "yes"},
    )
    request = RefundRequest.objects.get()
    assert moves(request) == [("", "open", "learner"), ("open", "approved", "system")]
    assert request.decided_by is None
    assert request.decision_note == "Refunded $49.00 under the refund rule."
    assert request.refund == Refund.objects.get()


@pytest.fixture
def open_request(paid_order, settings):
    settings.REFUND_REQUESTS_AUTO_APPROVE = False
    return refunds.refund_request_create(order=paid_order, user=paid_order.user, reason="Too long")


def test_learner_withdraws_an_open_request_and_keeps_the_course(client, open_request):
    order = open_request.order
    client.force_login(order.user)
    page = client.get(order.get_absolute_url())
    assert b"Withdraw my refund request" in page.content
    response = client.post(
        reverse("enrollment:refund_request_withdraw", args=[order.number]), follow=True
    )
    assert b"You withdrew your refund request" in response.content
    open_request.refresh_from_db()
    assert open_request.status == RefundRequest.Status.WITHDRAWN
    assert open_request.decided_by == order.user
    assert moves(open_request)[-1] == ("open", "withdrawn", "learner")
    assert Enrollment.objects.get().is_active
    again = client.post(
        reverse("enrollment:refund_request_withdraw", args=[order.number]), follow=True
    )
    assert b"no open refund request" in again.content
    assert open_request.status_changes.count() == 2


def test_nobody_withdraws_another_learners_request(client, open_request):
    client.force_login(UserFactory())
    response = client.post(
        reverse("enrollment:refund_request_withdraw", args=[open_request.order.number])
    )
    assert response.status_code == HTTPStatus.NOT_FOUND
    open_request.refresh_from_db()
    assert open_request.status == RefundRequest.Status.OPEN


def test_director_declines_with_a_note_the_learner_sees(client, director, open_request):
    client.force_login(director)
    url = reverse("admin:enrollment_refundrequest_changelist")
    form = {"action": "decline", "_selected_action": [open_request.pk]}
    confirm = client.post(url, form)
    assert b"Note to the learner" in confirm.content
    client.post(url, {**form, "confirm": "yes", "note": "The course was completed."})
    open_request.refresh_from_db()
    assert open_request.status == RefundRequest.Status.DECLINED
    assert open_request.decided_by == director
    assert moves(open_request)[-1] == ("open", "declined", "director")
    client.force_login(open_request.order.user)
    page = client.get(open_request.order.get_absolute_url())
    assert b"Declined \xe2\x80\x94 The course was completed." in page.content


def test_a_declined_request_cannot_then_be_approved(director, open_request):
    refunds.refund_request_decline(request=open_request, director=director, note="No")
    assert not refunds.refund_request_decline(request=open_request, director=director, note="x")
    open_request.refresh_from_db()
    with pytest.raises(states.IllegalTransition):
        states.refund_request_move(
            request=open_request, to=RefundRequest.Status.APPROVED, actor="director"
        )
    open_request.refresh_from_db()
    assert open_request.status == RefundRequest.Status.DECLINED
