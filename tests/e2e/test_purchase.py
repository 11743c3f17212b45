import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from courses.models import Course
from demo.journeys import journey_enroll
from demo.management.commands.seed_demo import SEED_SLUG
from enrollment.models import Enrollment, Order, OrderStatus
from tests.e2e.conftest import assert_accessible, screenshot

SEED_TITLE = "Psychodynamics of the Therapeutic Relationship"


@pytest.fixture
def live_site(server, settings, fake_stripe):
    """Stripe's success and cancel URLs must lead back to this live server."""
    settings.SITE_URL = server
    return server


def sign_in(page, email="learner@example.com", password="demo-learner-pass"):
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_learner_buys_the_course_with_stripe_checkout_then_gets_a_refund(
    page, demo_data, live_site
):
    page.goto(f"/courses/{SEED_SLUG}/")
    page.get_by_role("link", name=re.compile("Sign in to buy")).click()
    sign_in(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your purchase")
    expect(page.get_by_text("$119.00")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "checkout-review")
    page.get_by_role("button", name="Continue to secure payment").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Fake Stripe Checkout")
    page.get_by_role("button", name="Pay").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("You are enrolled")
    assert_accessible(page)
    screenshot(page, "checkout-success")
    order = Order.objects.get()
    assert order.status == OrderStatus.PAID

    page.get_by_role("link", name="Start the course").click()
    expect(page.get_by_role("link", name=SEED_TITLE, exact=True)).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Orders").click()
    assert_accessible(page)
    # On a 390 px phone the orders table is one labelled card per order: nothing cut off.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    expect(page.locator("td[data-label=Amount]").first).to_have_text("$119.00")
    expect(page.locator("td[data-label=Status]").first).to_be_visible()
    screenshot(page, "orders-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name=order.number).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Receipt for order {order.number}")
    assert_accessible(page)
    screenshot(page, "receipt")

    page.get_by_label("What did not meet your expectations?").fill("Not the level I need.")
    page.get_by_role("button", name=re.compile("Ask for a refund")).click()
    # A confirmation first, saying what a refund ends; nothing has happened yet.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Refund $119.00")
    expect(page.get_by_text("its post-test ends")).to_be_visible()
    expect(page.get_by_text("is revoked")).to_be_visible()
    assert Enrollment.objects.get().is_active
    assert_accessible(page)
    screenshot(page, "refund-confirm")
    page.get_by_role("button", name="Yes, refund my order").click()
    expect(page.get_by_text("Your order was refunded")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "refunded")
    assert not Enrollment.objects.get().is_active

    page.get_by_role("link", name="My courses").click()
    expect(page.get_by_text("You have no active courses")).to_be_visible()
    # An old link to the course: why it is closed, and the way back in.
    page.goto(f"/learn/{SEED_SLUG}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("ended")
    expect(page.get_by_text(f"Order {order.number} was refunded on")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "refunded-course-link")
    page.get_by_role("link", name=re.compile("again")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your purchase")
    page.goto(f"/courses/{SEED_SLUG}/")
    expect(page.get_by_role("link", name=re.compile("Buy this course"))).to_be_visible()


def test_director_refunds_an_order_from_admin(page, demo_data, live_site, fake_stripe):
    order = journey_enroll(
        user=User.objects.get(email="learner@example.com"),
        course=Course.objects.get(slug=SEED_SLUG),
        pay=fake_stripe.pay,
    ).order

    page.goto("/admin/")
    page.get_by_label("Email").fill("director@example.com")
    page.get_by_label("Password").fill("demo-director-pass")
    page.get_by_role("button", name="Log in").click()
    page.goto("/admin/enrollment/order/")
    page.get_by_role("checkbox", name=re.compile("Select this object")).first.check()
    page.get_by_role("combobox", name="Action").select_option("refund_orders")
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_role("heading", name="Refund 1 order")).to_be_visible()
    page.get_by_label("Reason").fill("Course withdrawn")
    screenshot(page, "admin-refund-confirmation")
    page.get_by_role("button", name="Refund now").click()
    expect(
        page.get_by_text(re.compile(f"{order.number}: refund of \\$119.00 succeeded"))
    ).to_be_visible()
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert not Enrollment.objects.get().is_active
