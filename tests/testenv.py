"""Loaded first by pytest (`-p tests.testenv` in pyproject.toml), before Django's settings.

The suite runs with DEBUG off, as production does; this gives the production start-up
the values it insists on. Nothing here turns a security check off: the secrets are
test-only, the Stripe API base points at the fake server the tests run on loopback, and
plain-HTTP test servers are why the SSL redirect (a proxy's job in production) is off.
"""

import os
import socket
import tempfile

_TMP = tempfile.mkdtemp(prefix="ce-tests-")


def free_port() -> int:
    """A loopback port nobody holds now, so that two runs on one machine never collide."""
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """`count` different loopback ports nobody holds now: each probe stays bound until all
    are chosen (one after another, the system may hand out the same port twice)."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


TEST_ENV = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "DJANGO_ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
    "DJANGO_SECURE_SSL_REDIRECT": "false",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/ce_storefront",
    "SITE_URL": "https://ce.example.test",
    "DJANGO_EMAIL_BACKEND": "locmem",
    "DEFAULT_FROM_EMAIL": "Clinician CE Institute <no-reply@ce.example.test>",
    "STRIPE_SECRET_KEY": "sk_test_fake_key_for_tests",
    "STRIPE_WEBHOOK_SECRET": "whsec_test_secret_for_tests",
    "STRIPE_API_BASE": f"http://127.0.0.1:{free_port()}",
    "STATIC_ROOT": os.path.join(_TMP, "static"),
    "MEDIA_ROOT": os.path.join(_TMP, "media"),
    "PRIVATE_MEDIA_ROOT": os.path.join(_TMP, "private_media"),
    "DJANGO_LOG_LEVEL": "WARNING",
    # Tasks run in the test process once their transaction commits; the worker itself is
    # tested in tests/background and tests/scaleout.
    "TASK_BACKEND": "immediate",
    # Self-signed signing keys made once per run (credentials/keys.py).
    "CREDENTIAL_DEMO_KEYS": "true",
    "CREDENTIAL_KEYS_DIR": os.path.join(_TMP, "credential-keys"),
    # The learner page cache, on as in production (where it needs Redis: one test process
    # here, so one process's memory is shared enough).
    "LEARNER_PAGE_CACHE_SECONDS": "600",
}

for key, value in TEST_ENV.items():
    os.environ.setdefault(key, value)
