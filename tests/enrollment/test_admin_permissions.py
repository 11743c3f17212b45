"""Refund permissions, records that cannot be deleted, and the admin lists' query budgets."""

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enrollment import refunds
from enrollment.models import Enrollment, Order, OrderStatus, Refund, RefundRequest, StripeEvent
from tests.factories import UserFactory
from tests.stripe_fake import event, refund_object, signed_post

pytestmark = pytest.mark.django_db

ORDERS = "admin:enrollment_order_changelist"
REQUESTS = "admin:enrollment_refundrequest_changelist"


def staff_with(*codenames: str):
    """A staff account (not a superuser) holding exactly these enrollment permissions."""
    user = UserFactory(is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="enrollment", codename__in=codenames)
    )
    return user


def refund_action(client, order, **extra):
    return client.post(
        reverse(ORDERS), {"action": "refund_orders", "_selected_action": [order.pk], **extra}
    )


def test_staff_without_refund_permission_sees_no_refund_action_and_gets_403(
    client, paid_order, fake_stripe
):
    client.force_login(staff_with("view_order"))
    listing = client.get(reverse(ORDERS))
    assert listing.status_code == HTTPStatus.OK
    assert b"refund_orders" not in listing.content
    change = client.get(reverse("admin:enrollment_order_change", args=[paid_order.pk]))
    assert b"Refund\xe2\x80\xa6" not in change.content
    assert refund_action(client, paid_order).status_code == HTTPStatus.FORBIDDEN
    confirmed = refund_action(client, paid_order, confirm="yes", reason="x")
    assert confirmed.status_code == HTTPStatus.FORBIDDEN
    url = reverse("admin:enrollment_order_refund", args=[paid_order.pk])
    assert client.get(url).status_code == HTTPStatus.FORBIDDEN
    assert client.post(url, {"confirm": "yes", "reason": "x"}).status_code == 403
    assert not Refund.objects.exists()


def test_staff_with_refund_permission_refunds_from_the_list_and_from_the_order(
    client, paid_order, fake_stripe
):
    client.force_login(staff_with("view_order", "refund_order"))
    assert b"refund_orders" in client.get(reverse(ORDERS)).content
    change = client.get(reverse("admin:enrollment_order_change", args=[paid_order.pk]))
    url = reverse("admin:enrollment_order_refund", args=[paid_order.pk])
    assert url.encode() in change.content
    confirm = client.get(url)
    assert confirm.status_code == HTTPStatus.OK
    assert b"Refund now" in confirm.content
    response = client.post(url, {"confirm": "yes", "reason": "Director's decision"})
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("admin:enrollment_order_change", args=[paid_order.pk])
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.REFUNDED


@pytest.fixture
def open_request(paid_order, settings):
    settings.REFUND_REQUESTS_AUTO_APPROVE = False
    return refunds.refund_request_create(order=paid_order, user=paid_order.user, reason="No")


def decide_urls(refund_request):
    return [
        reverse("admin:enrollment_refundrequest_approve", args=[refund_request.pk]),
        reverse("admin:enrollment_refundrequest_decline", args=[refund_request.pk]),
    ]


def test_staff_without_decide_permission_cannot_approve_or_decline(
    client, open_request, fake_stripe
):
    client.force_login(staff_with("view_refundrequest", "refund_order"))
    listing = client.get(reverse(REQUESTS))
    assert listing.status_code == HTTPStatus.OK
    assert b"approve_and_refund" not in listing.content
    assert b'value="decline"' not in listing.content
    for action in ["approve_and_refund", "decline"]:
        response = client.post(
            reverse(REQUESTS),
            {"action": action, "_selected_action": [open_request.pk], "confirm": "yes",
             "reason": "x", "note": "x"},
        )  # fmt: skip
        assert response.status_code == HTTPStatus.FORBIDDEN
    for url in decide_urls(open_request):
        assert client.get(url).status_code == HTTPStatus.FORBIDDEN
    open_request.refresh_from_db()
    assert open_request.status == RefundRequest.Status.OPEN


def test_deciding_without_refund_permission_may_decline_but_not_approve(
    client, director, open_request, fake_stripe
):
    client.force_login(staff_with("view_refundrequest", "decide_refund_request"))
    listing = client.get(reverse(REQUESTS))
    assert b'value="decline"' in listing.content
    assert b"approve_and_refund" not in listing.content
    approve, decline = decide_urls(open_request)
    assert client.get(approve).status_code == HTTPStatus.FORBIDDEN
    assert client.get(decline).status_code == HTTPStatus.OK
    response = client.post(decline, {"confirm": "yes", "note": "Completed already."})
    assert response.status_code == HTTPStatus.FOUND
    open_request.refresh_from_db()
    assert open_request.status == RefundRequest.Status.DECLINED
    assert open_request.decision_note == "Completed already."


def test_deciding_and_refunding_staff_approve_from_the_request_page(
    client, open_request, fake_stripe
):
    client.force_login(staff_with("view_refundrequest", "decide_refund_request", "refund_order"))
    change = client.get(reverse("admin:enrollment_refundrequest_change", args=[open_request.pk]))
    approve, decline = decide_urls(open_request)
    assert approve.encode() in change.content
    assert decline.encode() in change.content
    assert b"Refund now" in client.get(approve).content
    client.post(approve, {"confirm": "yes", "reason": "Approved"})
    open_request.refresh_from_db()
    assert open_request.status == RefundRequest.Status.APPROVED
    assert open_request.refund.status == Refund.Status.SUCCEEDED
    assert client.get(approve).status_code == HTTPStatus.NOT_FOUND  # decided once


@pytest.fixture
def every_record(client, paid_order, fake_stripe, open_request):
    """An order, its enrollment, a refund, a refund request and a Stripe event."""
    signed_post(
        client, event("refund.created", refund_object(paid_order.stripe_payment_intent_id, 100))
    )
    return {
        "order": paid_order,
        "enrollment": Enrollment.objects.get(),
        "refund": Refund.objects.get(),
        "refundrequest": open_request,
        "stripeevent": StripeEvent.objects.first(),
    }


@pytest.mark.parametrize("model", ["order", "enrollment", "refund", "refundrequest", "stripeevent"])
def test_audit_records_cannot_be_deleted_in_admin_even_by_a_superuser(
    client, director, every_record, model
):
    record = every_record[model]
    client.force_login(director)
    delete = reverse(f"admin:enrollment_{model}_delete", args=[record.pk])
    assert client.get(delete).status_code == HTTPStatus.FORBIDDEN
    assert client.post(delete, {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
    listing = client.get(reverse(f"admin:enrollment_{model}_changelist"))
    assert b"delete_selected" not in listing.content
    bulk = client.post(
        reverse(f"admin:enrollment_{model}_changelist"),
        {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"},
    )
    assert bulk.status_code in {HTTPStatus.OK, HTTPStatus.FOUND}
    assert type(record).objects.filter(pk=record.pk).exists()
    change = client.get(reverse(f"admin:enrollment_{model}_change", args=[record.pk]))
    assert change.status_code == HTTPStatus.OK
    assert b"deletelink" not in change.content
    assert b"-DELETE" not in change.content  # no status history row can be ticked for deletion


def make_records(count, course):
    """Orders, each with an enrollment, a refund, a request and a Stripe event."""
    for _ in range(count):
        order = Order.objects.create(
            user=UserFactory(),
            course=course,
            gateway="demo",
            course_title=course.title,
            price_cents=100,
            currency="USD",
            ce_credits=course.ce_credits,
            credit_type="CE credits for psychologists (APA)",
        )
        Enrollment.objects.create(user=order.user, course=course, order=order)
        Refund.objects.create(order=order, amount_cents=50, stripe_refund_id=f"re_{order.pk}")
        RefundRequest.objects.create(order=order, reason="Why not")
        StripeEvent.objects.create(event_id=f"evt_{order.pk}", type="refund.created", payload={})


@pytest.mark.parametrize("name", ["order", "refund", "refundrequest", "enrollment", "stripeevent"])
def test_admin_lists_make_the_same_queries_for_one_row_or_many(client, director, course, name):
    client.force_login(director)
    url = reverse(f"admin:enrollment_{name}_changelist")
    make_records(1, course)
    client.get(url)  # warm the content-type and permission caches
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == HTTPStatus.OK
    make_records(30, course)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.context["cl"].result_count == 31
    assert len(many) == len(one) <= 12
