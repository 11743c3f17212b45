"""After the material, the main button leads on: post-test, evaluation, certificate."""

import pytest
from django.urls import reverse

from courses.models import Section
from demo.journeys import journey_evaluate, journey_pass
from enrollment import progress
from tests.certificates.conftest import confirm_and_issue

pytestmark = pytest.mark.django_db


def main_button(client, enrollment) -> str:
    html = client.get(reverse("enrollment:course_home", args=[enrollment.course.slug]))
    html = html.content.decode()
    start = html.index('<a class="button"')
    return html[start : html.index("</a>", start)]


def test_course_home_leads_from_the_last_section_to_the_certificate(
    client,
    ready,
    evaluation_items,
    django_capture_on_commit_callbacks,
):
    section = Section.objects.create(course=ready.course, order=1, title="Resistance", body="B")
    client.force_login(ready.user)
    assert "Start reading" in main_button(client, ready)
    progress.section_complete(enrollment=ready, section=section)
    slug = ready.course.slug
    button = main_button(client, ready)
    assert reverse("testing:home", args=[slug]) in button
    assert "Next: pass the post-test" in button
    journey_pass(enrollment=ready)
    assert reverse("testing:evaluation", args=[slug]) in main_button(client, ready)
    with django_capture_on_commit_callbacks(execute=True):
        journey_evaluate(enrollment=ready)
    assert reverse("certificates:course", args=[slug]) in main_button(client, ready)
    with django_capture_on_commit_callbacks(execute=True):
        certificate = confirm_and_issue(ready)
    button = main_button(client, ready)
    assert "Download your certificate" in button
    assert reverse("certificates:course", args=[slug]) in button

    mine = client.get(reverse("enrollment:my_courses")).content.decode()
    assert "Continue" not in mine
    assert "Your certificate" in mine
    assert certificate.display_code in mine
