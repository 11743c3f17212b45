"""The director's audit pages in a real browser: content on a date, version history,
instructor documents, refunds and refund requests; each checked with axe-core."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from courses.models import Course, Instructor
from demo.management.commands.seed_demo import SEED_SLUG
from enrollment import orders, refunds
from enrollment.models import RefundRequest
from tests.e2e.conftest import assert_accessible, screenshot


def admin_sign_in(page):
    page.goto("/admin/")
    page.get_by_label("Email").fill("director@example.com")
    page.get_by_label("Password").fill("demo-director-pass")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_director_sees_what_learners_saw_before_an_edit(page, demo_data):
    course = Course.objects.get(slug=SEED_SLUG)
    old_description = course.description.split("\n")[0][:60]
    before = timezone.localtime()
    admin_sign_in(page)
    page.goto(f"/admin/courses/course/{course.pk}/change/")
    assert_accessible(page)
    page.get_by_label("Long description").fill("A rewritten description for the audit test.")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    page.get_by_role("link", name="Content on a date").click()
    stamp = before.strftime("%Y-%m-%dT%H:%M:%S.%f")
    page.goto(f"{page.url}?when={stamp}")
    expect(page.get_by_role("heading", name=re.compile("As it stood on"))).to_be_visible()
    content = page.locator("#content-main section").first
    expect(content).to_contain_text(old_description)
    expect(content).not_to_contain_text("A rewritten description")
    assert_accessible(page)
    screenshot(page, "admin-course-content-on-a-date")

    page.get_by_label("Date and time").fill(
        (timezone.localtime() + timezone.timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_role("button", name="Show the content").click()
    expect(page.locator("#content-main section").first).to_contain_text("A rewritten description")

    page.goto(f"/admin/courses/course/{course.pk}/history/")
    expect(page.locator("#change-history")).to_contain_text("director@example.com")
    assert_accessible(page)
    screenshot(page, "admin-course-history")
    page.locator("#change-history a").first.click()
    expect(page.get_by_role("heading", name=re.compile("View "))).to_be_visible()
    assert_accessible(page)


def test_instructor_documents_page_is_accessible(page, demo_data, tmp_path):
    instructor = Instructor.objects.order_by("pk").first()
    cv = tmp_path / "cv.pdf"
    cv.write_bytes(b"%PDF-1.4\n% CV\n")
    admin_sign_in(page)
    page.goto(f"/admin/courses/instructor/{instructor.pk}/change/")
    page.locator("#id_cv").set_input_files(str(cv))
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.get_by_role("link", name="Download the CV")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "admin-instructor-documents")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the CV").click()
    assert download.value.suggested_filename.startswith("cv")


@pytest.fixture
def paid_demo_order(demo_data, fake_stripe, settings):
    from accounts.models import User

    settings.REFUND_REQUESTS_AUTO_APPROVE = False
    learner = User.objects.get(email="learner@example.com")
    order = orders.order_start(user=learner, course=Course.objects.get(slug=SEED_SLUG))
    orders.checkout_begin(order=order)
    order.refresh_from_db()
    session = fake_stripe.pay(order.stripe_checkout_session_id)
    orders.checkout_session_fulfil(session=session, actor="webhook")
    order.refresh_from_db()
    return order


def test_refund_desk_pages_are_accessible(page, paid_demo_order):
    order = paid_demo_order
    refund_request = refunds.refund_request_create(
        order=order, user=order.user, reason="The course was not what I needed."
    )
    admin_sign_in(page)

    page.goto(f"/admin/enrollment/refundrequest/{refund_request.pk}/change/")
    assert_accessible(page)
    screenshot(page, "admin-refund-request")
    page.get_by_role("link", name="Decline…").click()
    expect(page.get_by_label("Note to the learner")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "admin-decline-confirmation")
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("link", name="Approve and refund…").click()
    page.get_by_label("Reason").fill("Approved: not what the learner needed")
    assert_accessible(page)
    page.get_by_role("button", name="Refund now").click()
    expect(page.locator(".messagelist")).to_contain_text("refund of $119.00 succeeded")
    expect(page.locator("#content-main")).to_contain_text("Refunded $119.00.")
    assert_accessible(page)
    screenshot(page, "admin-refund-request-approved")
    assert RefundRequest.objects.get().status == RefundRequest.Status.APPROVED

    page.goto(f"/admin/enrollment/order/{order.pk}/change/")
    assert_accessible(page)
    screenshot(page, "admin-order-refunded")
    page.goto(f"/admin/enrollment/refund/{order.refunds.get().pk}/change/")
    expect(page.get_by_role("heading", name="Status history")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "admin-refund-with-status-history")


def test_order_refund_button_leads_to_the_confirmation(page, paid_demo_order):
    admin_sign_in(page)
    page.goto(f"/admin/enrollment/order/{paid_demo_order.pk}/change/")
    page.get_by_role("link", name="Refund…").click()
    expect(page.get_by_role("heading", name="Refund 1 order")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "admin-order-refund-confirmation")


def test_audit_packet_page_is_accessible(page, demo_data):
    admin_sign_in(page)
    page.goto("/admin/certificates/certificate/roster/")
    page.get_by_role("link", name="the audit packet").click()
    expect(page.get_by_role("heading", name="Audit packet")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "admin-audit-packet")
    page.get_by_label("Course").select_option(label=Course.objects.get(slug=SEED_SLUG).title)
    page.get_by_label("Period from").fill("2026-01-01")
    page.get_by_label("Period to").fill(timezone.localdate().isoformat())
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the audit packet (ZIP)").click()
    assert download.value.suggested_filename.startswith(f"audit-packet-{SEED_SLUG}-2026-01-01")
