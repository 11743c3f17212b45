"""Completion rosters: the CSV a board or auditor reads, and CE Broker's upload file.

CE Broker's layout is the one its help centre gives for its Excel roster upload ("Creating
Excel Files (Full Course Credit)"): one completion per row, no header row, columns
A provider tracking number (without the "50-" prefix), B course tracking number (without
"20-"), C the provider's own course ID (empty when B is given), D a publishing number
(empty), E the license number, F the completion date as M/D/YYYY, G "State=XX" and
H "Profession=CODE". We write it as CSV; CE Broker's page asks for an .xls file, so the
director opens it in Excel and saves it as "Excel 97-2003 Workbook" before uploading.
Only valid certificates under an approval whose body reports to CE Broker go in, and only
when the license number, the jurisdiction and the body's profession code are known; the
roster CSV says which ones were left out and why.
"""

import csv
from dataclasses import dataclass
from datetime import date

from django.db.models import OuterRef, QuerySet, Subquery

from testing.models import Attempt
from testing.question_csv import safe_cell

from .models import Certificate

ROSTER_COLUMNS = [
    "holder_name",
    "credentials",
    "email",
    "profession",
    "license_number",
    "jurisdiction",
    "no_license_stated",
    "course",
    "approving_body",
    "provider_number",
    "course_number",
    "credits",
    "credit_type",
    "completed_on",
    "post_test_score",
    "certificate_code",
    "status",
    "ce_broker_upload",
]


def roster_certificates(*, start: date, end: date, course=None, course_ids=None) -> QuerySet:
    """Certificates completed in [start, end], every status, with the post-test score;
    of one course, or of the courses `course_ids` (a program's), or of all."""
    score = (
        Attempt.objects.filter(enrollment=OuterRef("enrollment"), passed=True)
        .order_by("submitted_at")
        .values("score")[:1]
    )
    rows = Certificate.objects.filter(completed_on__range=(start, end))
    if course is not None:
        rows = rows.filter(enrollment__course=course)
    if course_ids is not None:
        rows = rows.filter(enrollment__course__in=course_ids)
    return (
        rows.select_related("enrollment__user", "approval__body")
        .prefetch_related("approval__body__cebroker_profession_codes")
        .annotate(post_test_score=Subquery(score))
        .order_by("completed_on", "course_title", "holder_name", "pk")
    )


@dataclass(frozen=True)
class CEBrokerRow:
    cells: list[str] | None
    problem: str = ""


def cebroker_row(certificate: Certificate) -> CEBrokerRow | None:
    """The upload row, a row with the reason it cannot go in, or None when the
    certificate's approval does not report to CE Broker at all."""
    approval = certificate.approval
    if approval is None or not approval.body.reports_to_cebroker:
        return None
    if certificate.status != Certificate.Status.VALID:
        return CEBrokerRow(None, f"left out: {certificate.get_status_display().lower()}")
    codes = {c.profession: c.code for c in approval.body.cebroker_profession_codes.all()}
    problem = (
        "no license number" if not certificate.license_number
        else "no jurisdiction" if not certificate.license_jurisdiction_code
        else "no CE Broker profession code for this profession"
        if certificate.holder_profession not in codes
        else "no provider number" if not certificate.provider_number
        else "no course number" if not certificate.course_number
        else ""
    )  # fmt: skip
    if problem:
        return CEBrokerRow(None, f"left out: {problem}")
    day = certificate.completed_on
    return CEBrokerRow(
        [
            safe_cell(certificate.provider_number.removeprefix("50-")),
            safe_cell(certificate.course_number.removeprefix("20-")),
            "",
            "",
            safe_cell(certificate.license_number),
            f"{day.month}/{day.day}/{day.year}",
            f"State={certificate.license_jurisdiction_code}",
            f"Profession={safe_cell(codes[certificate.holder_profession])}",
        ]
    )


def roster_csv(certificates, out) -> None:
    writer = csv.writer(out)
    writer.writerow(ROSTER_COLUMNS)
    for c in certificates:
        upload = cebroker_row(c)
        writer.writerow(
            [
                safe_cell(c.holder_name),
                safe_cell(c.holder_credentials),
                c.enrollment.user.email,
                c.get_holder_profession_display(),
                safe_cell(c.license_number),
                c.license_jurisdiction_code,
                "yes" if c.no_license else "",
                safe_cell(c.course_title),
                safe_cell(c.approving_body),
                safe_cell(c.provider_number),
                safe_cell(c.course_number),
                f"{c.ce_credits:f}",
                c.credit_type,
                c.completed_on.isoformat(),
                "" if c.post_test_score is None else f"{c.post_test_score.normalize():f}",
                c.display_code,
                c.status,
                "" if upload is None else (upload.problem or "included"),
            ]
        )


def cebroker_csv(certificates, out) -> int:
    """Write CE Broker's upload rows; returns how many went in."""
    writer = csv.writer(out)
    count = 0
    for certificate in certificates:
        row = cebroker_row(certificate)
        if row is not None and row.cells:
            writer.writerow(row.cells)
            count += 1
    return count
