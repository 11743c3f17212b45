"""/healthz stays cheap; /readyz names each dependency that is down, each one stopped here."""

import os
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from http import HTTPStatus

import pytest
import redis
from django.utils import timezone

from background.heartbeat import heartbeat_record
from background.models import WorkerHeartbeat
from credentials import keys
from tests.config.test_settings import ROOT
from tests.credentials.keyfiles import key_files
from tests.credentials.test_keys import fresh_keys  # noqa: F401
from tests.testenv import TEST_ENV, free_port

pytestmark = pytest.mark.django_db


def ready(client) -> tuple[int, str]:
    response = client.get("/readyz")
    return response.status_code, response.content.decode()


def test_healthz_answers_get_and_head_without_touching_anything(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/healthz").content == b"ok"
        head = client.head("/healthz")
    assert head.status_code == HTTPStatus.OK
    assert head.content == b""
    assert "no-cache" in head["Cache-Control"]


def test_readyz_says_ready_when_everything_answers(client):
    status, body = ready(client)
    assert status == HTTPStatus.OK, body
    assert body.startswith("ready\n")
    for part in ("database: ok", "cache: ok", "storage: ok", "worker: ok", "signing keys: ok"):
        assert part in body
    assert client.head("/readyz").status_code == HTTPStatus.OK


@pytest.fixture
def own_redis():
    """A Redis server of this test's own, which it can stop."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is needed: apt-get install redis-server")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis(port=port, socket_connect_timeout=0.2).ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    yield process, port
    if process.poll() is None:
        process.terminate()
        process.wait()


def test_readyz_names_the_cache_when_redis_stops(client, settings, own_redis):
    process, port = own_redis
    redis_cache = {
        "BACKEND": "ops.rediscache.ReusedClientRedisCache",
        "LOCATION": f"redis://127.0.0.1:{port}/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
    settings.CACHES = {**settings.CACHES, "default": redis_cache}
    assert ready(client)[0] == HTTPStatus.OK
    process.terminate()
    process.wait()
    status, body = ready(client)
    assert status == HTTPStatus.SERVICE_UNAVAILABLE
    assert body.startswith("down: cache\n")
    assert "cache: down: ConnectionError" in body
    assert "127.0.0.1" not in body  # names the part, never an address


def test_readyz_names_storage_when_the_object_store_stops(client, settings, s3):
    store = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": s3.bucket, "endpoint_url": s3.endpoint, "region_name": "us-east-1",
            "access_key": "test", "secret_key": "test", "location": "private",
        },
    }  # fmt: skip
    settings.STORAGES = {**settings.STORAGES, "private": store}
    assert ready(client)[0] == HTTPStatus.OK
    s3.stop()
    status, body = ready(client)
    assert status == HTTPStatus.SERVICE_UNAVAILABLE
    assert body.startswith("down: storage\n")


def test_readyz_names_the_worker_when_its_heartbeat_is_old(client, settings):
    settings.TASK_BACKEND = "database"
    settings.WORKER_STALE_SECONDS = 60
    status, body = ready(client)
    assert status == HTTPStatus.SERVICE_UNAVAILABLE
    assert "worker: down: no worker has ever reported" in body
    heartbeat_record(worker_id="w1")
    assert ready(client)[0] == HTTPStatus.OK
    WorkerHeartbeat.objects.update(seen_at=timezone.now() - timedelta(seconds=90))
    status, body = ready(client)
    assert status == HTTPStatus.SERVICE_UNAVAILABLE
    assert body.startswith("down: worker\n")
    assert "the last worker heartbeat is 90 s old" in body


def test_readyz_names_the_database_when_it_is_down():
    """A web host whose PostgreSQL went away (here: nothing listens on its port)."""
    code = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "response = Client().get('/readyz')\n"
        "print(response.status_code); print(response.content.decode())\n"
    )
    env = {
        **TEST_ENV,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{free_port()}/gone",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.split("\n", 1)
    assert status == "503"
    # Without CACHE_URL the cache table is in the same database, so it is down too.
    assert body.startswith("down: database")
    assert "database: down: OperationalError" in body
    assert "storage: ok" in body


def test_readyz_names_the_signing_keys_when_a_key_file_goes_away(
    client,
    settings,
    tmp_path,
    fresh_keys,  # noqa: F811
):
    """Production names its key files; a secrets mount that went away (or a file the site's
    user cannot read) after the processes started makes the host unready."""
    for name, value in key_files(tmp_path / "keys").items():
        setattr(settings, name, value)
    settings.CREDENTIAL_DEMO_KEYS = False
    status, body = ready(client)
    assert status == HTTPStatus.OK, body
    assert "signing keys: ok\n" in body
    keys.pdf_signing()  # loaded and cached by now: the check reads the files again

    os.unlink(settings.PDF_SIGNING_KEY_FILE)
    status, body = ready(client)
    assert status == HTTPStatus.SERVICE_UNAVAILABLE
    assert body.startswith("down: signing keys\n")
    assert "signing keys: down: missing or unreadable: PDF_SIGNING_KEY_FILE\n" in body
    assert str(tmp_path) not in body  # names the setting, never the path

    # Unreadable: here a directory where the key should be (root reads any mode).
    settings.PDF_SIGNING_KEY_FILE = str(tmp_path)
    os.unlink(settings.CREDENTIAL_SIGNING_KEY_FILE)
    status, body = ready(client)
    assert status == HTTPStatus.SERVICE_UNAVAILABLE
    assert (
        "signing keys: down: missing or unreadable: PDF_SIGNING_KEY_FILE, "
        "CREDENTIAL_SIGNING_KEY_FILE" in body
    )


def test_readyz_names_the_signing_keys_when_a_file_holds_no_usable_key(
    client,
    settings,
    tmp_path,
    fresh_keys,  # noqa: F811
):
    for name, value in key_files(tmp_path).items():
        setattr(settings, name, value)
    settings.CREDENTIAL_DEMO_KEYS = False
    settings.PDF_SIGNING_KEY_PASSPHRASE = "not the passphrase"
    status, body = ready(client)
    assert status == HTTPStatus.SERVICE_UNAVAILABLE
    assert "signing keys: down: the key files hold no usable key" in body


def test_readyz_names_the_signing_keys_when_none_are_configured(
    client,
    settings,
    fresh_keys,  # noqa: F811
):
    settings.CREDENTIAL_DEMO_KEYS = False
    for name in keys.KEY_FILE_SETTINGS:
        setattr(settings, name, "")
    status, body = ready(client)
    assert status == HTTPStatus.SERVICE_UNAVAILABLE
    assert "signing keys: down: no key files are configured" in body


def test_readyz_says_when_the_demo_keys_sign(client, settings, tmp_path, fresh_keys):  # noqa: F811
    settings.CREDENTIAL_DEMO_KEYS = True
    settings.CREDENTIAL_KEYS_DIR = tmp_path
    for name in keys.KEY_FILE_SETTINGS:
        setattr(settings, name, "")
    status, body = ready(client)
    assert status == HTTPStatus.OK, body
    assert "signing keys: ok (self-signed demo keys)" in body
