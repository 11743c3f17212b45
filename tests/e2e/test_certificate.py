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
    page.get_by_role("button", name="Sign in", exact=True).click()

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
    page.get_by_role("link", name="Next: confirm your details and get your certificate").click()
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
    expect(
        page.get_by_text("Tick the box to confirm the details above.", exact=True)
    ).to_be_visible()
    # The error summary at the top takes the focus and links to the box.
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator(".error-summary a[href='#id_confirm']")).to_be_visible()
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


def test_director_corrects_a_name_revokes_reinstates_and_exports_the_roster(
    page, browser, server, demo_data, fake_stripe, settings
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

    # Revoke it with a public reason; the internal note names the order.
    page.goto("/admin/certificates/certificate/")
    page.get_by_role("checkbox", name=re.compile("Select this object")).first.check()
    page.get_by_role("combobox", name="Action").select_option("revoke")
    page.get_by_role("button", name="Run").click()
    page.get_by_label("Reason shown on the verification page").select_option("issued_in_error")
    internal = f"Wrong learner, see order {order.number}"
    page.get_by_label("Internal note (never shown publicly)").fill(internal)
    assert_accessible(page)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text(f"{new.display_code}: revoked.")).to_be_visible()

    # A board sees the status, the date and the public reason, and nothing private.
    board = browser.new_context(base_url=server)
    board_page = board.new_page()
    board_page.goto(new.get_absolute_url())
    main = board_page.locator("main")
    expect(board_page.locator(".verdict")).to_have_text("REVOKED")
    new.refresh_from_db()
    revoked_on = f"{new.revoked_at:%B} {new.revoked_at.day}, {new.revoked_at.year}"
    expect(main).to_contain_text(f"Revoked on {revoked_on}. Reason: Issued in error.")
    for private in (order.number, "Wrong learner", "Refund", "refund"):
        expect(main).not_to_contain_text(private)
    public = board_page.request.get(f"/verify/{new.display_code}.json").text()
    assert '"revocation_reason": "Issued in error"' in public
    assert order.number not in public
    assert "Wrong learner" not in public
    assert_accessible(board_page)
    screenshot(board_page, "verify-revoked-by-director")

    # The director reinstates it, with a reason; the board sees it valid again.
    page.goto("/admin/certificates/certificate/?status__exact=revoked")
    page.get_by_role("checkbox", name=re.compile("Select this object")).first.check()
    page.get_by_role("combobox", name="Action").select_option("reinstate")
    page.get_by_role("button", name="Run").click()
    page.get_by_label("Why (kept in the certificate's history)").fill(
        "Right learner after all: checked the license with the board"
    )
    assert_accessible(page)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text(f"{new.display_code}: reinstated (valid again).")).to_be_visible()
    board_page.reload()
    expect(board_page.locator(".verdict")).to_have_text("VALID")
    expect(board_page.locator("main")).not_to_contain_text("Revoked on")
    board.close()

    # Its history shows both steps, who took them and why.
    page.goto(f"/admin/certificates/certificate/{new.pk}/change/")
    history = page.locator("#status_changes-group")
    expect(history.locator("#status_changes-1")).to_contain_text(internal)
    expect(history.locator("#status_changes-1")).to_contain_text("Issued in error")
    expect(history.locator("#status_changes-2")).to_contain_text("checked the license")
    expect(history.locator("#status_changes-2")).to_contain_text("director@example.com")
    assert [(c.from_status, c.to_status) for c in new.status_changes.all()] == [
        ("", "valid"), ("valid", "revoked"), ("revoked", "valid"),
    ]  # fmt: skip
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


def test_a_learner_gives_a_license_and_jurisdiction_or_says_they_hold_none(
    page, server, demo_data, fake_stripe, settings, tmp_path
):
    """The confirmation before the first certificate: no button until the license and
    its jurisdiction are given, or the learner states they hold none; the jurisdiction
    is chosen from a list and shown by name; "no license" prints as such."""
    settings.SITE_URL = server
    User.objects.filter(email="learner@example.com").update(
        license_number="", license_jurisdiction=""
    )
    completed_learner(fake_stripe)
    page.goto(f"/accounts/login/?next=/learn/{SEED_SLUG}/certificate/")
    page.get_by_label("Email").fill("learner@example.com")
    page.get_by_label("Password").fill("demo-learner-pass")
    page.get_by_role("button", name="Sign In").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Confirm what your certificate will say"
    )
    expect(page.get_by_role("alert")).to_contain_text(
        "your license number and its state or province (or that you hold no license)"
    )
    expect(page.get_by_role("button", name="Issue my certificate")).to_have_count(0)
    assert_accessible(page)
    screenshot(page, "certificate-confirm-license-missing")

    # A number alone is refused; with its state it shows by name.
    page.get_by_role("link", name="Complete your certificate details").click()
    page.get_by_label("License number").fill("LPC 7781")
    page.get_by_role("button", name="Save certificate details").click()
    # The error shows at its field and in the summary at the top of the form.
    expect(
        page.get_by_text("Choose the state or province of the license.", exact=True)
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Licensing jurisdiction").select_option("TX")
    page.get_by_role("button", name="Save certificate details").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Confirm what your certificate will say"
    )
    facts = page.locator(".confirm-facts")
    expect(facts).to_contain_text("LPC 7781")
    expect(facts).to_contain_text("Texas")
    expect(page.get_by_role("button", name="Issue my certificate")).to_be_visible()

    # The learner holds no license after all: the page and the certificate say so.
    page.get_by_role("link", name="Change these details").click()
    page.get_by_label("I do not hold a license").check()
    page.get_by_role("button", name="Save certificate details").click()
    expect(page.get_by_text("You ticked that you hold no license").first).to_be_visible()
    page.get_by_label("License number").fill("")
    page.get_by_label("Licensing jurisdiction").select_option("")
    page.get_by_role("button", name="Save certificate details").click()
    facts = page.locator(".confirm-facts")
    expect(facts).to_contain_text("None stated (you told us you hold no license)")
    expect(facts).not_to_contain_text("LPC 7781")
    assert_accessible(page)
    screenshot(page, "certificate-confirm-no-license")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(page)
    screenshot(page, "certificate-confirm-no-license-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_label("These details are correct; print them on my certificate.").check()
    page.get_by_role("button", name="Issue my certificate").click()
    expect(page.get_by_text("Your certificate was issued.")).to_be_visible()

    certificate = Certificate.objects.get(status="valid")
    assert (certificate.no_license, certificate.license_number) == (True, "")
    assert certificate.holder_confirmed_at is not None
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(certificate_services.certificate_pdf(certificate=certificate))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "License: none stated by the participant" in " ".join(text.split())
    page.goto(certificate.get_absolute_url())
    expect(page.locator(".verify-facts")).to_contain_text("None stated by the participant")
