"""The audit packet: what an approving body asks for about one course and period, as a ZIP.

APA, ASWB ACE, NBCC and state boards audit a sponsor by course: who completed it (the
roster), how they did on the post-test, what they said in the evaluation, what the course
page promised then (objectives, instructors, approval statements) and who taught it
(CVs, conflict-of-interest disclosures). The page content comes from the content history
(courses.history) at the start and at the end of the period.
"""

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import PurePosixPath

from django.db.models import Avg, Count
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from courses.history import course_as_of
from courses.models import Course, CourseInstructor, Instructor
from testing.models import Attempt, EvaluationAnswer
from testing.question_csv import safe_cell

from .rosters import roster_certificates, roster_csv

DOCUMENTS = [("cv", "cv"), ("conflict_disclosure_file", "conflict-of-interest-form")]


@dataclass(frozen=True)
class Packet:
    filename: str
    content: bytes


def _moment(day: date, *, end: bool) -> datetime:
    """The start of the first day, or the end of the last, in the site's time zone."""
    moment = datetime.combine(day + timedelta(days=1) if end else day, time.min)
    return timezone.make_aware(moment) - (timedelta(microseconds=1) if end else timedelta(0))


def _csv(rows: list[list]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8-sig")  # Excel opens UTF-8 with the mark


def _post_test_results(course: Course, start: datetime, end: datetime) -> bytes:
    attempts = (
        Attempt.objects.filter(enrollment__course=course, submitted_at__range=(start, end))
        .select_related("enrollment__user")
        .order_by("submitted_at", "pk")
    )
    rows = [["learner", "email", "attempt_started", "submitted", "score_percent", "passed",
             "status"]]  # fmt: skip
    for attempt in attempts:
        user = attempt.enrollment.user
        rows.append(
            [
                safe_cell(user.certificate_name),
                user.email,
                timezone.localtime(attempt.started_at).isoformat(timespec="minutes"),
                timezone.localtime(attempt.submitted_at).isoformat(timespec="minutes"),
                "" if attempt.score is None else f"{attempt.score.normalize():f}",
                "yes" if attempt.passed else "no",
                attempt.get_status_display(),
            ]
        )
    return _csv(rows)


def _evaluation_means(course: Course, start: datetime, end: datetime) -> bytes:
    items = (
        EvaluationAnswer.objects.filter(
            response__enrollment__course=course, response__submitted_at__range=(start, end)
        )
        .values("item__prompt", "item__kind")
        .annotate(responses=Count("pk"), mean=Avg("rating"))
        .order_by("item__order", "item__pk")
    )
    rows = [["item", "kind", "responses", "mean_rating"]]
    for item in items:
        mean = "" if item["mean"] is None else f"{item['mean']:.2f}"
        rows.append([safe_cell(item["item__prompt"]), item["item__kind"], item["responses"], mean])
    return _csv(rows)


def _course_page(course: Course, when: datetime, label: str) -> bytes:
    snapshot = course_as_of(course=course, when=when)
    html = render_to_string(
        "certificates/packet/course_page.html",
        {
            "course": course,
            "label": label,
            "when": when,
            "snapshot": snapshot,
        },
    )
    return html.encode()


def _instructor_files(course: Course, end: datetime) -> list[tuple[str, bytes]]:
    """Each instructor listed during the period: CV and disclosure as they stood at the
    end of it (older files stay in storage, so a replaced CV is still the right one)."""
    ids = set(
        CourseInstructor.history.filter(course_id=course.pk, history_date__lte=end).values_list(
            "instructor_id", flat=True
        )
    )
    files = []
    for instructor in Instructor.history.as_of(end).filter(id__in=ids).order_by("name"):
        folder = PurePosixPath("instructors") / slugify(instructor.name)
        disclosed = instructor.conflict_disclosed_on
        statement = (
            f"{instructor.display_name}\n\n"
            f"Conflict-of-interest disclosure, dated {disclosed or 'never'}:\n\n"
            f"{instructor.conflict_disclosure or '(no written statement on file)'}\n"
        )
        files.append((str(folder / "conflict-of-interest.txt"), statement.encode()))
        for field, name in [
            ("cv", "cv"),
            ("conflict_disclosure_file", "conflict-of-interest-form"),
        ]:
            document = getattr(instructor, field)
            if not document:
                continue
            suffix = PurePosixPath(document.name).suffix
            try:
                with document.open("rb") as handle:
                    files.append((str(folder / f"{name}{suffix}"), handle.read()))
            except FileNotFoundError:
                missing = f"The stored file {document.name} is missing.\n"
                files.append((str(folder / f"{name}-MISSING.txt"), missing.encode()))
    return files


def audit_packet_build(*, course: Course, start: date, end: date, user) -> Packet:
    """The ZIP for one course and period [start, end] (whole days, site time zone)."""
    begins, ends = _moment(start, end=False), _moment(end, end=True)
    certificates = roster_certificates(start=start, end=end, course=course)
    roster = io.StringIO()
    roster_csv(certificates, roster)
    files = [
        ("roster.csv", roster.getvalue().encode("utf-8-sig")),
        ("post-test-results.csv", _post_test_results(course, begins, ends)),
        ("evaluation-means.csv", _evaluation_means(course, begins, ends)),
        (f"course-page-start-{start.isoformat()}.html", _course_page(course, begins, "start")),
        (f"course-page-end-{end.isoformat()}.html", _course_page(course, ends, "end")),
        *_instructor_files(course, ends),
    ]
    readme = render_to_string(
        "certificates/packet/README.txt",
        {"course": course, "start": start, "end": end, "user": user,
         "generated": timezone.localtime(), "files": [name for name, _ in files]},
    )  # fmt: skip
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", readme)
        for name, content in files:
            archive.writestr(name, content)
    filename = f"audit-packet-{course.slug}-{start.isoformat()}-to-{end.isoformat()}.zip"
    return Packet(filename=filename, content=buffer.getvalue())
