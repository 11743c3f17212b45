"""How orders, enrollments, refunds and refund requests change status, through
records.transitions.status_move.

Every other module of the app moves an order through `order_move`, ends access through
`enrollment_revoke`, and moves refunds and refund requests through `refund_move` and
`refund_request_move`; nothing else writes those statuses.
"""

from django.utils import timezone

from records.models import Actor
from records.transitions import IllegalTransition, status_move, status_start

from .models import Enrollment, Order, Refund, RefundRequest
from .signals import enrollment_revoked

__all__ = [
    "Actor",
    "IllegalTransition",
    "enrollment_revoke",
    "order_move",
    "refund_move",
    "refund_request_move",
    "status_start",
]


def order_move(
    *,
    order: Order,
    to: str,
    actor: str,
    actor_user=None,
    event_id: str = "",
    note: str = "",
) -> None:
    """The one way an order changes status: refuses illegal moves, keeps the history.

    The order is saved whole: callers set the payment fields before moving it.
    """
    status_move(
        order, to=to, actor=actor, actor_user=actor_user, note=note, stripe_event_id=event_id
    )


def enrollment_revoke(
    *, enrollment: Enrollment, reason: str, actor: str = Actor.SYSTEM, actor_user=None
) -> None:
    """Access ends at once; later apps (certificates) hear it through the signal."""
    enrollment.revoked_at = timezone.now()
    enrollment.revoke_reason = reason[:500]
    status_move(
        enrollment,
        to=Enrollment.Status.REVOKED,
        actor=actor,
        actor_user=actor_user,
        note=reason,
        update_fields=("revoked_at", "revoke_reason"),
    )
    enrollment_revoked.send(sender=Enrollment, enrollment=enrollment, reason=reason)


def refund_move(
    *, refund: Refund, to: str, actor: str, actor_user=None, event_id: str = "", note: str = ""
) -> None:
    """A refund's status as Stripe reports it; refuses moves Stripe cannot make."""
    status_move(
        refund,
        to=to,
        actor=actor,
        actor_user=actor_user,
        note=note,
        update_fields=(),
        stripe_event_id=event_id,
    )


def refund_request_move(
    *, request: RefundRequest, to: str, actor: str, actor_user=None, note: str = "", refund=None
) -> None:
    """Decide (or withdraw) an open refund request, once, with who, when and why."""
    request.decided_at = timezone.now()
    request.decided_by = actor_user
    request.decision_note = note
    if refund is not None:
        request.refund = refund
    status_move(
        request,
        to=to,
        actor=actor,
        actor_user=actor_user,
        note=note,
        update_fields=("decided_at", "decided_by", "decision_note", "refund"),
    )
