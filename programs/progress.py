"""How far a learner is along a program, from their enrollments and certificates.

A course is done when the learner's active enrollment in it has a valid Certificate of
Completion, in progress when the enrollment is active without one, and not bought
otherwise: a refund (the enrollment revoked) or a revoked certificate takes a course
back out. Pure reads; two queries for any number of courses.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery

from certificates.models import Certificate
from courses.caching import course_cached_data
from courses.models import Course
from enrollment.hooks import Panel
from enrollment.models import Enrollment

from .models import Program, ProgramCourse

DONE, IN_PROGRESS, NOT_BOUGHT = "done", "in_progress", "not_bought"
STATE_LABELS = {DONE: "Completed", IN_PROGRESS: "In progress", NOT_BOUGHT: "Not yet bought"}


@dataclass
class CourseStep:
    membership: ProgramCourse
    state: str = NOT_BOUGHT
    certificate_id: int | None = None

    @property
    def course(self) -> Course:
        return self.membership.course

    @property
    def required(self) -> bool:
        return self.membership.required

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]


@dataclass
class Progress:
    program: Program
    steps: list[CourseStep] = field(default_factory=list)
    credential: object = None  # the learner's valid ProgramCredential, when loaded

    @property
    def required_steps(self) -> list[CourseStep]:
        return [s for s in self.steps if s.required]

    @property
    def elective_steps(self) -> list[CourseStep]:
        return [s for s in self.steps if not s.required]

    @property
    def electives_needed(self) -> int:
        return min(self.program.electives_required, len(self.elective_steps))

    @property
    def total_credits(self) -> Decimal:
        """The credits the program adds up to: the required courses and the electives
        that count (see counted_steps)."""
        return sum((s.course.ce_credits for s in self.counted_steps()), Decimal(0))

    @property
    def credit_range(self) -> tuple[Decimal, Decimal]:
        """The fewest and the most credits completing the program can take: the required
        courses plus the lightest, or the heaviest, electives it needs."""
        required = sum((s.course.ce_credits for s in self.required_steps), Decimal(0))
        electives = sorted(s.course.ce_credits for s in self.elective_steps)
        needed = self.electives_needed
        heaviest = electives[len(electives) - needed :] if needed else []
        return required + sum(electives[:needed], Decimal(0)), required + sum(heaviest, Decimal(0))

    @property
    def credits_done(self) -> Decimal:
        return sum((s.course.ce_credits for s in self.steps if s.state == DONE), Decimal(0))

    @property
    def done_count(self) -> int:
        return sum(1 for s in self.counted_steps() if s.state == DONE)

    @property
    def needed_count(self) -> int:
        return len(self.required_steps) + self.electives_needed

    @property
    def in_progress_count(self) -> int:
        return sum(1 for s in self.steps if s.state == IN_PROGRESS)

    @property
    def complete(self) -> bool:
        return bool(self.steps) and self.done_count >= self.needed_count

    @property
    def started(self) -> bool:
        return any(s.state != NOT_BOUGHT for s in self.steps)

    @property
    def to_buy(self) -> list[CourseStep]:
        return [s for s in self.steps if s.state == NOT_BOUGHT]

    def counted_steps(self) -> list[CourseStep]:
        """The courses that count toward completion: every required course, and the
        electives done first, then the others in program order, up to the number needed."""
        electives = sorted(self.elective_steps, key=lambda s: s.state != DONE)
        return self.required_steps + electives[: self.electives_needed]

    def relied_on_certificates(self) -> list[int]:
        return [s.certificate_id for s in self.counted_steps() if s.certificate_id]


def memberships(program: Program) -> list[ProgramCourse]:
    """The program's published courses, in order."""
    return list(
        ProgramCourse.objects.filter(program=program, course__status=Course.Status.PUBLISHED)
        .select_related("course")
        .order_by("position", "pk")
    )


def program_progress(
    program: Program, user, members: list[ProgramCourse] | None = None
) -> Progress:
    members = memberships(program) if members is None else members
    progress = Progress(program=program, steps=[CourseStep(membership=m) for m in members])
    if not user.is_authenticated or not members:
        return progress
    states = _course_states(user, [m.course_id for m in members])
    for step in progress.steps:
        step.state, step.certificate_id = states.get(step.course.pk, (NOT_BOUGHT, None))
    return progress


def _course_states(user, course_ids) -> dict[int, tuple[str, int | None]]:
    rows = (
        Enrollment.objects.active()
        .filter(user=user, course_id__in=course_ids)
        .prefetch_related(
            Prefetch(
                "certificates",
                queryset=Certificate.objects.filter(status=Certificate.Status.VALID).only(
                    "pk", "enrollment_id"
                ),
                to_attr="valid_certificates",
            )
        )
    )
    states = {}
    for enrollment in rows:
        certificate = enrollment.valid_certificates[0] if enrollment.valid_certificates else None
        states[enrollment.course_id] = (
            (DONE, certificate.pk) if certificate else (IN_PROGRESS, None)
        )
    return states


def program_learners(program: Program, limit: int = 200) -> list[tuple[object, Progress]]:
    """Every learner with an active enrollment in one of the program's courses and their
    progress, by email (for the director); three queries whatever their number."""
    members = memberships(program)
    rows = (
        Enrollment.objects.active()
        .filter(course__in=[m.course_id for m in members])
        .select_related("user")
        .prefetch_related(
            Prefetch(
                "certificates",
                queryset=Certificate.objects.filter(status=Certificate.Status.VALID).only(
                    "pk", "enrollment_id"
                ),
                to_attr="valid_certificates",
            )
        )
        .order_by("user__email", "pk")
    )
    by_user: dict[int, tuple[object, dict]] = {}
    for enrollment in rows:
        user, states = by_user.setdefault(enrollment.user_id, (enrollment.user, {}))
        certificate = enrollment.valid_certificates[0] if enrollment.valid_certificates else None
        states[enrollment.course_id] = (
            (DONE, certificate.pk) if certificate else (IN_PROGRESS, None)
        )
    found = []
    for user, states in list(by_user.values())[:limit]:
        progress = Progress(program=program, steps=[CourseStep(membership=m) for m in members])
        for step in progress.steps:
            step.state, step.certificate_id = states.get(step.course.pk, (NOT_BOUGHT, None))
        found.append((user, progress))
    return found


def _published_programs() -> list[Program]:
    """Every published program with its published member courses in order and the ids of
    all its member courses: public data, kept under the catalog version (any program,
    membership or course change replaces it)."""

    def build() -> list[Program]:
        programs = list(
            Program.objects.filter(is_published=True)
            .order_by("title")
            .prefetch_related(
                Prefetch(
                    "memberships",
                    queryset=ProgramCourse.objects.filter(course__status=Course.Status.PUBLISHED)
                    .select_related("course")
                    .order_by("position", "pk"),
                    to_attr="published_memberships",
                )
            )
        )
        members = ProgramCourse.objects.filter(program__in=programs).values_list(
            "program_id", "course_id"
        )
        course_ids: dict[int, set[int]] = {}
        for program_id, course_id in members:
            course_ids.setdefault(program_id, set()).add(course_id)
        for program in programs:
            program.member_course_ids = course_ids.get(program.pk, set())
        return programs

    return course_cached_data("published-programs", build)


def learner_programs(user) -> list[Progress]:
    """The published programs the learner has started (bought at least one course): the
    programs from the shared cache, the learner's courses in one query."""
    if not user.is_authenticated:
        return []
    programs = _published_programs()
    if not programs:
        return []
    valid = Certificate.objects.filter(
        enrollment=OuterRef("pk"), status=Certificate.Status.VALID
    ).values("pk")[:1]
    rows = (
        Enrollment.objects.active()
        .filter(user=user)
        .order_by()
        .annotate(certificate_id=Subquery(valid))
        .values_list("course_id", "certificate_id")
    )
    states = {
        course_id: (DONE, certificate_id) if certificate_id else (IN_PROGRESS, None)
        for course_id, certificate_id in rows
    }
    found = []
    for program in programs:
        if states.keys().isdisjoint(program.member_course_ids):
            continue
        progress = Progress(
            program=program,
            steps=[CourseStep(membership=m) for m in program.published_memberships],
        )
        for step in progress.steps:
            step.state, step.certificate_id = states.get(step.course.pk, (NOT_BOUGHT, None))
        found.append(progress)
    return found


# --- hooks for apps to the left -----------------------------------------------------------


def program_links(course=None) -> list[dict]:
    """courses.hooks: the published programs of a course (or all), for links."""
    qs = Program.objects.filter(is_published=True)
    if course is not None:
        rows = (
            ProgramCourse.objects.filter(course=course, program__is_published=True)
            .select_related("program")
            .order_by("program__title")
        )
        return [
            {
                "title": row.program.title,
                "url": row.program.get_absolute_url(),
                "description": row.program.description,
                "credential_name": row.program.credential_name,
                "required": row.required,
            }
            for row in rows
        ]
    qs = qs.annotate(
        course_count=Count(
            "memberships", filter=Q(memberships__course__status=Course.Status.PUBLISHED)
        )
    )
    return [
        {
            "title": program.title,
            "url": program.get_absolute_url(),
            "description": program.description,
            "credential_name": program.credential_name,
            "course_count": program.course_count,
        }
        for program in qs.order_by("title")
    ]


def my_courses_panel(user) -> list[Panel]:
    """enrollment.hooks: the learner's programs and their progress on "My courses"."""
    found = learner_programs(user)
    if not found:
        return []
    credentials = {
        c.program_id: c
        for c in user.program_credentials.filter(status="valid").only("program_id", "code")
    }
    for progress in found:
        progress.credential = credentials.get(progress.program.pk)
    return [Panel(template="programs/_my_programs.html", context={"progresses": found})]


def transcript_panel(user) -> list[Panel]:
    """certificates.hooks: the learner's valid program credentials on the transcript."""
    held = list(user.program_credentials.filter(status="valid").order_by("-completed_on"))
    if not held:
        return []
    return [
        Panel(
            template="programs/_transcript.html",
            context={"heading": "Program certificates", "credentials": held},
        )
    ]
