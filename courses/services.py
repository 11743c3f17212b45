"""Catalog rules that span models. Later apps add their own publishing conditions here."""

from django.db import transaction

from .caching import clear_page_cache
from .models import Course


def course_publish_blockers(*, course: Course) -> list[str]:
    """What keeps a course from being published; empty when it may go live."""
    blockers = []
    if not course.objectives.exists():
        blockers.append("it has no learning objectives")
    if not course.course_instructors.exists():
        blockers.append("it has no instructor")
    return blockers


def course_publish(*, course: Course) -> list[str]:
    """Publish the course unless something blocks it; returns the blockers."""
    blockers = course_publish_blockers(course=course)
    if not blockers and not course.is_published:
        course.publish()
        course.save(update_fields=["status", "published_at", "updated_at"])
    return blockers


@transaction.atomic
def course_unpublish(*, course: Course) -> None:
    if course.is_published:
        course.unpublish()
        course.save(update_fields=["status", "updated_at"])
    clear_page_cache()
