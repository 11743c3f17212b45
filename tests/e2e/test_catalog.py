import re

from django.core import mail
from playwright.sync_api import expect

from accounts.models import User
from demo.management.commands.seed_demo import SEED_SLUG
from tests.e2e.conftest import assert_accessible, screenshot

SEED_TITLE = "Psychodynamics of the Therapeutic Relationship"


def test_visitor_finds_the_seed_course_and_reads_its_page(page, demo_data):
    page.goto("/")
    expect(page).to_have_title(re.compile("Home-study CE courses"))
    assert_accessible(page)
    screenshot(page, "catalog")

    page.get_by_label("Search courses").fill("countertransference")
    page.get_by_label("Level").select_option("intermediate")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("1 course matches your search")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name=SEED_TITLE).click()
    expect(page).to_have_url(re.compile(f"/courses/{SEED_SLUG}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(SEED_TITLE)
    expect(page.locator(".price")).to_have_text("$119.00")
    expect(page.locator("ol.objectives li")).to_have_count(10)
    assert_accessible(page)
    screenshot(page, "course-page")

    page.get_by_role("link", name="Michael J. Gerson, PhD").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Michael J. Gerson, PhD")
    expect(page.get_by_role("link", name=SEED_TITLE)).to_be_visible()
    assert_accessible(page)


def test_course_page_on_a_phone_is_accessible(browser, server, demo_data):
    context = browser.new_context(base_url=server, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"/courses/{SEED_SLUG}/")
    expect(page.get_by_role("link", name=re.compile("Sign in to buy"))).to_be_visible()
    assert_accessible(page)
    screenshot(page, "course-page-phone")
    context.close()


def test_new_clinician_signs_up_verifies_email_and_edits_certificate_details(
    page, server, demo_data
):
    page.goto(f"/courses/{SEED_SLUG}/")
    page.get_by_role("link", name="Create an account").click()
    assert_accessible(page)
    page.get_by_label("Email").fill("new.clinician@example.com")
    page.get_by_label("Password", exact=True).fill("a-long-unguessable-passphrase")
    page.get_by_label("Password (again)").fill("a-long-unguessable-passphrase")
    page.get_by_label("Name on certificates").fill("Jordan A. Rivera")
    page.get_by_label("Post-nominal credentials").fill("LCSW")
    page.get_by_label("Profession").select_option("social_worker")
    page.get_by_label("License number").fill("LCS 4242")
    page.get_by_label("Licensing jurisdiction").select_option("OR")
    screenshot(page, "signup-filled")
    page.get_by_role("button", name="Sign up", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Verify your email address")
    assert_accessible(page)
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", mail.outbox[-1].body).group(0)
    page.goto(server + link.split("://", 1)[1].split("/", 1)[1].join(["/", ""]))
    page.get_by_role("button", name="Confirm").click()

    page.goto("/accounts/profile/")
    expect(page.get_by_label("Name on certificates")).to_have_value("Jordan A. Rivera")
    assert_accessible(page)
    page.get_by_label("Name on certificates").fill("Jordan Rivera")
    page.get_by_role("button", name="Save certificate details").click()
    expect(page.get_by_text("Your certificate details were saved.")).to_be_visible()
    assert User.objects.get(email="new.clinician@example.com").certificate_name == "Jordan Rivera"


def test_keyboard_user_skips_to_content_and_reaches_the_search(page, demo_data):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Search courses")).to_be_focused()


def test_missing_page_is_a_friendly_accessible_404(page, demo_data):
    response = page.goto("/courses/no-such-course/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    assert_accessible(page)


def test_the_browser_harness_reports_a_content_security_policy_violation(
    page, demo_data, csp_violations
):
    """The guard on every browser test works: an inline style the policy refuses is
    reported from Chromium's console (and then cleared, so that this test passes)."""
    page.goto("/")
    page.evaluate(
        "() => { const s = document.createElement('style');"
        " s.textContent = 'body { color: red }'; document.head.appendChild(s); }"
    )
    page.wait_for_timeout(300)
    assert any("Content Security Policy" in v for v in csp_violations), csp_violations
    csp_violations.clear()
