"""A learner whose access to a course ended (a refund) and who opens one of its old links
sees why and when, and can buy it again, instead of a bare 404.

The course's pages raise `AccessEnded` (still a 404 to everything else: the status code,
logs, anyone without that enrollment) and `AccessEndedMiddleware` renders the page.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from .models import Enrollment, OrderStatus


class AccessEnded(Http404):
    def __init__(self, enrollment: Enrollment):
        super().__init__("This learner's access to the course ended.")
        self.enrollment = enrollment


def access_ended_check(user, course_filter: dict) -> None:
    """Raise AccessEnded if `user` once had this course and has it no longer; return
    quietly otherwise (the caller then raises its plain 404)."""
    if not user.is_authenticated:
        return
    ended = (
        Enrollment.objects.filter(user=user, status=Enrollment.Status.REVOKED, **course_filter)
        .select_related("course", "order")
        .order_by("-revoked_at")
        .first()
    )
    if ended is not None:
        raise AccessEnded(ended)


class AccessEndedMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, AccessEnded):
            return None
        enrollment = exception.enrollment
        return render(
            request,
            "enrollment/access_ended.html",
            {
                "enrollment": enrollment,
                "course": enrollment.course,
                "order": enrollment.order,
                "refunded": enrollment.order.status
                in (OrderStatus.REFUNDED, OrderStatus.PARTIALLY_REFUNDED),
                "can_buy": enrollment.course.is_published,
            },
            status=404,
        )
