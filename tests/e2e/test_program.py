import re
import shutil
import subprocess

from playwright.sync_api import expect

from accounts.models import User
from demo.journeys import journey_evaluate, journey_pass, journey_read
from demo.management.commands.seed_demo import PROGRAM, SEED_SLUG
from enrollment.models import Enrollment, Order, OrderStatus
from programs.models import ProgramCredential
from tests.credentials.test_document_check import one_byte_edited
from tests.e2e.conftest import SCREENSHOTS, assert_accessible, screenshot
from tests.e2e.test_document_check import board_uploads

TITLE = PROGRAM["facts"]["title"]
COUPLES = "working-with-couples-in-conflict"


def both_sizes(page, name: str) -> None:
    """Accessible and pictured on a desktop and on a 390 px phone."""
    assert_accessible(page)
    screenshot(page, f"{name}-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(page)
    screenshot(page, f"{name}-phone")
    page.set_viewport_size({"width": 1280, "height": 900})


def study(enrollment) -> None:
    """What the learner does in the player and the post-test (other browser tests walk
    those pages): read, pass, evaluate."""
    journey_read(enrollment=enrollment)
    journey_pass(enrollment=enrollment)
    journey_evaluate(enrollment=enrollment)


def confirm_certificate(page, slug: str) -> None:
    page.goto(f"/learn/{slug}/certificate/")
    page.get_by_label("These details are correct; print them on my certificate.").check()
    page.get_by_role("button", name="Issue my certificate").click()
    expect(page.get_by_text("Your certificate was issued.")).to_be_visible()


def test_learner_buys_the_program_in_one_checkout_and_earns_the_certificate(
    page, browser, server, demo_data, fake_stripe, settings, tmp_path
):
    settings.SITE_URL = server
    page.goto("/")
    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_text("1 of the 2 electives")).to_be_visible()
    expect(page.get_by_text("Program · 3 courses · 11 to 14 CE credits")).to_be_visible()
    both_sizes(page, "program-page-public")

    page.get_by_role("link", name="Sign in to buy the courses").click()
    page.get_by_label("Email").fill("learner@example.com")
    page.get_by_label("Password").fill("demo-learner-pass")
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    # 119 + 49 + 89 = 257, 10% off each course: 107.10 + 44.10 + 80.10 = 231.30.
    buy = page.get_by_role("button", name="Buy 3 courses for $231.30")
    expect(buy).to_be_visible()
    both_sizes(page, "program-page-signed-in")
    buy.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Fake Stripe Checkout")
    expect(page.get_by_text("Pay 23130 usd")).to_be_visible()
    page.get_by_role("button", name="Pay").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are enrolled")
    assert_accessible(page)
    learner = User.objects.get(email="learner@example.com")
    orders = Order.objects.filter(user=learner)
    assert orders.count() == 3
    assert {o.status for o in orders} == {OrderStatus.PAID}
    assert sorted(o.amount_paid_cents for o in orders) == [4410, 8010, 10710]

    # Progress: bought, nothing completed yet.
    page.get_by_role("link", name="My courses").first.click()
    expect(page.get_by_role("heading", name="My programs")).to_be_visible()
    expect(page.get_by_text("0 of 2", exact=True)).to_be_visible()
    both_sizes(page, "my-courses-program-progress")

    # The required course and one elective, completed.
    for slug in (SEED_SLUG, COUPLES):
        study(Enrollment.objects.get(user=learner, course__slug=slug))
    confirm_certificate(page, SEED_SLUG)
    page.goto(f"/programs/{PROGRAM['slug']}/")
    expect(page.get_by_text("1 of 2", exact=True)).to_be_visible()
    both_sizes(page, "program-page-halfway")
    confirm_certificate(page, COUPLES)

    page.goto(f"/programs/{PROGRAM['slug']}/")
    expect(page.get_by_text("You completed this program.")).to_be_visible()
    both_sizes(page, "program-page-completed")
    credential = ProgramCredential.objects.get(user=learner)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="download the PDF").click()
    pdf = tmp_path / "program.pdf"
    download_info.value.save_as(pdf)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Certificate of Advanced Study" in text
    assert "Lee Learner, PsyD" in text
    assert credential.display_code in text
    signature = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True).stdout
    assert "Signature is Valid." in signature
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(pdf, SCREENSHOTS / "program-certificate.pdf")

    page.get_by_role("link", name="Transcript").first.click()
    expect(page.get_by_role("heading", name="Program certificates")).to_be_visible()
    assert_accessible(page)

    # A licensing board verifies it, without an account.
    board = browser.new_context(base_url=server).new_page()
    board.goto(credential.get_absolute_url())
    expect(board.get_by_role("status")).to_have_text("VALID")
    expect(board.locator(".fingerprint")).to_have_text(credential.signed_document.sha256)
    assert_accessible(board)
    screenshot(board, "program-verify-valid")
    # ... or uploads the PDF on /verify/: exactly the document we issued; an edited copy
    # is not.
    board_uploads(board, pdf)
    expect(board.locator(".verdict")).to_have_text("VALID")
    expect(board.get_by_text("This PDF is exactly the document we issued")).to_be_visible()
    expect(board.locator("main")).to_contain_text(credential.display_code)
    both_sizes(board, "program-document-check-valid")
    edited = tmp_path / "program-edited.pdf"
    edited.write_bytes(one_byte_edited(pdf.read_bytes()))
    board_uploads(board, edited)
    expect(board.locator(".verdict")).to_have_text("ALTERED")
    assert_accessible(board)
    screenshot(board, "program-document-check-altered")

    # The learner is refunded the elective: the program is no longer complete.
    page.goto("/my/orders/")
    couples = orders.get(course__slug=COUPLES)
    page.get_by_role("link", name=couples.number).click()
    page.get_by_label("What did not meet your expectations?").fill("Wrong topic for me.")
    page.get_by_role("button", name=re.compile("Ask for a refund")).click()
    # Only that course's order: its own price at the program discount.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Refund $80.10")
    page.get_by_role("button", name="Yes, refund my order").click()
    expect(page.get_by_text("Your order was refunded")).to_be_visible()
    board.goto(credential.get_absolute_url())
    expect(board.get_by_role("status")).to_have_text("REVOKED")
    expect(board.get_by_text(re.compile("relies on was withdrawn"))).to_be_visible()
    assert_accessible(board)
    screenshot(board, "program-verify-revoked")
    board_uploads(board, pdf)
    expect(board.locator(".verdict")).to_have_text("REVOKED")
    expect(board.get_by_text(re.compile("relies on was withdrawn"))).to_be_visible()
    both_sizes(board, "program-document-check-revoked")
    page.goto(f"/programs/{PROGRAM['slug']}/")
    expect(page.get_by_text("1 of 2", exact=True)).to_be_visible()
