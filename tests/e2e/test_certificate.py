import re
import subprocess

from playwright.sync_api import expect

from accounts.models import User
from certificates import services as certificate_services
from certificates.facts import Holder
from certificates.models import Certificate
from courses.models import Course
from demo.journeys import journey_enroll, journey_evaluate, journey_pass, journey_read
from demo.management.commands.seed_demo import SEED_SLUG
from enrollment import refunds
from tests.e2e.conftest import SCREENSHOTS, assert_accessible, screenshot


def completed_learner(fake_stripe):
    """The demo learner, paid through (fake) Stripe, material read, test passed, evaluated;
    the certificate is not issued yet (the learner confirms its details first)."""
    enrollment = journey_enroll(
        user=User.objects.get(email="learner@example.com"),
        course=Course.objects.get(slug=SEED_SLUG),
        pay=fake_stripe.pay,
    )
    journey_read(enrollment=enrollment)
    journey_pass(enrollment=enrollment)
    journey_evaluate(enrollment=enrollment, rating="4")
    return enrollment.order


def test_learner_downloads_the_certificate_and_a_board_verifies_it(
    page, browser, server, demo_data, fake_stripe, settings, tmp_path
):
    settings.SITE_URL = server
    order = completed_learner(fake_stripe)
    page.goto(f"/accounts/login/?next=/learn/{SEED_SLUG}/")
    page.get_by_label("Email").fill("learner@example.com")
    page.get_by_label("Password").fill("demo-learner-pass")
    page.get_by_role("button", name="Sign In").click()

    # The course page, with its approvals, as the signed-in learner sees it.
    page.goto(f"/courses/{SEED_SLUG}/")
    expect(page.get_by_role("heading", name="Continuing-education credit")).to_be_visible()
    expect(page.get_by_text("Your credit as a psychologist: 8 CE credits (APA)")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "course-page-approvals-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(page)
    screenshot(page, "course-page-approvals-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    # The confirmation step: the exact details, then the learner confirms.
    page.goto(f"/learn/{SEED_SLUG}/")
    page.get_by_role("link", name="Confirm your details and get your certificate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Confirm what your certificate will say"
    )
    facts = page.locator(".confirm-facts")
    expect(facts).to_contain_text("Lee Learner")
    expect(facts).to_contain_text("PSY 12345")
    expect(facts).to_contain_text("California")
    expect(facts).to_contain_text("8 CE credits (APA)")
    assert_accessible(page)
    screenshot(page, "certificate-confirm-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(page)
    screenshot(page, "certificate-confirm-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Issue my certificate").click()
    expect(page.get_by_text("Tick the box to confirm the details above.")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("These details are correct; print them on my certificate.").check()
    page.get_by_role("button", name="Issue my certificate").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Certificate of Completion")
    expect(page.get_by_text("Your certificate was issued.")).to_be_visible()
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
    assert "8 CE credits (APA)" in text
    assert "PSY 12345, California" in text
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", str(pdf), str(SCREENSHOTS / "cert")], check=True
    )

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
    expect(board_page.get_by_text("Withdrawn at the participant's request")).to_be_visible()
    expect(board_page.locator("main")).not_to_contain_text(order.number)
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


def test_director_corrects_a_name_revokes_and_exports_the_roster(
    page, server, demo_data, fake_stripe, settings
):
    settings.SITE_URL = server
    order = completed_learner(fake_stripe)
    enrollment = order.enrollment
    certificate = certificate_services.certificate_issue(
        enrollment=enrollment, confirmed_fingerprint=Holder.of(enrollment.user).fingerprint
    )
    page.goto("/admin/")
    page.get_by_label("Email").fill("director@example.com")
    page.get_by_label("Password").fill("demo-director-pass")
    page.get_by_role("button", name="Log in").click()

    page.goto(f"/admin/certificates/certificate/{certificate.pk}/change/")
    assert_accessible(page)
    page.get_by_role("link", name="Correct holder details and reissue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Correct holder details")
    assert_accessible(page)
    page.get_by_label("Name on certificates").fill("Lee A. Learner")
    page.get_by_label("What was corrected, and at whose request").fill("Middle initial, by email")
    screenshot(page, "admin-certificate-correction")
    page.get_by_role("button", name="Save and reissue").click()
    expect(page.get_by_text(re.compile(r"was reissued as [0-9A-Z-]{19}"))).to_be_visible()
    new = Certificate.objects.get(status="valid")
    assert new.holder_name == "Lee A. Learner"
    assert new.ce_credits == certificate.ce_credits

    page.goto("/admin/certificates/certificate/")
    page.get_by_role("checkbox", name=re.compile("Select this object")).first.check()
    page.get_by_role("combobox", name="Action").select_option("revoke")
    page.get_by_role("button", name="Run").click()
    page.get_by_label("Reason shown on the verification page").select_option("issued_in_error")
    page.get_by_label("Internal note (never shown publicly)").fill("Wrong learner")
    assert_accessible(page)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text(re.compile(r": revoked\."))).to_be_visible()
    page.goto(f"/admin/certificates/certificate/{new.pk}/change/")
    expect(page.locator("#status_changes-1").get_by_text("Wrong learner")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "admin-certificate-history")

    page.goto("/admin/certificates/certificate/roster/")
    expect(page.get_by_role("heading", name="Export completions")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Completed from").fill("2000-01-01")
    page.get_by_label("Completed to").fill("2100-01-01")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download roster (CSV)").click()
    assert download_info.value.suggested_filename.startswith("roster-all-courses-")
