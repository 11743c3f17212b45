"""How orders and enrollments change status: one function each, with a history row.

Every other module of the app moves an order through `order_move` and ends access
through `enrollment_revoke`; nothing else writes those statuses.
"""

from django.utils import timezone

from .models import Enrollment, Order, OrderStatusChange
from .signals import enrollment_revoked

Actor = OrderStatusChange.Actor


class IllegalTransition(Exception):
    pass


def order_move(
    *,
    order: Order,
    to: str,
    actor: str,
    actor_user=None,
    event_id: str = "",
    note: str = "",
) -> None:
    """The one way an order changes status: refuses illegal moves, keeps the history."""
    if not order.can_move_to(to):
        raise IllegalTransition(f"order {order.number} cannot go from {order.status} to {to}")
    OrderStatusChange.objects.create(
        order=order,
        from_status=order.status,
        to_status=to,
        actor=actor,
        actor_user=actor_user,
        stripe_event_id=event_id,
        note=note[:500],
    )
    order.status = to
    order.save()


def enrollment_revoke(*, enrollment: Enrollment, reason: str) -> None:
    """Access ends at once; later apps (certificates) hear it through the signal."""
    enrollment.status = Enrollment.Status.REVOKED
    enrollment.revoked_at = timezone.now()
    enrollment.revoke_reason = reason[:500]
    enrollment.save(update_fields=["status", "revoked_at", "revoke_reason"])
    enrollment_revoked.send(sender=Enrollment, enrollment=enrollment, reason=reason)
