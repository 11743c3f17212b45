from django import template

from ..models import Enrollment
from ..refunds import refund_rule_text

register = template.Library()


@register.simple_tag(takes_context=True)
def owns_course(context, course) -> bool:
    """Whether the signed-in learner has an active enrollment in the course."""
    user = context["request"].user
    return (
        user.is_authenticated
        and Enrollment.objects.active().filter(user=user, course=course).exists()
    )


@register.simple_tag
def refund_rule() -> str:
    return refund_rule_text()
