"""Where a learner is in a course: sections read, and whether the post-test may open."""

from django.core.exceptions import ValidationError

from .models import Enrollment, SectionProgress
from .pagecache import learner_changed


def section_complete(*, enrollment: Enrollment, section, next_section=None) -> None:
    """Mark a section read (idempotent: a unique constraint backs it) and remember where
    the learner goes on, so the course home can offer to resume there. Only this POST
    moves the place: reading a page (GET) writes nothing."""
    if section.course_id != enrollment.course_id:
        raise ValidationError("This section belongs to another course.")
    SectionProgress.objects.get_or_create(enrollment=enrollment, section=section)
    place = next_section or section
    if enrollment.last_section_id != place.pk:
        Enrollment.objects.filter(pk=enrollment.pk).update(last_section=place)
        enrollment.last_section_id = place.pk
    learner_changed(enrollment.user_id)  # the course home resumes elsewhere now


def post_test_unlocked(*, enrollment: Enrollment) -> bool:
    """Whether the post-test may open: the hook the testing app asks before each attempt.

    An inactive (refunded) enrollment never unlocks it; a course that does not require
    every section unlocks it at once.
    """
    if not enrollment.is_active:
        return False
    if not enrollment.course.require_all_sections:
        return True
    if hasattr(enrollment, "state_sections_unread"):  # Enrollment.objects.with_learner_state()
        return not enrollment.state_sections_unread
    read = SectionProgress.objects.filter(enrollment=enrollment).values("section")
    return not enrollment.course.sections.exclude(pk__in=read).exists()
