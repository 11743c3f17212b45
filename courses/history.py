"""What a course page said on a given date, from the content history (django-simple-history).

Course, LearningObjective, Section, CourseInstructor, Instructor and ProgramPolicies keep
every version. `course_as_of` rebuilds the page's content at a moment: the director shows
it to an auditor, and the audit packet prints it for the start and end of a period.
"""

from dataclasses import dataclass
from datetime import datetime
from itertools import chain

from django.utils import timezone

from .credits import CreditOption, current_options
from .models import (
    ApprovingBody,
    Course,
    CourseApproval,
    CourseInstructor,
    Instructor,
    LearningObjective,
    ProgramPolicies,
    ProviderApproval,
    Section,
)


@dataclass(frozen=True)
class CourseContentAsOf:
    """The course page content at `when`. Model instances rebuilt from history rows."""

    when: datetime
    course: Course
    version_saved_at: datetime
    version_saved_by: str
    objectives: list[LearningObjective]
    sections: list[Section]
    instructors: list[Instructor]
    policies: ProgramPolicies | None
    approvals: list[CreditOption]


@dataclass(frozen=True)
class ContentChange:
    """One saved version of a piece of the course's content, for the change log."""

    at: datetime
    what: str
    label: str
    kind: str
    by: str
    reason: str


def _saved_by(record) -> str:
    user = record.history_user
    return user.email if user is not None else "the system (no signed-in user)"


def course_as_of(*, course: Course, when: datetime) -> CourseContentAsOf | None:
    """The course page as it stood at `when`; None when no version is that old.

    Nine queries, whatever the number of objectives, sections, instructors and approvals.
    """
    record = (
        Course.history.filter(id=course.pk, history_date__lte=when)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
        .first()
    )
    if record is None or record.history_type == "-":
        return None
    objectives = list(
        LearningObjective.history.as_of(when).filter(course_id=course.pk).order_by("order", "id")
    )
    sections = list(Section.history.as_of(when).filter(course_id=course.pk).order_by("order", "id"))
    links = list(
        CourseInstructor.history.as_of(when).filter(course_id=course.pk).order_by("order", "id")
    )
    by_id = {
        i.pk: i
        for i in Instructor.history.as_of(when).filter(
            id__in=[link.instructor_id for link in links]
        )
    }
    policies = ProgramPolicies.history.as_of(when).filter(id=1).first()
    return CourseContentAsOf(
        when=when,
        course=record.instance,
        version_saved_at=record.history_date,
        version_saved_by=_saved_by(record),
        objectives=objectives,
        sections=sections,
        instructors=[by_id[link.instructor_id] for link in links if link.instructor_id in by_id],
        policies=policies,
        approvals=_approvals_as_of(course, when),
    )


def _approvals_as_of(course: Course, when: datetime) -> list[CreditOption]:
    """The approval statements and credit lines the course page showed at `when`: the
    approvals the course carried then, with the wording and period they had then."""
    links = list(
        CourseApproval.history.as_of(when).filter(course_id=course.pk).order_by("order", "id")
    )
    approvals = {
        a.pk: a
        for a in ProviderApproval.history.as_of(when).filter(id__in=[x.approval_id for x in links])
    }
    bodies = {
        b.pk: b
        for b in ApprovingBody.history.as_of(when).filter(
            id__in=[a.body_id for a in approvals.values()]
        )
    }
    options = []
    for link in links:
        approval = approvals.get(link.approval_id)
        body = bodies.get(approval.body_id) if approval else None
        if body is None:
            continue
        options.append(
            CreditOption(
                body=body.name,
                body_abbreviation=body.abbreviation,
                provider_number=approval.provider_number,
                course_number=link.course_number,
                credits=link.credits,
                unit=link.credit_unit or body.credit_unit,
                statement=approval.statement,
                professions=tuple(approval.professions),
                jurisdictions=tuple(approval.jurisdictions),
                valid_from=approval.valid_from,
                valid_until=approval.valid_until,
                approval_id=approval.pk,
                reports_to_cebroker=body.reports_to_cebroker,
            )
        )
    # The page advertises only approvals current on the day (courses.views).
    return current_options(options, on=timezone.localdate(when))


def course_history_starts(*, course: Course) -> datetime | None:
    """When the first recorded version of the course was saved."""
    return (
        Course.history.filter(id=course.pk)
        .order_by("history_date")
        .values_list("history_date", flat=True)
        .first()
    )


def course_content_changes(*, course: Course, limit: int = 50) -> list[ContentChange]:
    """The latest saved versions of the course, its objectives, sections and instructor
    list, newest first, with who saved them. Four queries."""
    kinds = {"+": "added", "~": "changed", "-": "removed"}
    sources = [
        ("Course page", Course.history.filter(id=course.pk), lambda r: r.title),
        ("Objective", LearningObjective.history.filter(course_id=course.pk), lambda r: r.text),
        ("Manuscript section", Section.history.filter(course_id=course.pk), lambda r: r.title),
        (
            "Instructor listed",
            CourseInstructor.history.filter(course_id=course.pk).select_related("instructor"),
            lambda r: (
                r.instructor.display_name if r.instructor else f"instructor {r.instructor_id}"
            ),
        ),
    ]
    changes = chain.from_iterable(
        (
            ContentChange(
                at=record.history_date,
                what=what,
                label=label(record),
                kind=kinds.get(record.history_type, record.history_type),
                by=_saved_by(record),
                reason=record.history_change_reason or "",
            )
            for record in queryset.select_related("history_user").order_by("-history_date")[:limit]
        )
        for what, queryset, label in sources
    )
    return sorted(changes, key=lambda change: change.at, reverse=True)[:limit]
