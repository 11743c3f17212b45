"""Bulk data for growth checks: many published courses, a learner with a long history, a
course with many sections.

Rows are written with bulk_create, not through the services (which would take minutes
for a thousand courses): the rows are the ones the services leave behind (a paid order,
its active enrollment, a valid certificate with its printed facts), which is all the
pages read. Used by the query-budget tests (50 rows) and by `manage.py seed_growth`
(bench/, 1,000 courses, 100 enrollments and certificates, 40 sections).
"""

import uuid
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from certificates.models import Certificate
from courses.models import Course, CourseInstructor, Instructor, LearningObjective, Level, Section
from enrollment.models import Enrollment, Order, OrderStatus

LEVELS = [Level.INTRODUCTORY, Level.INTERMEDIATE, Level.ADVANCED]


@transaction.atomic
def courses_published(count: int, *, prefix: str = "growth") -> list[Course]:
    """`count` published courses, each with an instructor and an objective."""
    tag = uuid.uuid4().hex[:6]
    now = timezone.now()
    courses = Course.objects.bulk_create(
        Course(
            title=f"Clinical practice topic {tag} {n:04d}",
            slug=f"{prefix}-{tag}-{n:04d}",
            status=Course.Status.PUBLISHED,
            published_at=now,
            summary="Evidence-based practice for clinicians, with a post-test.",
            description="A longer description.\n\nWith two paragraphs.",
            price_cents=4900 + n % 7 * 1000,
            ce_credits=Decimal("1.5") + n % 4,
            level=LEVELS[n % 3],
            target_audience="Psychologists, counselors and social workers.",
            format_summary="Manuscript and audio.",
        )
        for n in range(count)
    )
    instructors = Instructor.objects.bulk_create(
        Instructor(
            name=f"Instructor {tag} {n}",
            slug=f"{prefix}-{tag}-instructor-{n}",
            credentials="PhD",
            headline="Psychologist",
            bio="Teaches clinicians.",
        )
        for n in range(max(1, count // 10))
    )
    CourseInstructor.objects.bulk_create(
        CourseInstructor(course=course, instructor=instructors[n % len(instructors)], order=0)
        for n, course in enumerate(courses)
    )
    LearningObjective.objects.bulk_create(
        LearningObjective(course=course, text="describe the evidence,", order=1)
        for course in courses
    )
    return courses


@transaction.atomic
def sections_add(course: Course, count: int) -> list[Section]:
    start = (course.sections.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    return Section.objects.bulk_create(
        Section(course=course, order=start + n, title=f"Part {start + n}", body="Read *this*.")
        for n in range(count)
    )


@transaction.atomic
def learner_history(user, courses: list[Course], *, certificates: bool = True) -> list[Enrollment]:
    """A paid order and an active enrollment in each course; with `certificates`, a valid
    certificate for each enrollment, completed on consecutive days going back."""
    now = timezone.now()
    orders = Order.objects.bulk_create(
        Order(
            number=f"G{uuid.uuid4().hex[:12].upper()}",
            user=user,
            course=course,
            status=OrderStatus.PAID,
            gateway="demo",
            course_title=course.title,
            price_cents=course.price_cents,
            currency=course.currency,
            ce_credits=course.ce_credits,
            credit_type="CE credits",
            amount_paid_cents=course.price_cents,
            paid_at=now,
        )
        for course in courses
    )
    enrollments = Enrollment.objects.bulk_create(
        Enrollment(user=user, course=course, order=order)
        for course, order in zip(courses, orders, strict=True)
    )
    if certificates:
        today = date.today()
        Certificate.objects.bulk_create(
            Certificate(
                enrollment=enrollment,
                holder_name=user.certificate_name or "A Learner",
                holder_credentials=getattr(user, "credentials", ""),
                course_title=enrollment.course.title,
                ce_credits=enrollment.course.ce_credits,
                credit_type="CE credits",
                approving_body="American Psychological Association",
                instructors="Instructor",
                completed_on=today - timedelta(days=n),
                sponsor_name="Clinician CE Institute",
                holder_confirmed_at=now,
            )
            for n, enrollment in enumerate(enrollments)
        )
    return enrollments
