"""What outside tools see: HEAD where GET is answered, robots.txt, valid search markup."""

import pytest
from django.urls import reverse

from tests.factories import InstructorFactory

pytestmark = pytest.mark.django_db


def test_head_is_answered_wherever_get_is(client, course):
    instructor = InstructorFactory()
    for url in (
        reverse("courses:catalog"),
        course.get_absolute_url(),
        reverse("courses:instructor", args=[instructor.slug]),
        reverse("certificates:verify_form"),
        reverse("certificates:verify", args=["7K3M-Q9XD-2HPA-W4TB"]),
        reverse("healthz"),
        reverse("robots_txt"),
    ):
        assert client.head(url).status_code == client.get(url).status_code != 405, url


def test_robots_lets_the_verify_form_be_indexed_and_keeps_private_areas_out(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    rules = response.content.decode().splitlines()
    assert rules[0] == "User-agent: *"
    assert "Disallow: /admin/" in rules
    assert "Disallow: /my/" in rules
    # Certificate pages are not blocked: a crawler must fetch them to see their noindex.
    assert not any(rule.startswith("Disallow: /verify") for rule in rules)


def test_verify_form_is_indexable_and_certificate_pages_are_not(client):
    form = client.get(reverse("certificates:verify_form"))
    assert "X-Robots-Tag" not in form
    assert b"noindex" not in form.content
    unknown = client.get(reverse("certificates:verify", args=["7K3M-Q9XD-2HPA-W4TB"]))
    assert unknown["X-Robots-Tag"] == "noindex, nofollow"


def test_catalog_search_box_has_one_type(client, policies):
    html = client.get(reverse("courses:catalog")).content.decode()
    start = html.index('name="q"')
    tag = html[html.rindex("<input", 0, start) : html.index(">", start)]
    assert tag.count("type=") == 1
    assert 'type="search"' in tag
