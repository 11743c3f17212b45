import subprocess

from playwright.sync_api import expect

from accounts.models import User
from courses.models import Course
from demo.journeys import journey_complete
from demo.management.commands.seed_demo import SEED_SLUG
from enrollment import refunds
from tests.e2e.conftest import assert_accessible, screenshot


def completed_learner(fake_stripe):
    """The demo learner, paid through (fake) Stripe, material read, test passed, evaluated."""
    certificate = journey_complete(
        user=User.objects.get(email="learner@example.com"),
        course=Course.objects.get(slug=SEED_SLUG),
        pay=fake_stripe.pay,
    )
    return certificate.enrollment.order


def test_learner_downloads_the_certificate_and_a_board_verifies_it(
    page, browser, server, demo_data, fake_stripe, settings, tmp_path
):
    settings.SITE_URL = server
    order = completed_learner(fake_stripe)
    page.goto(f"/accounts/login/?next=/learn/{SEED_SLUG}/")
    page.get_by_label("Email").fill("learner@example.com")
    page.get_by_label("Password").fill("demo-learner-pass")
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("link", name="Download your certificate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Certificate of Completion")
    assert_accessible(page)
    screenshot(page, "certificate-page")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the certificate (PDF)").click()
    pdf = tmp_path / "certificate.pdf"
    download_info.value.save_as(pdf)
    assert download_info.value.suggested_filename.startswith("certificate-Lee-Learner-")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Lee Learner, PsyD" in text
    assert "Psychodynamics of the Therapeutic Relationship" in text
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(tmp_path / "cert")], check=True)

    verification_url = page.get_by_role("link", name=f"{server}/verify/").first.inner_text()
    board = browser.new_context(base_url=server)
    board_page = board.new_page()
    board_page.goto(verification_url)
    expect(board_page.locator(".verdict")).to_have_text("VALID")
    expect(board_page.get_by_text("Lee Learner, PsyD")).to_be_visible()
    assert_accessible(board_page)
    screenshot(board_page, "verify-valid")

    refunds.order_refund(order=order, reason="Not satisfied", actor="director")
    board_page.reload()
    expect(board_page.locator(".verdict")).to_have_text("REVOKED")
    expect(board_page.get_by_text(f"Refund on order {order.number}")).to_be_visible()
    assert_accessible(board_page)
    screenshot(board_page, "verify-revoked")

    board_page.goto("/verify/")
    assert_accessible(board_page)
    board_page.get_by_label("Certificate code").fill("0000-0000-0000-0000")
    board_page.get_by_role("button", name="Verify").click()
    expect(board_page.get_by_role("heading", level=1)).to_have_text("No certificate has this code")
    assert_accessible(board_page)
    board.close()

    page.goto("/my/transcript/")
    assert_accessible(page)
