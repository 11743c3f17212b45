"""What the course player needs before a course may be sold (courses.services registry)."""

from courses.models import Course


def manuscript_rule(course: Course) -> list[str]:
    """The player opens on the manuscript, and "Complete every section" gates the
    post-test: a course with no section has nothing to study or complete."""
    return [] if course.sections.exists() else ["it has no manuscript section"]
