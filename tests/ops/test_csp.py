"""Content-Security-Policy: Django's middleware on every response, nothing inline."""

import re
from http import HTTPStatus
from pathlib import Path

import pytest
from django.urls import reverse

from tests.enrollment.test_player import content, player_urls  # noqa: F401
from tests.testing.conftest import bank, ready  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part
    }


def assert_strict(response) -> None:
    rules = policy(response)
    assert rules["default-src"] == ["'self'"]
    assert rules["script-src"] == ["'self'"]
    assert rules["style-src"] == ["'self'"]
    assert rules["object-src"] == ["'none'"]
    assert rules["frame-ancestors"] == ["'none'"]
    assert "unsafe" not in response["Content-Security-Policy"]


def test_public_pages_carry_the_policy(client, course):
    for url in ["/", course.get_absolute_url(), "/verify/", "/accounts/login/", "/no-such-page/"]:
        assert_strict(client.get(url))


def test_admin_pages_carry_the_policy(client, director):
    assert_strict(client.get("/admin/login/"))
    client.force_login(director)
    for url in ["/admin/", "/admin/enrollment/order/", "/admin/courses/course/add/"]:
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK, url
        assert_strict(response)


def test_player_pages_carry_the_policy(client, paid_order, content):  # noqa: F811
    client.force_login(paid_order.user)
    for url in player_urls(content)[:3]:
        assert_strict(client.get(url))


def test_the_post_test_page_carries_the_policy(client, ready, bank):  # noqa: F811
    client.force_login(ready.user)
    slug = ready.course.slug
    client.post(reverse("testing:start", args=[slug]))
    response = client.get(reverse("testing:attempt", args=[slug, 1]))
    assert response.status_code == HTTPStatus.OK
    assert_strict(response)


def test_checkout_may_hand_the_browser_to_stripe_and_nowhere_else(db, client, settings):
    rules = policy(client.get("/"))
    assert rules["form-action"][:2] == ["'self'", "https://checkout.stripe.com"]
    assert set(rules["form-action"]) <= {
        "'self'",
        "https://checkout.stripe.com",
        settings.STRIPE_API_BASE,
    }


PAGE_TEMPLATES = [
    path
    for path in (ROOT / "templates").rglob("*.html")
    if "/email/" not in str(path) and not path.name.endswith("pdf.html")
]


@pytest.mark.parametrize("template", PAGE_TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_page_template_has_inline_script_style_or_handlers(template):
    html = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/(ld\+)?json)", html)
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)
