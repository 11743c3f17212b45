import io
from http import HTTPStatus

import pytest
from django.urls import reverse
from pypdf import PdfReader

from certificates.states import certificate_reinstate, certificate_reissue, certificate_revoke
from enrollment.refunds import order_refund
from programs import credentials
from programs.models import ProgramCredential
from records.models import Actor

from .conftest import courses_of

pytestmark = pytest.mark.django_db
Status = ProgramCredential.Status


def test_no_credential_until_the_requirements_are_met(program, learner, complete):
    foundations, technique, *_ = courses_of(program)
    complete(learner, foundations)
    complete(learner, technique)  # both required, but no elective yet
    assert not ProgramCredential.objects.exists()


def test_credential_is_a_snapshot_of_the_program_and_the_certificates(earned, program):
    credential, certificates = earned
    assert credential.status == Status.VALID
    assert credential.holder_name == certificates[-1].holder_name
    assert credential.program_title == program.title
    assert credential.credential_name == "Certificate of Advanced Study"
    assert str(credential.total_credits) == "17.0"
    assert credential.completed_on == max(c.completed_on for c in certificates)
    assert [c["certificate_code"] for c in credential.facts["courses"]] == [
        c.display_code for c in certificates
    ]
    assert set(credential.certificates.all()) == set(certificates)
    assert [h.to_status for h in credential.status_changes.all()] == ["valid"]
    # Later edits to the program do not change it.
    program.title = "Renamed"
    program.save()
    credential.refresh_from_db()
    assert credential.program_title != "Renamed"


def test_a_second_elective_does_not_issue_a_second_credential(earned, program, learner, complete):
    complete(learner, courses_of(program)[3])
    assert ProgramCredential.objects.filter(user=learner).count() == 1


def test_pdf_rendered_at_issue_names_the_holder_program_courses_and_code(earned):
    credential, certificates = earned
    credential.refresh_from_db()
    assert credential.pdf  # stored by the worker task enqueued at issue
    with credential.pdf.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) == 1
    assert "Certificate of Advanced Study" in text
    assert credential.holder_name in text
    assert credential.program_title in text
    assert credential.display_code in text
    assert certificates[0].display_code in text
    assert reader.metadata.title.startswith("Certificate of Advanced Study")


def test_holder_downloads_the_pdf_and_others_get_404(client, earned, program, learner, director):
    credential, _ = earned
    url = reverse("programs:download", args=[credential.display_code])
    client.force_login(learner)
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    other = type(learner).objects.create_user(email="other@example.com", password="x")
    client.force_login(other)
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND


def test_verify_page_and_json(client, earned):
    credential, certificates = earned
    page = client.get(credential.get_absolute_url())
    assert page.status_code == HTTPStatus.OK
    text = page.content.decode()
    assert "VALID" in text
    assert credential.holder_name in text
    assert certificates[1].display_code in text
    assert page["X-Robots-Tag"] == "noindex, nofollow"
    data = client.get(reverse("programs:verify_json", args=[credential.display_code])).json()
    assert data["status"] == "valid"
    assert data["total_credits"] == "17.0"
    assert [c["certificate_code"] for c in data["courses"]] == [
        c.display_code for c in certificates
    ]
    assert data["revocation_reason"] is None
    # A typed code in lower case without dashes is found too; a made-up one is 404.
    typed = credential.code.lower()
    assert client.get(f"/verify/programs/{typed}/").status_code == HTTPStatus.OK
    assert client.get("/verify/programs/0000-0000-0000-0000/").status_code == 404


def test_the_verify_form_finds_a_program_credential_code(client, earned):
    credential, _ = earned
    response = client.get(reverse("certificates:verify_form"), {"code": credential.code.lower()})
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == credential.get_absolute_url()


def test_transcript_lists_the_credential(client, earned, learner):
    credential, _ = earned
    client.force_login(learner)
    page = client.get(reverse("certificates:transcript")).content.decode()
    assert "Program certificates" in page
    assert credential.display_code in page


def test_refund_of_a_relied_on_course_revokes_it_with_a_public_reason(
    client, earned, django_capture_on_commit_callbacks
):
    credential, certificates = earned
    with django_capture_on_commit_callbacks(execute=True):
        order_refund(
            order=certificates[1].enrollment.order, reason="Refund please", actor=Actor.LEARNER
        )
    credential.refresh_from_db()
    assert credential.status == Status.REVOKED
    assert credential.public_reason == ProgramCredential.PublicReason.COURSE_WITHDRAWN
    assert certificates[1].display_code in credential.internal_note
    page = client.get(credential.get_absolute_url()).content.decode()
    assert "REVOKED" in page
    assert "relies on was withdrawn" in page
    assert "Refund please" not in page  # the internal reason stays internal
    data = client.get(reverse("programs:verify_json", args=[credential.display_code])).json()
    assert data["status"] == "revoked"
    assert "withdrawn" in data["revocation_reason"]


def test_revoked_elective_with_another_done_revokes_and_issues_afresh(
    earned, program, learner, complete, director
):
    credential, certificates = earned
    other = complete(learner, courses_of(program)[3])  # the second elective
    certificate_revoke(
        certificate=certificates[2], public_reason="issued_in_error", note="x", actor_user=director
    )
    credential.refresh_from_db()
    assert credential.status == Status.REVOKED
    fresh = ProgramCredential.objects.get(user=learner, status=Status.VALID)
    assert other in fresh.certificates.all()
    assert certificates[2] not in fresh.certificates.all()


def test_a_corrected_course_certificate_keeps_the_credential(earned, director):
    credential, certificates = earned
    new = certificate_reissue(certificate=certificates[0], note="Name typo", actor_user=director)
    credential.refresh_from_db()
    assert credential.status == Status.VALID
    assert new in credential.certificates.all()


def test_reinstating_the_course_certificate_issues_a_new_credential(earned, director):
    credential, certificates = earned
    certificate_revoke(
        certificate=certificates[0], public_reason="issued_in_error", note="x", actor_user=director
    )
    certificate_reinstate(certificate=certificates[0], note="Was right", actor_user=director)
    credential.refresh_from_db()
    assert credential.status == Status.REVOKED  # a revoked credential stays revoked
    fresh = ProgramCredential.objects.get(status=Status.VALID)
    assert fresh.code != credential.code


def test_settling_twice_changes_nothing(earned, learner):
    assert credentials.credentials_settle(user=learner) == []
    assert ProgramCredential.objects.count() == 1


def test_a_failure_while_settling_never_undoes_the_course_certificate(
    program, learner, complete, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr(credentials, "credentials_settle", broken)
    foundations = courses_of(program)[0]
    certificate = complete(learner, foundations)
    assert certificate.status == "valid"
