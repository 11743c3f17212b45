"""How orders and enrollments change status, through records.transitions.status_move.

Every other module of the app moves an order through `order_move` and ends access
through `enrollment_revoke`; nothing else writes those statuses.
"""

from django.utils import timezone

from records.models import Actor
from records.transitions import IllegalTransition, status_move

from .models import Enrollment, Order
from .signals import enrollment_revoked

__all__ = ["Actor", "IllegalTransition", "enrollment_revoke", "order_move"]


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
