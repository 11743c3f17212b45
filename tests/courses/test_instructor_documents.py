"""Instructors' CVs and conflict-of-interest disclosures: private files, staff only."""

from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courses.models import DOCUMENT_MAX_BYTES, Instructor
from tests.factories import InstructorFactory, UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% a CV\n"


def instructor_form(instructor: Instructor, **changes) -> dict:
    return {
        "name": instructor.name,
        "slug": instructor.slug,
        "credentials": instructor.credentials,
        "headline": instructor.headline,
        "bio": instructor.bio,
        "conflict_disclosure": "",
        "conflict_disclosed_on": "",
        **changes,
    }


def post_form(client, instructor, **changes):
    return client.post(
        reverse("admin:courses_instructor_change", args=[instructor.pk]),
        instructor_form(instructor, **changes),
    )


def test_director_uploads_a_cv_and_a_dated_disclosure(client, director):
    instructor = InstructorFactory()
    client.force_login(director)
    response = post_form(
        client,
        instructor,
        cv=SimpleUploadedFile("gerson-cv.pdf", PDF),
        conflict_disclosure="No relevant financial relationships.",
        conflict_disclosure_file=SimpleUploadedFile("disclosure.pdf", PDF),
        conflict_disclosed_on="2026-01-15",
    )
    assert response.status_code == HTTPStatus.FOUND
    instructor.refresh_from_db()
    stored = Path(instructor.cv.path)
    assert stored.read_bytes() == PDF
    assert stored.is_relative_to(settings.PRIVATE_MEDIA_ROOT)
    assert not stored.is_relative_to(settings.MEDIA_ROOT)
    assert str(instructor.conflict_disclosed_on) == "2026-01-15"
    assert instructor.history.first().history_user == director


def test_a_disclosure_without_a_date_is_refused(client, director):
    instructor = InstructorFactory()
    client.force_login(director)
    response = post_form(client, instructor, conflict_disclosure="Paid speaker for a publisher.")
    assert response.status_code == HTTPStatus.OK
    assert b"Give the date of the conflict-of-interest disclosure." in response.content
    instructor.refresh_from_db()
    assert instructor.conflict_disclosure == ""


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("cv.exe", PDF), b"File extension \xe2\x80\x9cexe\xe2\x80\x9d"),
        (
            SimpleUploadedFile("cv.pdf", b"x" * (DOCUMENT_MAX_BYTES + 1)),
            b"documents can be at most 10 MB",
        ),
    ],
)
def test_a_wrong_or_oversized_cv_is_refused_and_nothing_is_stored(
    client, director, upload, message
):
    instructor = InstructorFactory()
    client.force_login(director)
    response = post_form(client, instructor, cv=upload)
    assert response.status_code == HTTPStatus.OK
    assert message in response.content
    instructor.refresh_from_db()
    assert not instructor.cv


@pytest.fixture
def instructor_with_cv():
    instructor = InstructorFactory()
    instructor.cv.save("gerson-cv.pdf", ContentFile(PDF), save=True)
    return instructor


def document_url(instructor, field="cv"):
    return reverse("admin:courses_instructor_document", args=[instructor.pk, field])


def test_director_downloads_the_cv_from_admin(client, director, instructor_with_cv):
    client.force_login(director)
    change = client.get(reverse("admin:courses_instructor_change", args=[instructor_with_cv.pk]))
    assert document_url(instructor_with_cv).encode() in change.content
    response = client.get(document_url(instructor_with_cv))
    assert response.status_code == HTTPStatus.OK
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment")
    assert "no-store" in response["Cache-Control"]


def test_staff_who_may_view_instructors_download_and_others_get_403(client, instructor_with_cv):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    assert client.get(document_url(instructor_with_cv)).status_code == HTTPStatus.FORBIDDEN
    staff.user_permissions.add(Permission.objects.get(codename="view_instructor"))
    client.force_login(staff)
    assert client.get(document_url(instructor_with_cv)).status_code == HTTPStatus.OK


def test_learners_and_visitors_never_reach_the_cv(client, learner, instructor_with_cv):
    response = client.get(document_url(instructor_with_cv))
    assert response.status_code == HTTPStatus.FOUND
    client.force_login(learner)
    response = client.get(document_url(instructor_with_cv))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("admin:login"))
    public = client.get(instructor_with_cv.get_absolute_url())
    assert b"gerson-cv" not in public.content


def test_a_missing_document_is_a_404_not_a_500(client, director, instructor_with_cv):
    client.force_login(director)
    assert client.get(document_url(instructor_with_cv, "bio")).status_code == 404
    assert client.get(document_url(instructor_with_cv, "conflict_disclosure_file")).status_code == (
        HTTPStatus.NOT_FOUND
    )
    Path(instructor_with_cv.cv.path).unlink()
    assert client.get(document_url(instructor_with_cv)).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("rows", [1, 20])
def test_instructor_list_makes_the_same_queries_for_one_row_or_many(
    client, director, rows, django_assert_num_queries
):
    InstructorFactory.create_batch(
        rows, conflict_disclosure="None.", conflict_disclosed_on="2026-01-01"
    )
    client.force_login(director)
    with django_assert_num_queries(6):
        response = client.get(reverse("admin:courses_instructor_changelist"))
    assert response.status_code == HTTPStatus.OK
