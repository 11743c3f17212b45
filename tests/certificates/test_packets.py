"""The audit packet: one click gives a course's records for a period as a ZIP."""

import csv
import io
import zipfile
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from courses.models import CourseInstructor, Instructor
from tests.certificates.conftest import certificate, completed  # noqa: F401
from tests.factories import UserFactory
from tests.testing.conftest import bank, evaluation_items, ready  # noqa: F401

pytestmark = pytest.mark.django_db

URL = reverse("admin:certificates_audit_packet")


def packet_for(client, course, start, end):
    return client.get(
        URL,
        {"course": course.pk, "period_from": start.isoformat(), "period_to": end.isoformat()},
    )


def opened(response) -> zipfile.ZipFile:
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.content))


def rows(archive, name) -> list[dict]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))


@pytest.fixture
def audited(certificate):  # noqa: F811
    """A completed course whose instructor holds a CV and a disclosure, and whose page
    the director rewrote after the period being audited."""
    course = certificate.enrollment.course
    instructor = Instructor.objects.create(
        name="Ada Audit",
        slug="ada-audit",
        bio="Teaches.",
        conflict_disclosure="No relevant financial relationships.",
        conflict_disclosed_on=timezone.localdate() - timedelta(days=30),
    )
    instructor.cv.save("ada-cv.pdf", ContentFile(b"%PDF-1.4 Ada's CV"), save=True)
    CourseInstructor.objects.create(course=course, instructor=instructor, order=9)
    return certificate


def test_director_downloads_a_course_packet_with_every_record(client, director, audited):
    course = audited.enrollment.course
    today = timezone.localdate()
    old_description = course.description
    client.force_login(director)
    response = packet_for(client, course, today, today)
    assert f"audit-packet-{course.slug}-{today}" in response["Content-Disposition"]
    archive = opened(response)
    names = set(archive.namelist())
    assert {
        "README.txt",
        "roster.csv",
        "post-test-results.csv",
        "evaluation-means.csv",
        f"course-page-start-{today}.html",
        f"course-page-end-{today}.html",
        "instructors/ada-audit/cv.pdf",
        "instructors/ada-audit/conflict-of-interest.txt",
    } <= names
    roster = rows(archive, "roster.csv")
    assert [r["certificate_code"] for r in roster] == [audited.display_code]
    results = rows(archive, "post-test-results.csv")
    assert [r["passed"] for r in results] == ["yes"]
    assert results[0]["email"] == audited.enrollment.user.email
    means = rows(archive, "evaluation-means.csv")
    assert means
    assert all(r["responses"] == "1" for r in means)
    page = archive.read(f"course-page-end-{today}.html").decode()
    assert old_description in page
    assert "Test CE Sponsor is approved by the APA" in page
    assert archive.read("instructors/ada-audit/cv.pdf") == b"%PDF-1.4 Ada's CV"
    disclosure = archive.read("instructors/ada-audit/conflict-of-interest.txt").decode()
    assert "No relevant financial relationships." in disclosure
    assert director.email in archive.read("README.txt").decode()


def test_the_packet_shows_the_page_at_the_start_and_at_the_end_of_the_period(
    client, director, audited
):
    course = audited.enrollment.course
    start = timezone.localdate() - timedelta(days=10)
    end = timezone.localdate() + timedelta(days=1)
    course.history.update(history_date=timezone.now() - timedelta(days=5))
    course.description = "Rewritten during the period."
    course.save()
    client.force_login(director)
    archive = opened(packet_for(client, course, start, end))
    at_start = archive.read(f"course-page-start-{start}.html").decode()
    at_end = archive.read(f"course-page-end-{end}.html").decode()
    assert "No version of this course page was recorded" in at_start
    assert "Rewritten during the period." in at_end


def test_a_period_without_completions_gives_an_empty_roster_not_an_error(client, director, audited):
    long_ago = timezone.localdate() - timedelta(days=400)
    client.force_login(director)
    archive = opened(
        packet_for(client, audited.enrollment.course, long_ago, long_ago + timedelta(days=1))
    )
    assert rows(archive, "roster.csv") == []
    assert rows(archive, "post-test-results.csv") == []


def test_dates_in_the_wrong_order_are_refused_with_a_message(client, director, audited):
    today = timezone.localdate()
    client.force_login(director)
    response = packet_for(client, audited.enrollment.course, today, today - timedelta(days=1))
    assert response.status_code == HTTPStatus.OK
    assert b"The start date is after the end date." in response.content


def test_the_packet_needs_the_roster_permission(client, audited):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    today = timezone.localdate()
    course = audited.enrollment.course
    assert packet_for(client, course, today, today).status_code == HTTPStatus.FORBIDDEN
    assert client.get(URL).status_code == HTTPStatus.FORBIDDEN
    staff.user_permissions.add(Permission.objects.get(codename="export_roster"))
    client.force_login(staff)
    assert client.get(URL).status_code == HTTPStatus.OK
    assert opened(packet_for(client, course, today, today)).namelist()
