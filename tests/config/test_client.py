"""One client address for every per-client limit and the access log (config.client)."""

import subprocess
import sys
from datetime import timedelta
from types import SimpleNamespace

import pytest
from allauth.account.adapter import get_adapter
from django.test import RequestFactory
from gunicorn.config import Config

from config.client import address_from, client_address
from config.gunicorn_logging import AccessLogger
from tests.config.test_settings import ROOT
from tests.testenv import TEST_ENV


@pytest.mark.parametrize(
    ("remote", "forwarded", "proxies", "expected"),
    [
        ("198.51.100.7", "", 0, "198.51.100.7"),
        ("198.51.100.7", "203.0.113.5", 0, "198.51.100.7"),  # no proxy: header ignored
        ("127.0.0.1", "203.0.113.5", 1, "203.0.113.5"),  # nginx appended the client
        ("127.0.0.1", "6.6.6.6, 203.0.113.5", 1, "203.0.113.5"),  # spoofed part ignored
        ("10.0.0.2", "6.6.6.6, 203.0.113.5, 10.0.0.1", 2, "203.0.113.5"),  # LB + nginx
        ("127.0.0.1", "203.0.113.5", 2, "127.0.0.1"),  # fewer hops than proxies: the peer
        ("127.0.0.1", "not-an-address", 1, "127.0.0.1"),
        ("127.0.0.1", "2001:db8::1", 1, "2001:db8::1"),
    ],
)
def test_the_client_is_the_entry_the_trusted_proxies_wrote(remote, forwarded, proxies, expected):
    assert address_from(remote, forwarded, proxies) == expected


def request(remote: str, forwarded: str = ""):
    return RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)


def test_with_no_trusted_proxy_a_sent_header_changes_nothing(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(request("198.51.100.7", "203.0.113.5")) == "198.51.100.7"


def test_allauth_limits_count_the_same_address(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    spoofed = request("127.0.0.1", "6.6.6.6, 203.0.113.5")
    assert get_adapter(spoofed).get_client_ip(spoofed) == "203.0.113.5"


def test_allauth_is_given_the_same_proxy_count():
    code = "import django; django.setup(); from django.conf import settings as s; "
    code += "print(s.TRUSTED_PROXY_COUNT, s.ALLAUTH_TRUSTED_PROXY_COUNT)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
        env={**TEST_ENV, "TRUSTED_PROXY_COUNT": "2", "DJANGO_SETTINGS_MODULE": "config.settings"},
    )  # fmt: skip
    assert result.stdout.split() == ["2", "2"]


def test_the_access_log_shows_the_client_not_the_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    logger = AccessLogger(Config())
    atoms = logger.atoms(
        SimpleNamespace(status="200 OK", sent=10, headers=[]),
        SimpleNamespace(headers=[]),
        {
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.5",
            "REQUEST_METHOD": "GET",
            "RAW_URI": "/",
            "SERVER_PROTOCOL": "HTTP/1.1",
        },
        timedelta(milliseconds=3),
    )
    assert atoms["h"] == "203.0.113.5"
