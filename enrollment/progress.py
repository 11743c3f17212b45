"""Where a learner is in a course: sections read, and whether the post-test may open."""

from django.core.exceptions import ValidationError

from .models import Enrollment, SectionProgress


def section_visit(*, enrollment: Enrollment | None, section) -> None:
    """Remember where the learner is, so the course home can offer to resume there."""
    if enrollment is not None and enrollment.last_section_id != section.pk:
        Enrollment.objects.filter(pk=enrollment.pk).update(last_section=section)


def section_complete(*, enrollment: Enrollment, section) -> None:
    """Mark a section read. Idempotent (a unique constraint backs it)."""
    if section.course_id != enrollment.course_id:
        raise ValidationError("This section belongs to another course.")
    SectionProgress.objects.get_or_create(enrollment=enrollment, section=section)


def post_test_unlocked(*, enrollment: Enrollment) -> bool:
    """Whether the post-test may open: the hook the testing app asks before each attempt.

    An inactive (refunded) enrollment never unlocks it; a course that does not require
    every section unlocks it at once.
    """
    if not enrollment.is_active:
        return False
    if not enrollment.course.require_all_sections:
        return True
    read = SectionProgress.objects.filter(enrollment=enrollment).values("section")
    return not enrollment.course.sections.exclude(pk__in=read).exists()
