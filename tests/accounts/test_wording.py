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
