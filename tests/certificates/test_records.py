"""Issue 9: frozen facts, the confirmation step, permissions, public reasons, reinstating,
rosters and CE Broker's file, tagged PDFs."""

import csv
import io
import subprocess
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from certificates import services, states
from certificates.facts import Holder
from certificates.models import Certificate
from courses.models import CEBrokerProfessionCode
from enrollment import refunds
from tests.certificates.conftest import confirm_and_issue
from tests.factories import (
    ApprovingBodyFactory,
    CourseApprovalFactory,
    ProviderApprovalFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "c.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split())


def staff(*codenames: str):
    user = UserFactory(is_staff=True)
    perms = Permission.objects.filter(
        content_type__app_label="certificates", codename__in=["view_certificate", *codenames]
    )
    user.user_permissions.set(perms)
    return user


# --- 1. facts frozen at completion ----------------------------------------------------


def test_a_reissue_keeps_the_course_facts_of_completion_and_prints_the_new_name(
    certificate, tmp_path
):
    course = certificate.enrollment.course
    course.title = "A renamed course"
    course.ce_credits = Decimal("8")
    course.save()
    link = course.course_approvals.get()
    link.credits = Decimal("8")
    link.save()
    link.approval.statement = "A rewritten approval statement."
    link.approval.save()
    user = certificate.enrollment.user
    user.certificate_name = "Corrected Name"
    user.save()

    new = states.certificate_reissue(certificate=certificate, note="Name correction")

    assert new.holder_name == "Corrected Name"
    assert new.course_title == certificate.course_title != "A renamed course"
    assert new.ce_credits == Decimal("3.0")
    assert new.approval_statement == certificate.approval_statement
    assert new.completed_on == certificate.completed_on
    assert new.instructors == certificate.instructors
    text = pdf_text(services.certificate_pdf(certificate=new), tmp_path)
    assert "Corrected Name" in text
    assert "3 CE credits (APA)" in text
    # The factory's title ("Course number 38") runs into the next label ("CE credits"):
    # read the rest of the page without it, or the check depends on the test order.
    assert new.course_title in text
    assert "8 CE credits" not in text.replace(new.course_title, "")
    assert "A rewritten approval statement." not in text


def test_a_profession_correction_picks_its_line_from_the_frozen_approvals(certificate):
    course = certificate.enrollment.course
    # Only approvals the course carried at completion count, not ones added later.
    CourseApprovalFactory(
        course=course,
        approval=ProviderApprovalFactory(
            body=ApprovingBodyFactory(name="NBCC", abbreviation="NBCC"), professions=["counselor"]
        ),
    )
    holder = Holder(name="Pat Counselor", profession="counselor", license_number="LPC 9",
                    jurisdiction="TX")  # fmt: skip
    new = states.certificate_reissue(certificate=certificate, note="Profession", holder=holder)
    assert new.credit_type == "hours of instruction"
    assert not new.has_approved_credit
    assert new.approval_statement == ""


def test_an_approval_whose_period_ended_before_completion_is_not_printed(completed):
    approval = completed.course.course_approvals.get().approval
    approval.valid_until = approval.valid_from
    approval.save()
    certificate = confirm_and_issue(completed)
    assert certificate.approving_body == ""
    assert certificate.credit_line == "3 hours of instruction"


def test_hours_print_where_the_body_says_hours(completed):
    body = completed.course.course_approvals.get().approval.body
    body.credit_unit = "contact hours"
    body.save()
    assert confirm_and_issue(completed).credit_line == "3 contact hours (APA)"


# --- 2. the learner confirms what will be printed --------------------------------------


def certificate_url(enrollment):
    return reverse("certificates:course", args=[enrollment.course.slug])


def test_the_certificate_page_shows_the_details_and_issues_nothing_until_confirmed(
    client, completed
):
    client.force_login(completed.user)
    page = client.get(certificate_url(completed)).content.decode()
    assert "Confirm what your certificate will say" in page
    assert completed.user.certificate_name in page
    assert completed.user.license_number in page
    assert "California" in page
    assert "Psychologist" in page
    assert "3 CE credits (APA)" in page
    assert not Certificate.objects.exists()
    unticked = client.post(
        certificate_url(completed), {"details": Holder.of(completed.user).fingerprint}
    )
    assert b"Tick the box to confirm the details above." in unticked.content
    assert not Certificate.objects.exists()


def test_confirming_issues_the_certificate(client, completed):
    client.force_login(completed.user)
    response = client.post(
        certificate_url(completed),
        {"confirm": "on", "details": Holder.of(completed.user).fingerprint},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert completed.certificates.get().status == "valid"


def test_details_changed_after_the_page_was_shown_are_not_issued(client, completed):
    client.force_login(completed.user)
    shown = Holder.of(completed.user).fingerprint
    completed.user.certificate_name = "Someone Else"
    completed.user.save()
    response = client.post(certificate_url(completed), {"confirm": "on", "details": shown})
    assert b"changed since this page was shown" in response.content
    assert not Certificate.objects.exists()


def test_no_certificate_without_a_license_or_the_no_license_statement(client, completed):
    user = completed.user
    user.license_number = ""
    user.license_jurisdiction = ""
    user.save()
    client.force_login(user)
    page = client.get(certificate_url(completed)).content.decode()
    assert "your license number and its state or province" in page
    assert "Issue my certificate" not in page
    response = client.post(
        certificate_url(completed), {"confirm": "on", "details": Holder.of(user).fingerprint}
    )
    assert response.status_code == HTTPStatus.OK
    assert not Certificate.objects.exists()


def test_a_learner_without_a_license_gets_a_certificate_that_says_so(completed, tmp_path):
    user = completed.user
    user.license_number = ""
    user.license_jurisdiction = ""
    user.no_license = True
    user.save()
    certificate = confirm_and_issue(completed)
    assert certificate.no_license
    assert certificate.license_display == "License: none stated by the participant"
    text = pdf_text(services.certificate_pdf(certificate=certificate), tmp_path)
    assert "License: none stated by the participant" in text
    body = Client().get(certificate.get_absolute_url()).content.decode()
    assert "None stated by the participant" in body


def test_the_confirmation_warns_a_profession_no_approval_covers(client, completed):
    completed.user.profession = "mft"
    completed.user.save()
    client.force_login(completed.user)
    page = client.get(certificate_url(completed)).content.decode()
    assert "None of this course's approvals covers your profession" in page
    assert "no approved CE credit for your profession" in page


@pytest.mark.parametrize("count", [1, 10])
def test_confirmation_and_certificate_pages_query_budget(
    client, completed, count, django_assert_max_num_queries
):
    for _ in range(count - 1):
        CourseApprovalFactory(course=completed.course)
    client.force_login(completed.user)
    with django_assert_max_num_queries(16):
        assert client.get(certificate_url(completed)).status_code == HTTPStatus.OK
    confirm_and_issue(completed)
    with django_assert_max_num_queries(6):
        assert client.get(certificate_url(completed)).status_code == HTTPStatus.OK


# --- 5. permissions --------------------------------------------------------------------


def test_staff_without_the_permission_cannot_download_someone_elses_pdf(client, certificate):
    url = reverse("certificates:download", args=[certificate.code])
    client.force_login(staff())
    assert client.get(url).status_code == HTTPStatus.FORBIDDEN
    client.force_login(staff("download_any_certificate"))
    assert client.get(url).status_code == HTTPStatus.OK


def roster_query(course=None, fmt="roster"):
    return {"course": course.pk if course else "", "completed_from": "2000-01-01",
            "completed_to": "2100-01-01", "format": fmt}  # fmt: skip


def test_roster_export_needs_its_permission(client, certificate):
    url = reverse("admin:certificates_roster")
    changelist = reverse("admin:certificates_certificate_changelist")
    client.force_login(staff())
    assert client.get(url, roster_query()).status_code == HTTPStatus.FORBIDDEN
    assert url.encode() not in client.get(changelist).content
    client.force_login(staff("export_roster"))
    assert client.get(url).status_code == HTTPStatus.OK
    assert client.get(url, roster_query()).status_code == HTTPStatus.OK
    assert url.encode() in client.get(changelist).content


@pytest.mark.parametrize(
    ("action", "codename"),
    [("revoke", "revoke_certificate"), ("reinstate", "reinstate_certificate"),
     ("reissue", "correct_certificate")],
)  # fmt: skip
def test_each_certificate_action_needs_its_permission(client, certificate, action, codename):
    changelist = reverse("admin:certificates_certificate_changelist")
    client.force_login(staff())
    assert f'value="{action}"'.encode() not in client.get(changelist).content
    client.force_login(staff(codename))
    assert f'value="{action}"'.encode() in client.get(changelist).content


def test_name_correction_needs_its_permission_not_the_right_to_edit_users(client, certificate):
    url = reverse("admin:certificates_certificate_correct", args=[certificate.pk])
    change = reverse("admin:certificates_certificate_change", args=[certificate.pk])
    client.force_login(staff())
    assert client.get(url).status_code == HTTPStatus.FORBIDDEN
    assert url.encode() not in client.get(change).content
    registrar = staff("correct_certificate")
    assert not registrar.has_perm("accounts.change_user")
    client.force_login(registrar)
    assert url.encode() in client.get(change).content
    assert client.get(url).status_code == HTTPStatus.OK
    response = client.post(
        url,
        {"certificate_name": "Dr. Corrected Person", "credentials": "PsyD",
         "profession": "psychologist", "license_number": "PSY 777", "license_jurisdiction": "NV",
         "note": "Learner asked by email"},
    )  # fmt: skip
    assert response.status_code == HTTPStatus.FOUND
    certificate.refresh_from_db()
    new = certificate.replaced_by
    assert (new.holder_name, new.license_number, new.license_jurisdiction) == (
        "Dr. Corrected Person",
        "PSY 777",
        "Nevada",
    )
    assert (
        certificate.enrollment.user.__class__.objects.get(
            pk=certificate.enrollment.user_id
        ).certificate_name
        == "Dr. Corrected Person"
    )
    change = certificate.status_changes.last()
    assert (change.to_status, change.actor_user, change.note) == (
        "reissued",
        registrar,
        "Learner asked by email",
    )


def test_a_tampered_correction_changes_nothing(client, certificate):
    client.force_login(staff("correct_certificate"))
    url = reverse("admin:certificates_certificate_correct", args=[certificate.pk])
    response = client.post(
        url, {"certificate_name": "X", "license_number": "1", "license_jurisdiction": "ZZ",
              "note": "n"}
    )  # fmt: skip
    assert response.status_code == HTTPStatus.OK
    certificate.refresh_from_db()
    assert certificate.status == "valid"
    assert certificate.enrollment.user.certificate_name != "X"


# --- 6 and 7. public reasons, reinstating, status history -------------------------------


def test_director_reinstates_a_revoked_certificate_and_the_history_shows_both(client, certificate):
    states.certificate_revoke(certificate=certificate, public_reason="issued_in_error",
                              note="Clicked the wrong row")  # fmt: skip
    director = staff("reinstate_certificate")
    client.force_login(director)
    client.post(
        reverse("admin:certificates_certificate_changelist"),
        {"action": "reinstate", "_selected_action": [certificate.pk], "confirm": "yes",
         "note": "Revoked by mistake"},
    )  # fmt: skip
    certificate.refresh_from_db()
    assert certificate.status == "valid"
    assert certificate.public_reason == ""
    assert [(c.from_status, c.to_status) for c in certificate.status_changes.all()] == [
        ("", "valid"),
        ("valid", "revoked"),
        ("revoked", "valid"),
    ]
    assert "VALID" in Client().get(certificate.get_absolute_url()).content.decode()


def test_a_refunded_certificate_cannot_be_reinstated(certificate, fake_stripe):
    refunds.order_refund(order=certificate.enrollment.order, reason="Refund", actor="director")
    certificate.refresh_from_db()
    with pytest.raises(ValidationError, match="enrollment in this course was revoked"):
        states.certificate_reinstate(certificate=certificate, note="Please")
    certificate.refresh_from_db()
    assert certificate.status == "revoked"


def test_the_admin_page_shows_the_status_history_read_only(client, director, certificate):
    states.certificate_revoke(certificate=certificate, public_reason="withdrawn_by_provider",
                              note="Audit finding")  # fmt: skip
    client.force_login(director)
    page = client.get(reverse("admin:certificates_certificate_change", args=[certificate.pk]))
    body = page.content.decode()
    assert "Status history" in body or "status history" in body
    assert "Audit finding" in body
    assert "status_changes-0-note" not in body


def test_certificates_cannot_be_deleted_in_admin_even_by_a_superuser(client, director, certificate):
    assert director.is_superuser
    client.force_login(director)
    delete = reverse("admin:certificates_certificate_delete", args=[certificate.pk])
    assert client.get(delete).status_code == HTTPStatus.FORBIDDEN
    assert client.post(delete, {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
    changelist = reverse("admin:certificates_certificate_changelist")
    assert b"delete_selected" not in client.get(changelist).content
    client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [certificate.pk], "post": "yes"},
    )
    assert Certificate.objects.filter(pk=certificate.pk).exists()
    assert certificate.status_changes.exists()


def test_a_reissued_page_never_shows_the_internal_note(client, certificate):
    states.certificate_reissue(certificate=certificate, note="Private: learner's divorce")
    body = client.get(certificate.get_absolute_url()).content.decode()
    assert "REISSUED" in body
    assert "divorce" not in body
    json = client.get(reverse("certificates:verify_json", args=[certificate.display_code]))
    assert "divorce" not in json.content.decode()


# --- 4. rosters ------------------------------------------------------------------------


def test_roster_csv_has_every_column_a_board_asks_for(client, director, certificate):
    client.force_login(director)
    response = client.get(reverse("admin:certificates_roster"), roster_query())
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 1
    row = rows[0]
    assert row["holder_name"] == certificate.holder_name
    assert row["profession"] == "Psychologist"
    assert row["license_number"] == certificate.license_number
    assert row["jurisdiction"] == "CA"
    assert row["approving_body"] == "APA"
    assert row["credits"] == "3.0"
    assert row["credit_type"] == "CE credits"
    assert row["post_test_score"] == "100"
    assert row["certificate_code"] == certificate.display_code
    assert row["status"] == "valid"


def test_roster_cells_cannot_run_as_formulas(client, director, completed):
    completed.user.certificate_name = "=HYPERLINK(1)"
    completed.user.save()
    confirm_and_issue(completed)
    client.force_login(director)
    text = client.get(reverse("admin:certificates_roster"), roster_query()).content.decode()
    assert "'=HYPERLINK(1)" in text


def test_cebroker_file_follows_its_roster_columns(client, director, completed, tmp_path):
    body = ApprovingBodyFactory(name="Florida 491 board", abbreviation="FL 491 Board",
                                credit_unit="CE hours", reports_to_cebroker=True)  # fmt: skip
    CEBrokerProfessionCode.objects.create(body=body, profession="counselor", code="MHC")
    CourseApprovalFactory(
        course=completed.course,
        course_number="20-912345",
        approval=ProviderApprovalFactory(
            body=body, provider_number="50-31337", professions=["counselor"], jurisdictions=["FL"]
        ),
    )
    user = completed.user
    user.profession, user.license_number, user.license_jurisdiction = "counselor", "MH 4242", "FL"
    user.save()
    certificate = confirm_and_issue(completed)
    assert certificate.credit_line == "3 CE hours (FL 491 Board)"
    client.force_login(director)
    response = client.get(
        reverse("admin:certificates_roster"), roster_query(completed.course, "cebroker")
    )
    assert response.status_code == HTTPStatus.OK
    assert "cebroker-roster-" in response["Content-Disposition"]
    day = certificate.completed_on
    assert list(csv.reader(io.StringIO(response.content.decode()))) == [
        ["31337", "912345", "", "", "MH 4242", f"{day.month}/{day.day}/{day.year}",
         "State=FL", "Profession=MHC"]
    ]  # fmt: skip
    (tmp_path / "cebroker.csv").write_bytes(response.content)
    roster = client.get(reverse("admin:certificates_roster"), roster_query()).content.decode()
    assert "included" in roster


def test_the_cebroker_file_leaves_out_what_cebroker_cannot_take(client, director, certificate):
    body = certificate.approval.body
    body.reports_to_cebroker = True
    body.save()
    client.force_login(director)
    assert (
        client.get(reverse("admin:certificates_roster"), roster_query(fmt="cebroker")).content
        == b""
    )
    roster = client.get(reverse("admin:certificates_roster"), roster_query()).content.decode()
    assert "left out: no CE Broker profession code for this profession" in roster


def test_roster_query_budget_does_not_grow(client, director, completed,
                                           django_assert_max_num_queries):  # fmt: skip
    confirm_and_issue(completed)
    client.force_login(director)
    with django_assert_max_num_queries(8):
        client.get(reverse("admin:certificates_roster"), roster_query())


# --- 8. accessible PDFs ----------------------------------------------------------------


def assert_tagged(data: bytes, title_start: str) -> None:
    reader = PdfReader(io.BytesIO(data))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"].value is True
    assert root["/Lang"] == "en"
    assert root["/ViewerPreferences"]["/DisplayDocTitle"].value is True
    assert reader.metadata.title.startswith(title_start)
    assert b"pdfuaid" in root["/Metadata"].get_object().get_data()


def test_the_certificate_pdf_is_tagged_pdf_ua(certificate, tmp_path):
    data = services.certificate_pdf(certificate=certificate)
    assert_tagged(data, "Certificate of Completion")
    path = tmp_path / "c.pdf"
    path.write_bytes(data)
    structure = subprocess.run(
        ["pdfinfo", "-struct", str(path)], capture_output=True, text=True, check=True
    ).stdout
    # Reading order: the heading, the holder, then the facts table.
    assert structure.index("H1") < structure.index("P") < structure.index("Table")
    assert "Figure" in structure


def test_the_transcript_pdf_is_tagged_pdf_ua(client, certificate):
    client.force_login(certificate.enrollment.user)
    data = client.get(reverse("certificates:transcript_pdf")).content
    assert_tagged(data, "CE transcript")
