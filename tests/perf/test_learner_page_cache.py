"""A signed-in learner's own pages come from the cache (enrollment.pagecache) and are never
stale: whatever changes what a page shows, made by the learner or by anyone else,
replaces the learner's version at once."""

import re
from http import HTTPStatus

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certificates.models import Certificate
from certificates.states import certificate_revoke
from demo.journeys import journey_read
from tests.factories import SectionFactory


def _pages(course, section) -> list[str]:
    return [
        reverse("enrollment:my_courses"),
        reverse("enrollment:orders"),
        reverse("certificates:transcript"),
        reverse("enrollment:course_home", args=[course.slug]),
        reverse("enrollment:section", args=[course.slug, section.pk]),
        reverse("testing:home", args=[course.slug]),
        reverse("certificates:course", args=[course.slug]),
    ]


def _kept(client, url):
    """Ask twice (the first answer sets the CSRF cookie, the second is stored), then
    return the third: the kept page."""
    client.get(url)
    client.get(url)
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    return response


def test_a_kept_page_costs_no_query_of_its_own(client, paid_order, production_caches):
    course = paid_order.course
    section = SectionFactory(course=course)
    client.force_login(paid_order.user)
    for url in _pages(course, section):
        client.get(url)
        built = client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            kept = client.get(url)
        assert kept.status_code == HTTPStatus.OK
        assert kept.context is None, url  # nothing was rendered
        assert kept.content == built.content, url
        # The user; the session is in the shared cache (cached_db).
        assert len(ctx.captured_queries) <= 1, (url, [q["sql"] for q in ctx.captured_queries])


def test_the_learners_own_writes_show_at_once(client, paid_order, production_caches):
    course = paid_order.course
    first, second = SectionFactory(course=course), SectionFactory(course=course)
    client.force_login(paid_order.user)
    home = reverse("enrollment:course_home", args=[course.slug])
    assert "0 of 2 sections completed" in _kept(client, home).content.decode()
    client.post(reverse("enrollment:section_done", args=[course.slug, first.pk]))
    page = client.get(home).content.decode()
    assert "1 of 2 sections completed" in page
    assert reverse("enrollment:section", args=[course.slug, second.pk]) in page


def test_changes_made_by_others_show_at_once(
    client, paid_order, production_caches, django_capture_on_commit_callbacks
):
    from tests.factories import QuestionFactory

    enrollment = paid_order.enrollment
    course, user = enrollment.course, enrollment.user
    SectionFactory(course=course)
    QuestionFactory.create_batch(3, course=course)
    client.force_login(user)
    mine = reverse("enrollment:my_courses")
    certificate_page = reverse("certificates:course", args=[course.slug])
    home = reverse("enrollment:course_home", args=[course.slug])
    assert "0 of 1 section completed" in _kept(client, mine).content.decode()
    _kept(client, certificate_page)
    _kept(client, home)

    # The worker or a service (not a request of the learner's) moves them on.
    journey_read(enrollment=enrollment)
    assert "1 of 1 section completed" in client.get(mine).content.decode()

    # The certificate, issued outside the learner's requests, shows on their pages.
    with django_capture_on_commit_callbacks(execute=True):
        from demo.journeys import journey_evaluate, journey_pass
        from tests.certificates.conftest import confirm_and_issue

        journey_pass(enrollment=enrollment)
        journey_evaluate(enrollment=enrollment)
        confirm_and_issue(enrollment)
    certificate = Certificate.objects.get(enrollment=enrollment)
    assert certificate.display_code in _kept(client, certificate_page).content.decode()
    assert certificate.display_code in _kept(client, mine).content.decode()

    # The Director revokes it in the admin.
    with django_capture_on_commit_callbacks(execute=True):
        certificate_revoke(certificate=certificate, public_reason="issued_in_error", note="test")
    page = client.get(certificate_page).content.decode()
    assert f"Your certificate {certificate.display_code} was revoked" in page
    assert "Your certificate<span" not in client.get(mine).content.decode()

    # The Director ends the enrollment: the course home is no longer served.
    _kept(client, home)
    from enrollment.states import enrollment_revoke

    with django_capture_on_commit_callbacks(execute=True):
        enrollment_revoke(enrollment=enrollment, reason="test")
    assert client.get(home).status_code != HTTPStatus.OK  # access ended, no longer the page


def test_a_course_bought_by_webhook_shows_in_my_courses(
    client, learner, course, fake_stripe, production_caches, django_capture_on_commit_callbacks
):
    from demo.journeys import journey_enroll
    from tests.factories import CourseFactory

    with django_capture_on_commit_callbacks(execute=True):
        journey_enroll(user=learner, course=course, pay=fake_stripe.pay)
    client.force_login(learner)
    mine = reverse("enrollment:my_courses")
    orders = reverse("enrollment:orders")
    _kept(client, mine)
    _kept(client, orders)
    other = CourseFactory(title="A second course bought elsewhere")
    with django_capture_on_commit_callbacks(execute=True):
        journey_enroll(user=learner, course=other, pay=fake_stripe.pay)
    assert "A second course bought elsewhere" in client.get(mine).content.decode()
    assert "A second course bought elsewhere" in client.get(orders).content.decode()


def test_a_message_is_shown_once_and_never_kept(
    client, paid_order, production_caches, django_capture_on_commit_callbacks
):
    from certificates.facts import Holder
    from demo.journeys import journey_evaluate, journey_pass
    from tests.factories import QuestionFactory

    enrollment = paid_order.enrollment
    course = enrollment.course
    SectionFactory(course=course)
    QuestionFactory.create_batch(3, course=course)
    journey_read(enrollment=enrollment)
    journey_pass(enrollment=enrollment)
    with django_capture_on_commit_callbacks(execute=True):
        journey_evaluate(enrollment=enrollment)
    client.force_login(enrollment.user)
    page = reverse("certificates:course", args=[course.slug])
    assert "Issue my certificate" in _kept(client, page).content.decode()
    fingerprint = Holder.of(enrollment.user).fingerprint
    with django_capture_on_commit_callbacks(execute=True):
        shown = client.post(page, {"confirm": "on", "details": fingerprint}, follow=True)
    assert shown.status_code == HTTPStatus.OK
    assert "Your certificate was issued." in shown.content.decode()
    again = client.get(page).content.decode()
    assert "Your certificate was issued." not in again
    assert Certificate.objects.get(enrollment=enrollment).display_code in again


def test_a_kept_form_carries_a_token_the_browser_can_post(paid_order, production_caches):
    course = paid_order.course
    SectionFactory(course=course)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(paid_order.user)
    home = reverse("enrollment:course_home", args=[course.slug])
    section = reverse("enrollment:section", args=[course.slug, course.sections.get().pk])
    kept = _kept(browser, section)
    assert kept.context is None
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', kept.content.decode())
    assert token
    done = reverse("enrollment:section_done", args=[course.slug, course.sections.get().pk])
    posted = browser.post(done, {"csrfmiddlewaretoken": token.group(1)})
    assert posted.status_code == HTTPStatus.FOUND
    assert "1 of 1 section completed" in browser.get(home).content.decode()
    # Another browser (another CSRF secret) never gets this one's page.
    other = Client(enforce_csrf_checks=True)
    other.force_login(paid_order.user)
    other.get(section)
    assert other.get(section).context is not None


def test_another_learner_never_gets_the_page(client, paid_order, production_caches):
    from tests.factories import UserFactory

    client.force_login(paid_order.user)
    _kept(client, reverse("enrollment:my_courses"))
    stranger = Client()
    stranger.force_login(UserFactory())
    stranger.get(reverse("enrollment:my_courses"))
    page = stranger.get(reverse("enrollment:my_courses"))
    assert paid_order.course.title not in page.content.decode()
    assert page.context is not None


def test_the_page_is_built_when_the_cache_is_down(
    client, paid_order, production_caches, monkeypatch
):
    course = paid_order.course
    SectionFactory(course=course)
    client.force_login(paid_order.user)
    home = reverse("enrollment:course_home", args=[course.slug])
    _kept(client, home)

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(caches["pages"], "get_many", down)
    monkeypatch.setattr(caches["pages"], "set", down)
    page = client.get(home)
    assert page.status_code == HTTPStatus.OK
    assert page.context is not None
    assert "0 of 1 section" in page.content.decode()


@pytest.mark.parametrize("seconds", [0])
def test_turned_off_it_keeps_nothing(client, paid_order, production_caches, seconds):
    production_caches.LEARNER_PAGE_CACHE_SECONDS = seconds
    client.force_login(paid_order.user)
    client.get(reverse("enrollment:my_courses"))
    assert client.get(reverse("enrollment:my_courses")).context is not None


def test_a_running_wait_between_attempts_is_not_kept(
    client, learner, course, fake_stripe, production_caches, django_capture_on_commit_callbacks
):
    """The test home counts down a wait with the clock: never kept while it runs."""
    from demo.journeys import journey_enroll
    from testing import services
    from testing.models import TestRules
    from tests.factories import QuestionFactory

    QuestionFactory.create_batch(2, course=course)
    TestRules.objects.update_or_create(course=course, defaults={"wait_minutes": 30})
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = journey_enroll(user=learner, course=course, pay=fake_stripe.pay)
    journey_read(enrollment=enrollment)
    attempt = services.attempt_start(enrollment=enrollment)
    services.attempt_submit(attempt=attempt, user=learner, posted={})  # not passed
    client.force_login(learner)
    test_home = reverse("testing:home", args=[course.slug])
    client.get(test_home)
    page = client.get(test_home)
    assert "You can start the next attempt at" in page.content.decode()
    assert page.context is not None


def test_a_page_kept_by_another_release_is_built_anew(
    client, paid_order, production_caches, monkeypatch
):
    from enrollment import pagecache

    client.force_login(paid_order.user)
    mine = reverse("enrollment:my_courses")
    assert _kept(client, mine).context is None
    monkeypatch.setattr(pagecache, "release", lambda: "the next deploy")
    assert client.get(mine).context is not None
    assert client.get(mine).context is None  # and kept for the new release
