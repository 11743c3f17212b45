"""A board checks a certificate PDF on /verify/: the one we issued, an edited copy and,
once revoked, the same PDF again; the learner also downloads the signed credential."""

import subprocess

from playwright.sync_api import expect

from certificates import states
from certificates.models import Certificate
from demo.management.commands.seed_demo import SEED_SLUG
from tests.e2e.conftest import assert_accessible, screenshot
from tests.e2e.test_certificate import completed_learner


def board_uploads(board_page, path) -> None:
    board_page.goto("/verify/")
    board_page.get_by_label("Certificate PDF").set_input_files(str(path))
    board_page.get_by_role("button", name="Check the PDF").click()


def test_a_board_uploads_the_pdf_an_edited_copy_and_a_revoked_one(
    page, browser, server, demo_data, fake_stripe, settings, tmp_path
):
    settings.SITE_URL = server
    completed_learner(fake_stripe)
    page.goto(f"/accounts/login/?next=/learn/{SEED_SLUG}/certificate/")
    page.get_by_label("Email").fill("learner@example.com")
    page.get_by_label("Password").fill("demo-learner-pass")
    page.get_by_role("button", name="Sign In").click()
    page.get_by_label("These details are correct; print them on my certificate.").check()
    page.get_by_role("button", name="Issue my certificate").click()
    expect(page.get_by_text("Your certificate was issued.")).to_be_visible()

    # The learner downloads the signed PDF and the Open Badges credential.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the certificate (PDF)").click()
    pdf = tmp_path / "certificate.pdf"
    download_info.value.save_as(pdf)
    signature = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True).stdout
    assert "Signature is Valid." in signature
    with page.expect_download() as credential_info:
        page.get_by_role("link", name="Download the digital credential (Open Badges 3.0)").click()
    assert credential_info.value.suggested_filename.endswith(".jwt")
    credential = tmp_path / "credential.jwt"
    credential_info.value.save_as(credential)
    assert credential.read_text().count(".") == 2  # header.payload.signature

    board = browser.new_context(base_url=server)
    board_page = board.new_page()
    board_uploads(board_page, pdf)
    expect(board_page.locator(".verdict")).to_have_text("VALID")
    expect(board_page.get_by_text("This PDF is exactly the document we issued")).to_be_visible()
    expect(board_page.locator("main")).to_contain_text("Lee Learner, PsyD")
    assert_accessible(board_page)
    screenshot(board_page, "document-check-valid")
    board_page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(board_page)
    screenshot(board_page, "document-check-valid-phone")
    board_page.set_viewport_size({"width": 1280, "height": 900})

    # An edited copy: one byte of the signed page changed.
    edited = tmp_path / "edited.pdf"
    data = bytearray(pdf.read_bytes())
    data[len(data) // 3] ^= 0x01
    edited.write_bytes(bytes(data))
    board_uploads(board_page, edited)
    expect(board_page.locator(".verdict")).to_have_text("ALTERED")
    expect(board_page.get_by_text("it is not the document we issued")).to_be_visible()
    assert_accessible(board_page)
    screenshot(board_page, "document-check-altered")

    # The director revokes the certificate; the same PDF now says so.
    states.certificate_revoke(
        certificate=Certificate.objects.get(), public_reason="issued_in_error", note="Test"
    )
    board_uploads(board_page, pdf)
    expect(board_page.locator(".verdict")).to_have_text("REVOKED")
    expect(board_page.get_by_text("Issued in error")).to_be_visible()
    assert_accessible(board_page)
    screenshot(board_page, "document-check-revoked")

    # Not a PDF: the form again, with the problem next to the field.
    not_pdf = tmp_path / "notes.pdf"
    not_pdf.write_text("just some text")
    board_uploads(board_page, not_pdf)
    expect(board_page.get_by_role("alert")).to_contain_text("This file is not a PDF")
    assert_accessible(board_page)
    screenshot(board_page, "document-check-not-a-pdf")
    board_page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(board_page)
    screenshot(board_page, "verify-form-phone")
    board.close()
