import io
import subprocess
import threading
import time
from http import HTTPStatus

import pytest
import segno
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from PIL import Image

from certificates import services, states
from certificates.facts import Holder
from certificates.models import Certificate
from enrollment import refunds
from tests.certificates.conftest import confirm_and_issue
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes, tmp_path, mode: str = "-layout") -> str:
    """The PDF's text; `-raw` keeps a wrapped table cell's lines together."""
    path = tmp_path / "c.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", mode, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_certificate_is_issued_once_the_learner_confirms(certificate):
    enrollment = certificate.enrollment
    user, course = enrollment.user, enrollment.course
    assert certificate.status == "valid"
    assert certificate.holder_name == user.certificate_name
    assert certificate.holder_credentials == user.credentials
    assert certificate.holder_profession == "psychologist"
    assert certificate.license_number == user.license_number
    assert certificate.license_jurisdiction == "California"
    assert certificate.license_jurisdiction_code == "CA"
    assert certificate.course_title == course.title
    assert certificate.ce_credits == 3
    assert certificate.credit_type == "CE credits"
    assert certificate.approving_body == "APA"
    assert certificate.approval_statement.startswith("Test CE Sponsor is approved by the APA")
    assert certificate.sponsor_name == "Test CE Sponsor"
    assert certificate.holder_confirmed_at is not None
    assert [(c.from_status, c.to_status, c.actor) for c in certificate.status_changes.all()] == [
        ("", "valid", "learner")
    ]


def test_no_certificate_before_the_rules_are_met(ready, bank):
    with pytest.raises(ValidationError, match="pass the post-test"):
        confirm_and_issue(ready)
    assert set(services.issue_blockers(enrollment=ready)) == {
        "pass the post-test",
        "submit the course evaluation",
    }
    assert not Certificate.objects.exists()


def test_a_learner_without_a_certificate_name_is_asked_for_it(client, completed):
    completed.user.certificate_name = ""
    completed.user.save()
    client.force_login(completed.user)
    page = client.get(reverse("certificates:course", args=[completed.course.slug]))
    assert b"add the name to print" in page.content
    assert b"Issue my certificate" not in page.content
    assert not Certificate.objects.exists()


def test_issuing_is_idempotent(certificate):
    assert confirm_and_issue(certificate.enrollment) == certificate
    assert Certificate.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_confirmations_issue_one_certificate(completed):
    barrier = threading.Barrier(5)
    url = reverse("certificates:course", args=[completed.course.slug])
    fingerprint = Holder.of(completed.user).fingerprint

    def confirm():
        client = Client()
        client.force_login(completed.user)
        barrier.wait()
        try:
            client.post(url, {"confirm": "on", "details": fingerprint})
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Certificate.objects.filter(status="valid").count() == 1


def test_the_pdf_is_rendered_and_stored_at_issue_and_holds_the_facts(certificate, tmp_path):
    assert certificate.pdf, "the worker stores the PDF when the certificate is issued"
    assert certificate.pdf.storage.exists(certificate.pdf.name)
    with certificate.pdf.open("rb") as handle:
        data = handle.read()
    assert data.startswith(b"%PDF")
    text = " ".join(pdf_text(data, tmp_path).split())
    assert certificate.holder_name in text
    assert certificate.course_title in text
    assert "3 CE credits (APA)" in text
    assert "Psychologist · License PSY" in text
    assert "California" in text
    assert "Test CE Sponsor is approved by the APA" in text
    assert certificate.display_code in text
    assert "Certificate of Completion" in text
    info = subprocess.run(["pdfinfo", str(tmp_path / "c.pdf")], capture_output=True, text=True)
    assert "Title:           Certificate of Completion" in info.stdout
    assert "Page size:       792 x 612 pts (letter)" in info.stdout


def test_the_qr_code_encodes_the_verification_url(certificate):
    url = services.verification_url(certificate)
    assert url.endswith(f"/verify/{certificate.display_code}/")
    html = services.certificate_html(certificate)
    assert segno.make(url, error="m").svg_data_uri(scale=4, border=2) in html
    assert url in html


def test_a_stored_pdf_is_served_and_never_rendered_again(client, certificate):
    stored = certificate.pdf.name
    client.force_login(certificate.enrollment.user)
    url = reverse("certificates:download", args=[certificate.code])
    first = b"".join(client.get(url).streaming_content)
    assert services.certificate_pdf_store.call(certificate_id=certificate.pk) == stored
    second = b"".join(client.get(url).streaming_content)
    assert first == second
    with certificate.pdf.open("rb") as handle:
        assert handle.read() == first


def test_until_the_worker_has_stored_it_the_download_says_it_is_being_prepared(
    client, certificate, django_capture_on_commit_callbacks
):
    Certificate.objects.filter(pk=certificate.pk).update(pdf="")
    client.force_login(certificate.enrollment.user)
    url = reverse("certificates:download", args=[certificate.code])
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.get(url)
    assert response.status_code == HTTPStatus.ACCEPTED
    assert response["Retry-After"] == "5"
    assert b"being prepared" in response.content
    assert f'href="{url}"'.encode() in response.content  # a plain link, no script
    assert len(queued) == 1, "a render is queued"
    queued[0]()  # the worker's turn
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_the_pdf_keeps_the_logo_and_signature_of_its_issue_day(completed, policies, tmp_path):
    policies.certificate_logo.save("logo.png", ContentFile(png(120, 40)))
    policies.certificate_signature.save("signature.png", ContentFile(png(90, 30)))
    certificate = confirm_and_issue(completed)
    # The director uploads a new logo later: the issued certificate does not change.
    policies.certificate_logo.save("logo.png", ContentFile(png(300, 300)))
    assert certificate.logo.name != policies.certificate_logo.name
    fresh = services.certificate_pdf_render(certificate=certificate)
    (tmp_path / "c.pdf").write_bytes(fresh)
    images = subprocess.run(
        ["pdfimages", "-list", str(tmp_path / "c.pdf")], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    sizes = sorted((int(line.split()[3]), int(line.split()[4])) for line in images)
    assert sizes == [(90, 30), (120, 40)]


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (11, 79, 138)).save(out, "PNG")
    return out.getvalue()


def test_holder_downloads_with_a_sensible_file_name(client, certificate):
    client.force_login(certificate.enrollment.user)
    response = client.get(reverse("certificates:download", args=[certificate.code]))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert certificate.display_code in response["Content-Disposition"]


def test_another_learner_cannot_download_it(client, certificate):
    client.force_login(UserFactory())
    response = client.get(reverse("certificates:download", args=[certificate.code]))
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_staff_can_download_any_certificate_with_the_permission(client, certificate, director):
    client.force_login(director)
    assert client.get(reverse("certificates:download", args=[certificate.code])).status_code == 200


def verify(client, code):
    return client.get(reverse("certificates:verify", args=[code]))


def test_verification_shows_valid_and_the_facts(client, certificate):
    response = verify(client, certificate.display_code)
    body = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "VALID" in body
    assert certificate.holder_display in body
    assert certificate.course_title in body
    assert certificate.license_number not in body
    assert certificate.license_number[-4:] in body
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert 'content="noindex, nofollow"' in body


def test_verification_accepts_sloppy_typing(client, certificate):
    sloppy = certificate.code.lower().replace("0", "o").replace("1", "l")
    assert verify(client, sloppy).status_code == HTTPStatus.OK
    form = client.get(reverse("certificates:verify_form"), {"code": sloppy})
    assert form["Location"] == certificate.get_absolute_url()


def test_verification_json(client, certificate):
    response = client.get(reverse("certificates:verify_json", args=[certificate.display_code]))
    data = response.json()
    assert data["status"] == "valid"
    assert data["holder"] == certificate.holder_display
    assert data["ce_credits"] == "3.0"
    assert data["license_number_last4"].endswith(certificate.license_number[-4:])
    assert certificate.license_number not in str(data)


@pytest.mark.parametrize("code", ["0000-0000-0000-0000", "not-a-code", "<script>", "x" * 39])
def test_unknown_or_malformed_codes_get_a_plain_404(client, certificate, code):
    response = verify(client, code)
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert b"No certificate has this code" in response.content
    assert b"<script>" not in response.content.split(b"<main")[1]


def test_refund_revokes_the_certificate_with_a_neutral_public_reason(
    client, certificate, fake_stripe
):
    order = certificate.enrollment.order
    refunds.order_refund(order=order, reason="Not satisfied", actor="director")
    body = verify(client, certificate.display_code).content.decode()
    assert "REVOKED" in body
    assert "Withdrawn at the participant&#x27;s request" in body
    assert order.number not in body
    assert "Refund" not in body.split("<main")[1]
    data = client.get(reverse("certificates:verify_json", args=[certificate.display_code])).json()
    assert data["revocation_reason"] == "Withdrawn at the participant's request"
    assert order.number not in str(data)
    certificate.refresh_from_db()
    assert certificate.internal_note == f"Refund on order {order.number}"
    assert certificate.public_reason == "withdrawn_at_request"
    client.force_login(certificate.enrollment.user)
    response = client.get(reverse("certificates:download", args=[certificate.code]))
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_director_revokes_with_a_public_reason_and_an_internal_note(client, director, certificate):
    client.force_login(director)
    url = reverse("admin:certificates_certificate_changelist")
    form = {"action": "revoke", "_selected_action": [certificate.pk]}
    assert b"Confirm" in client.post(url, form).content
    client.post(
        url,
        {**form, "confirm": "yes", "public_reason": "issued_in_error",
         "note": "Learner emailed: wrong course"},
    )  # fmt: skip
    certificate.refresh_from_db()
    assert certificate.status == "revoked"
    body = verify(Client(), certificate.display_code).content.decode()
    assert "Issued in error" in body
    assert "wrong course" not in body
    change = certificate.status_changes.last()
    assert (change.to_status, change.actor_user, change.public_reason) == (
        "revoked",
        director,
        "issued_in_error",
    )


def test_reissue_after_a_name_correction_keeps_history(client, director, certificate):
    user = certificate.enrollment.user
    user.certificate_name = "Corrected Name"
    user.save()
    client.force_login(director)
    client.post(
        reverse("admin:certificates_certificate_changelist"),
        {"action": "reissue", "_selected_action": [certificate.pk], "confirm": "yes",
         "note": "Name correction"},
    )  # fmt: skip
    certificate.refresh_from_db()
    new = certificate.replaced_by
    assert certificate.status == "reissued"
    assert new.status == "valid"
    assert new.code != certificate.code
    assert new.holder_name == "Corrected Name"
    assert new.completed_on == certificate.completed_on
    body = verify(Client(), certificate.display_code).content.decode()
    assert "REISSUED" in body
    assert new.get_absolute_url() in body


def a_fresh_minute() -> None:
    """The lookup limit counts per clock minute: do not start in its last seconds."""
    if time.time() % 60 > 50:
        time.sleep(61 - time.time() % 60)


def test_verification_is_rate_limited_per_address(client, certificate, settings):
    settings.CERTIFICATE_VERIFY_RATE_PER_MINUTE = 3
    a_fresh_minute()
    statuses = [verify(client, certificate.display_code).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = verify(client, certificate.display_code)
    assert b"Too many lookups" in response.content
    assert response["Retry-After"] == "60"
    other = Client(REMOTE_ADDR="10.9.8.7")
    assert verify(other, certificate.display_code).status_code == HTTPStatus.OK


def test_behind_one_proxy_each_client_has_its_own_lookup_budget(certificate, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.CERTIFICATE_VERIFY_RATE_PER_MINUTE = 2

    def lookup(forwarded_for: str) -> int:
        nginx = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded_for)
        return verify(nginx, certificate.display_code).status_code

    a_fresh_minute()
    assert [lookup("203.0.113.5") for _ in range(3)] == [200, 200, 429]
    assert lookup("198.51.100.1, 203.0.113.5") == 429  # a made-up header changes nothing
    assert lookup("203.0.113.6") == 200  # another client, its own budget


def test_transcript_totals_by_type_and_year(client, certificate, tmp_path):
    client.force_login(certificate.enrollment.user)
    page = client.get(reverse("certificates:transcript")).content.decode()
    assert certificate.course_title in page
    assert "CE credits (APA): <strong>3</strong>" in page
    csv_text = client.get(reverse("certificates:transcript_csv")).content.decode()
    assert certificate.display_code in csv_text
    pdf = client.get(reverse("certificates:transcript_pdf")).content
    assert certificate.course_title in " ".join(pdf_text(pdf, tmp_path, "-raw").split())


def test_roster_export_for_boards(client, director, certificate):
    client.force_login(director)
    response = client.get(
        reverse("admin:certificates_roster"),
        {
            "course": certificate.enrollment.course.pk,
            "completed_from": "2000-01-01",
            "completed_to": "2100-01-01",
            "format": "roster",
        },
    )
    text = response.content.decode()
    assert "license_number" in text.splitlines()[0]
    assert certificate.enrollment.user.email in text
    assert certificate.license_number in text
    assert certificate.display_code in text


def test_admin_finds_a_certificate_by_its_code(client, director, certificate):
    client.force_login(director)
    response = client.get(
        reverse("admin:certificates_certificate_changelist"), {"q": certificate.code.lower()}
    )
    assert certificate.holder_name.encode() in response.content


@pytest.mark.parametrize("count", [1, 20])
def test_verification_and_transcript_query_budgets(
    client, certificate, count, django_assert_max_num_queries, settings
):
    # The lookup limit counts in the shared cache: Redis in production, no SQL at all.
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    for _ in range(count - 1):
        Certificate.objects.create(
            **{
                f.name: getattr(certificate, f.name)
                for f in Certificate._meta.fields
                if f.name
                not in {"id", "code", "status", "pdf", "enrollment", "revoked_at", "public_reason"}
            },
            enrollment=certificate.enrollment,
            status="revoked",
            revoked_at=certificate.issued_at,
            public_reason="issued_in_error",
        )
    with django_assert_max_num_queries(3):
        assert verify(client, certificate.display_code).status_code == 200
    client.force_login(certificate.enrollment.user)
    with django_assert_max_num_queries(4):
        assert client.get(reverse("certificates:transcript")).status_code == 200


@pytest.mark.parametrize("typed", ["a/b", "../../etc", "x" * 500, "%00"])
def test_the_verify_form_answers_nonsense_with_the_plain_404(client, typed):
    response = client.get(reverse("certificates:verify_form"), {"code": typed})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert b"No certificate has this code" in response.content


def test_a_certificate_the_director_revoked_is_not_issued_again(client, certificate):
    states.certificate_revoke(
        certificate=certificate,
        public_reason="requirements_not_met",
        note="Attendance not verified",
    )
    client.force_login(certificate.enrollment.user)
    url = reverse("certificates:course", args=[certificate.enrollment.course.slug])
    page = client.get(url)
    assert b"was revoked" in page.content
    assert b"Course requirements not met" in page.content
    assert b"Attendance not verified" not in page.content
    details = Holder.of(certificate.enrollment.user).fingerprint
    client.post(url, {"confirm": "on", "details": details})
    assert Certificate.objects.filter(status="valid").count() == 0


def test_the_admin_certificate_page_opens_and_links_the_pdf(client, director, certificate):
    client.force_login(director)
    page = client.get(reverse("admin:certificates_certificate_change", args=[certificate.pk]))
    assert page.status_code == HTTPStatus.OK
    url = reverse("certificates:download", args=[certificate.display_code])
    assert url.encode() in page.content
    assert client.get(url).status_code == HTTPStatus.OK


def test_admin_shows_the_code_as_boards_type_it(client, director, certificate):
    client.force_login(director)
    listing = client.get(reverse("admin:certificates_certificate_changelist")).content.decode()
    page = client.get(reverse("admin:certificates_certificate_change", args=[certificate.pk]))
    body = page.content.decode()
    for html in (listing, body):
        assert certificate.display_code in html
        assert certificate.code not in html  # never the stored form without its dashes
    assert "Certificate code" in body


def test_roster_refuses_a_backwards_date_range(client, director, certificate):
    client.force_login(director)
    response = client.get(
        reverse("admin:certificates_roster"),
        {"course": certificate.enrollment.course.pk, "completed_from": "2030-01-01",
         "completed_to": "2020-01-01", "format": "roster"},
    )  # fmt: skip
    assert b"The start date is after the end date." in response.content
