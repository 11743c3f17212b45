"""Every page the director works on in admin, in one walk: no serious or critical axe-core
violation on any of them (issue 14), each kept at desktop width and on a 390 px phone."""

from playwright.sync_api import expect

from certificates.models import Certificate
from courses.models import Course
from demo.journeys import journey_complete
from demo.management.commands.seed_demo import SEED_SLUG
from enrollment.models import Order, Refund
from testing.models import Question
from tests.e2e.test_admin_audit import admin_sign_in, paid_demo_order  # noqa: F401
from tests.e2e.test_testing_admin import look


def test_every_director_page_has_no_serious_axe_violation(page, paid_demo_order):  # noqa: F811
    from accounts.models import User
    from enrollment import refunds

    course = Course.objects.get(slug=SEED_SLUG)
    other = Course.objects.published().exclude(pk=course.pk).first()
    certificate = journey_complete(user=User.objects.get(email="learner@example.com"), course=other)
    refunds.order_refund(order=paid_demo_order, reason="Goodwill", actor="director", amount_cents=1)
    question = Question.objects.filter(course=course).first()
    admin_sign_in(page)

    pages = {
        "course-list": "/admin/courses/course/",
        "course-add": "/admin/courses/course/add/",
        "course-edit": f"/admin/courses/course/{course.pk}/change/",
        "course-delete-sold": f"/admin/courses/course/{course.pk}/delete/",
        "question-list": "/admin/testing/question/",
        "question-edit": f"/admin/testing/question/{question.pk}/change/",
        "question-import": "/admin/testing/question/import/",
        "order-list": "/admin/enrollment/order/",
        "order-page": f"/admin/enrollment/order/{paid_demo_order.pk}/change/",
        "order-refund": f"/admin/enrollment/order/{paid_demo_order.pk}/refund/",
        "refund-list": "/admin/enrollment/refund/",
        "refund-page": f"/admin/enrollment/refund/{Refund.objects.get().pk}/change/",
        "refund-request-list": "/admin/enrollment/refundrequest/",
        "certificate-list": "/admin/certificates/certificate/",
        "certificate-page": f"/admin/certificates/certificate/{certificate.pk}/change/",
        "roster": "/admin/certificates/certificate/roster/",
        "evaluation-list": "/admin/testing/evaluationresponse/",
        "evaluation-summary": f"/admin/testing/evaluationresponse/summary/{other.pk}/",
    }
    for name, url in pages.items():
        response = page.goto(url)
        assert response.status == 200, (name, url, response.status)
        expect(page.locator("#content")).to_be_visible()
        look(page, name)
    # What the pages showed, in the director's terms.
    page.goto(f"/admin/enrollment/order/{paid_demo_order.pk}/change/")
    expect(page.get_by_text("$119.00").first).to_be_visible()
    assert Order.objects.filter(pk=paid_demo_order.pk).exists()
    assert Certificate.objects.filter(pk=certificate.pk).exists()
