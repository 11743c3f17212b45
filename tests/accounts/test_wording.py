"""allauth's pages use the site's sentence-case wording (locale/en)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db

PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"


def test_sign_in_page_says_sign_in_and_remember_me(client):
    html = client.get(reverse("account_login")).content.decode()
    assert "Sign in" in html
    assert "Remember me" in html
    assert "Sign In" not in html
    assert "Remember Me" not in html


def test_compiled_wording_matches_the_po_file():
    """Every entry of django.po is what gettext answers: the .mo was compiled after the
    last edit (msgfmt -o locale/en/LC_MESSAGES/django.mo locale/en/LC_MESSAGES/django.po)."""
    pairs = re.findall(r'^msgid "(.+)"\nmsgstr "(.+)"$', PO.read_text(), re.MULTILINE)
    assert len(pairs) > 20
    with translation.override("en-us"):
        for msgid, msgstr in pairs:
            assert translation.gettext(msgid) == msgstr


def test_a_failed_form_opens_with_a_focused_error_summary(client, learner):
    response = client.post(
        reverse("account_login"), {"login": learner.email, "password": "not the password"}
    )
    html = response.content.decode()
    start = html.index('class="error-summary"')
    summary = html[start : html.index("</div>", start)]
    assert "data-focus-summary" in summary
    assert "not correct" in summary
    assert "js/focus-summary" in html


def test_field_errors_in_the_summary_link_to_their_fields(client):
    response = client.post(reverse("account_signup"), {"email": "not-an-email"})
    html = response.content.decode()
    start = html.index('class="error-summary"')
    summary = html[start : html.index("</div>", start)]
    assert 'href="#id_email"' in summary
