import pytest

from enrollment import refunds, states
from enrollment.models import Enrollment, OrderStatus
from records.transitions import IllegalTransition, status_move

pytestmark = pytest.mark.django_db


def test_a_move_writes_one_history_row_with_who_and_why(paid_order, director):
    enrollment = Enrollment.objects.get(order=paid_order)
    states.enrollment_revoke(
        enrollment=enrollment, reason="Access ended by the director", actor="director",
        actor_user=director,
    )  # fmt: skip
    change = enrollment.status_changes.last()
    assert (change.from_status, change.to_status) == ("active", "revoked")
    assert (change.actor, change.actor_user, change.note) == (
        "director",
        director,
        "Access ended by the director",
    )


def test_a_new_enrollment_records_how_it_began(paid_order):
    enrollment = Enrollment.objects.get(order=paid_order)
    first = enrollment.status_changes.get()
    assert (first.from_status, first.to_status) == ("", "active")
    assert paid_order.number in first.note


def test_an_illegal_move_is_refused_and_writes_nothing(paid_order):
    enrollment = Enrollment.objects.get(order=paid_order)
    states.enrollment_revoke(enrollment=enrollment, reason="refund")
    before = enrollment.status_changes.count()
    with pytest.raises(IllegalTransition):
        status_move(enrollment, to=Enrollment.Status.ACTIVE, actor="director")
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.REVOKED
    assert enrollment.status_changes.count() == before


def test_a_refund_records_the_enrollment_revocation_with_the_refunds_actor(
    paid_order, director, fake_stripe, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        refunds.order_refund(
            order=paid_order, reason="not for me", actor="director", approved_by=director
        )
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.REFUNDED
    change = Enrollment.objects.get(order=paid_order).status_changes.last()
    assert (change.to_status, change.actor, change.actor_user) == ("revoked", "director", director)
