"""The certificate PDF is made by the worker; a learner who is quicker sees a plain page."""

from playwright.sync_api import expect

from certificates import services
from certificates.facts import Holder
from certificates.models import Certificate
from demo.management.commands.seed_demo import SEED_SLUG
from tests.e2e.conftest import assert_accessible, screenshot
from tests.e2e.test_certificate import completed_learner


def test_a_pdf_not_made_yet_says_so_and_downloads_on_the_next_click(
    page, server, demo_data, fake_stripe, settings, tmp_path
):
    settings.SITE_URL = server
    order = completed_learner(fake_stripe)
    services.certificate_issue(
        enrollment=order.enrollment, confirmed_fingerprint=Holder.of(order.user).fingerprint
    )
    Certificate.objects.update(pdf="")  # as if the worker had not reached it yet
    page.goto(f"/accounts/login/?next=/learn/{SEED_SLUG}/certificate/")
    page.get_by_label("Email").fill("learner@example.com")
    page.get_by_label("Password").fill("demo-learner-pass")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("link", name="Download the certificate (PDF)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your certificate is being prepared")
    expect(page.get_by_role("status")).to_contain_text("takes a few seconds")
    assert_accessible(page)
    screenshot(page, "certificate-pdf-being-prepared")

    # Asking for it queued a render; the next click gets the stored PDF.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the certificate (PDF)").click()
    pdf = tmp_path / "certificate.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert Certificate.objects.get().pdf
