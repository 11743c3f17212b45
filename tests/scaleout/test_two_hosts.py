"""The scale-out test: production's shape on one machine, checked through nginx.

Two gunicorn hosts that share nothing on disk, one worker, nginx with deploy/nginx.conf,
PostgreSQL, Redis and S3 (moto) (see cluster.py). Each check of issue 10 is its own test;
they share one cluster, started once for this module. nginx runs one worker process and
alternates between the hosts; its access log tells which host answered each request.
"""

import json
import os
import re
import signal
import subprocess
import time
import uuid
from http import HTTPStatus

import psycopg
import pytest
import stripe
from django.conf import settings

from tests import stripe_fake
from tests.scaleout.cluster import NGINX, Cluster, client, csrf_token
from tests.smtp_fake import FakeSMTP

pytestmark = pytest.mark.scaleout

DIRECTOR = ("director@example.com", "demo-director-pass")


@pytest.fixture(scope="module")
def smtp():
    server = FakeSMTP()
    server.start()
    yield server
    server.release()
    server.stop()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, smtp, _stripe_server, _collected_static):
    if not os.path.exists(NGINX):
        pytest.fail("The scale-out test needs nginx: apt-get install nginx")
    cluster = Cluster(tmp_path_factory.mktemp("scaleout"), smtp_port=smtp.port)
    try:
        cluster.start(static_from=settings.STATIC_ROOT)
        cluster.wait_for(
            lambda: client().get(f"{cluster.base}/readyz").status_code == HTTPStatus.OK,
            timeout=30,
            what="/readyz to say ready",
        )
        yield cluster
    except BaseException:
        for service in cluster.services.values():
            print(f"--- {service.name} ---\n{service.output()[-4000:]}")
        raise
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def admin_page(cluster, browser):
    """The director, signed in to admin through nginx in a real Chromium."""
    context = browser.new_context(base_url=cluster.base)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto("/admin/login/?next=/admin/")
    page.fill("input[name=username]", DIRECTOR[0])
    page.fill("input[name=password]", DIRECTOR[1])
    with page.expect_navigation():
        page.click("input[type=submit]")
    assert page.url.endswith("/admin/"), page.url
    yield page
    context.close()


def signed_in(cluster: Cluster, email: str, *, source: str = "127.0.0.1"):
    session = client(source)
    form = session.get(f"{cluster.base}/accounts/login/")
    response = session.post(
        f"{cluster.base}/accounts/login/",
        {
            "login": email,
            "password": cluster.facts["password"],
            "csrfmiddlewaretoken": csrf_token(form.text),
        },
        allow_redirects=False,
    )
    assert response.status_code == HTTPStatus.FOUND, response.text[:500]
    return session


def probed(path: str) -> tuple[str, str]:
    probe = uuid.uuid4().hex
    return f"{path}{'&' if '?' in path else '?'}probe={probe}", probe


def get_served_by(cluster, session, path, *, host: str, **kwargs):
    """GET `path` through nginx until `host` answers it; returns that response."""
    for _ in range(8):
        url, probe = probed(path)
        response = session.get(f"{cluster.base}{url}", allow_redirects=False, **kwargs)
        if cluster.served_by(probe) == host:
            return response
    raise AssertionError(f"nginx never sent {path} to host {host}")


def other(host: str) -> str:
    return {"a": "b", "b": "a"}[host]


def sql(cluster: Cluster, query: str, *params):
    url = cluster.env(cluster.root)["DATABASE_URL"]
    with psycopg.connect(url) as connection:
        return connection.execute(query, params).fetchall()


def test_audio_uploaded_in_admin_through_one_host_plays_with_a_range_request_on_the_other(
    cluster, admin_page, tmp_path
):
    # A real recording: admin checks that audio decodes (courses.media_checks).
    audio = (settings.BASE_DIR / "demo" / "media" / "alliance.mp3").read_bytes()
    upload = tmp_path / "séance-один.mp3"  # not ASCII: the name travels to S3 and back
    upload.write_bytes(audio)
    page = admin_page
    url, _ = probed(f"/admin/courses/course/{cluster.facts['seed_course_id']}/change/")
    page.goto(url)
    page.get_by_text("Add another Audio track").click()
    new = "[name^=audio_tracks-]:not([name*=__prefix__])"  # the added row, not the template
    page.locator(f"input{new}[name$=-title]").last.fill("Scale-out lecture")
    page.locator(f"textarea{new}[name$=-transcript]").last.fill("Transcript.")
    page.locator(f"input[type=file]{new}[name$=-file]").last.set_input_files(upload)
    with page.expect_navigation():
        page.locator("input[name=_continue]").click()
    assert "was changed successfully" in page.content()
    uploader = cluster.served_by(f'"POST {url}')
    [(track_id,)] = sql(
        cluster, "SELECT id FROM courses_audiotrack WHERE title = %s", "Scale-out lecture"
    )
    learner = signed_in(cluster, cluster.facts["holder"])
    media = f"/learn/{cluster.facts['seed_slug']}/media/audio/{track_id}/"

    redirect = get_served_by(
        cluster, learner, media, host=other(uploader), headers={"Range": "bytes=1000-1999"}
    )
    assert redirect.status_code == HTTPStatus.FOUND
    assert redirect.headers["Cache-Control"] == "private, no-store"
    played = learner.get(redirect.headers["Location"], headers={"Range": "bytes=1000-1999"})
    assert played.status_code == HTTPStatus.PARTIAL_CONTENT
    assert played.headers["Content-Range"] == f"bytes 1000-1999/{len(audio)}"
    assert played.content == audio[1000:2000]


def test_the_certificate_pdf_is_byte_identical_through_both_hosts_with_logo_and_signature(
    cluster, tmp_path
):
    holder = signed_in(cluster, cluster.facts["holder"])
    path = f"/certificates/{cluster.facts['certificate_code']}/certificate.pdf"
    cluster.wait_for(
        lambda: (
            holder.get(f"{cluster.base}{path}", allow_redirects=False).status_code
            == HTTPStatus.FOUND
        ),
        timeout=30,
        what="the worker to store the certificate PDF",
    )
    pdfs = {}
    for host in ("a", "b"):
        redirect = get_served_by(cluster, holder, path, host=host)
        assert redirect.status_code == HTTPStatus.FOUND
        download = holder.get(redirect.headers["Location"])
        assert download.status_code == HTTPStatus.OK
        assert download.headers["Content-Disposition"].startswith("attachment;")
        pdfs[host] = download.content
    assert pdfs["a"].startswith(b"%PDF")
    assert pdfs["a"] == pdfs["b"]
    (tmp_path / "c.pdf").write_bytes(pdfs["a"])
    images = subprocess.run(
        ["pdfimages", "-list", str(tmp_path / "c.pdf")], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    sizes = sorted((int(line.split()[3]), int(line.split()[4])) for line in images)
    assert sizes == [(120, 36), (160, 48)]  # the signature and the logo, from S3


def test_public_media_uploaded_on_one_host_show_on_every_host(cluster):
    for host in ("a", "b"):
        page = get_served_by(cluster, client(), "/instructors/michael-j-gerson/", host=host)
        photo = re.search(r'<img[^>]+src="([^"]+/public/instructors/[^"]+)"', page.text).group(1)
        assert photo.startswith(cluster.s3_endpoint)
        image = client().get(photo)
        assert image.status_code == HTTPStatus.OK
        assert image.content.startswith(b"\x89PNG")
    pdf = f"{cluster.s3_endpoint}/ce-media/private/certificates/"
    pdf += f"{cluster.facts['certificate_code']}.pdf"
    assert client().get(pdf).status_code == HTTPStatus.FORBIDDEN  # private: signed links only


def test_a_price_change_saved_through_one_host_is_shown_by_the_other_within_a_second(
    cluster, admin_page
):
    slug = cluster.facts["seed_slug"]
    anonymous = client()
    assert "$119.00" in anonymous.get(f"{cluster.base}/courses/{slug}/").text  # cached now
    url, _ = probed(f"/admin/courses/course/{cluster.facts['seed_course_id']}/change/")
    admin_page.goto(url)
    admin_page.fill("input[name=price]", "137.77")
    with admin_page.expect_navigation():
        admin_page.locator("input[name=_continue]").click()
    saved_at = time.monotonic()
    assert "was changed successfully" in admin_page.content()
    saver = cluster.served_by(f'"POST {url}')
    page = get_served_by(cluster, anonymous, f"/courses/{slug}/", host=other(saver))
    assert time.monotonic() - saved_at < 1.0
    assert "$137.77" in page.text


def wait_for_a_quiet_minute() -> None:
    """The lookup limit counts per clock minute: start well inside one."""
    if time.time() % 60 > 52:
        time.sleep(61 - time.time() % 60)


def test_two_clients_have_separate_login_and_lookup_budgets_and_a_spoofed_header_changes_nothing(
    cluster,
):
    first, second = client("127.0.0.2"), client("127.0.0.3")
    spoofed = {"X-Forwarded-For": "203.0.113.77"}

    def login_refused(session, n, **kwargs) -> bool:
        form = session.get(f"{cluster.base}/accounts/login/")
        response = session.post(
            f"{cluster.base}/accounts/login/",
            {"login": f"nobody{n}@example.com", "password": "wrong", "csrfmiddlewaretoken":
             csrf_token(form.text)},
            allow_redirects=False, **kwargs,
        )  # fmt: skip
        return response.status_code == HTTPStatus.TOO_MANY_REQUESTS or (
            "Too many failed login attempts" in response.text
        )

    # allauth allows 10 failed logins a minute per address (settings.ACCOUNT_RATE_LIMITS).
    assert [login_refused(first, n) for n in range(11)] == [False] * 10 + [True]
    assert not login_refused(second, 99)
    assert login_refused(first, 100, headers=spoofed)

    wait_for_a_quiet_minute()
    verify = f"{cluster.base}/verify/{cluster.facts['certificate_code']}/"
    lookups = [first.get(verify).status_code for _ in range(6)]
    assert lookups == [200] * 5 + [429]
    assert second.get(verify).status_code == HTTPStatus.OK
    assert first.get(verify, headers=spoofed).status_code == HTTPStatus.TOO_MANY_REQUESTS


def worker_log(cluster: Cluster) -> str:
    return cluster.services["worker"].output()


def test_with_smtp_down_a_paid_checkout_answers_2xx_enrolls_at_once_and_the_receipt_follows(
    cluster, smtp, fake_stripe
):
    smtp.stop()
    buyer = signed_in(cluster, cluster.facts["buyer"])
    slug = cluster.facts["other_slug"]
    review = buyer.get(f"{cluster.base}/checkout/{slug}/")
    to_stripe = buyer.post(
        f"{cluster.base}/checkout/{slug}/",
        {"csrfmiddlewaretoken": csrf_token(review.text)},
        allow_redirects=False,
    )
    assert to_stripe.status_code == HTTPStatus.FOUND
    session_id = to_stripe.headers["Location"].rsplit("/", 1)[1]
    session = fake_stripe.pay(session_id)
    payload = json.dumps(stripe_fake.event("checkout.session.completed", session))
    signature = stripe.WebhookSignature.generate_signature_header(
        payload, settings.STRIPE_WEBHOOK_SECRET
    )
    started = time.monotonic()
    webhook = client().post(
        f"{cluster.base}/stripe/webhook/",
        data=payload,
        headers={"Content-Type": "application/json", "Stripe-Signature": signature},
    )
    assert webhook.status_code == HTTPStatus.OK
    assert time.monotonic() - started < 3, "the webhook does not wait for the mail server"
    number = re.search(r"order (\S+) paid", webhook.json()["outcome"]).group(1)
    assert buyer.get(f"{cluster.base}/learn/{slug}/").status_code == HTTPStatus.OK
    success = buyer.get(session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id))
    assert success.status_code == HTTPStatus.OK

    cluster.wait_for(
        lambda: f"order {number} failed (attempt 1 of" in worker_log(cluster),
        timeout=20,
        what="the worker to try the receipt and fail",
    )
    assert smtp.to(cluster.facts["buyer"]) == []
    smtp.start()
    receipts = cluster.wait_for(
        lambda: smtp.to(cluster.facts["buyer"]), timeout=30, what="the retried receipt"
    )
    assert len(receipts) == 1
    assert number in receipts[0]["Subject"]


def test_a_worker_killed_mid_task_runs_it_again_and_the_email_is_sent_exactly_once(cluster, smtp):
    smtp.start()
    smtp.stall()
    anonymous = client()
    form = anonymous.get(f"{cluster.base}/accounts/password/reset/")
    asked = anonymous.post(
        f"{cluster.base}/accounts/password/reset/",
        {"email": cluster.facts["forgetful"], "csrfmiddlewaretoken": csrf_token(form.text)},
        allow_redirects=False,
    )
    assert asked.status_code == HTTPStatus.FOUND
    assert smtp.holding.wait(30), "the worker never reached the mail server"

    cluster.services["worker"].stop(signal.SIGKILL)  # mid-send: the message is not taken
    smtp.release()
    readiness = cluster.wait_for(
        lambda: (r := client().get(f"{cluster.base}/readyz")).status_code == 503 and r.text,
        timeout=15,
        what="/readyz to notice the dead worker",
    )
    assert readiness.startswith("down: worker")

    cluster.start_worker()
    cluster.wait_for(
        lambda: smtp.to(cluster.facts["forgetful"]), timeout=30, what="the email, sent again"
    )
    # Every email task finished: no run is left that could send a duplicate.
    cluster.wait_for(
        lambda: (
            not sql(
                cluster,
                "SELECT 1 FROM django_tasks_database_dbtaskresult "
                "WHERE task_path = 'background.mail.email_send' AND finished_at IS NULL",
            )
        ),
        timeout=30,
        what="the email task to finish",
    )
    [email] = smtp.to(cluster.facts["forgetful"])
    assert "Password Reset" in email["Subject"]
    assert "running it again (attempt 2 of" in worker_log(cluster)
    assert client().get(f"{cluster.base}/readyz").status_code == HTTPStatus.OK


def test_on_local_disk_nginx_sends_the_file_after_the_check_and_adds_no_cache_control(
    cluster,
):
    """A one-host deploy: the app checks access, nginx sends a file whose name is not
    ASCII from the shipped /protected/ location, ranges included; nginx's gzip and the
    app's single Cache-Control on pages."""
    base = cluster.start_local_disk_site()
    name = "audio/séance-locale.mp3"
    data = os.urandom(50_000)
    private = cluster.root / "host-local" / "private_media"
    (private / "audio").mkdir(parents=True)
    (private / name).write_bytes(data)
    [(track_id,)] = sql(
        cluster,
        "INSERT INTO courses_audiotrack (course_id, title, file, transcript, \"order\") "
        "VALUES (%s, 'Local lecture', %s, 'Words.', 9) RETURNING id",
        cluster.facts["seed_course_id"], name,
    )  # fmt: skip
    learner = client()
    form = learner.get(f"{base}/accounts/login/")
    learner.post(
        f"{base}/accounts/login/",
        {"login": cluster.facts["holder"], "password": cluster.facts["password"],
         "csrfmiddlewaretoken": csrf_token(form.text)},
    )  # fmt: skip
    media = f"{base}/learn/{cluster.facts['seed_slug']}/media/audio/{track_id}/"
    played = learner.get(media, headers={"Range": "bytes=100-199"})
    assert played.status_code == HTTPStatus.PARTIAL_CONTENT
    assert played.content == data[100:200]
    assert played.headers["Content-Type"] == "audio/mpeg"
    assert played.raw.headers.getlist("Cache-Control") == ["private, no-cache"]
    assert played.headers["X-Content-Type-Options"] == "nosniff"
    assert "X-Accel-Redirect" not in played.headers
    assert client().get(media, allow_redirects=False).status_code == HTTPStatus.FOUND  # sign in

    page = client().get(f"{base}/courses/{cluster.facts['seed_slug']}/",
                        headers={"Accept-Encoding": "gzip"})  # fmt: skip
    assert page.headers["Content-Encoding"] == "gzip"
    stylesheet = re.search(r'href="(/static/[^"]+[.]css)"', page.text).group(1)
    static = client().get(f"{base}{stylesheet}")
    assert static.status_code == HTTPStatus.OK
    [cache_control] = static.raw.headers.getlist("Cache-Control")  # WhiteNoise's, only
    assert "max-age=315360000" in cache_control


def logged(cluster: Cluster, probe: str) -> str | None:
    """nginx's access-log line of the request with `probe` ("upstream status request")."""
    log = (cluster.root / "nginx" / "logs" / "access.log").read_text()
    return next((line for line in log.splitlines() if probe in line), None)


def test_nginx_cuts_an_oversized_public_upload_even_without_a_declared_length(cluster):
    """deploy/nginx.conf allows 2 GB for admin's video, but the public checks on /verify/
    get small limits: a chunked body (no Content-Length for the app to refuse it by) is
    cut by nginx and none of it reaches a host."""
    session = client("127.0.0.41")  # a client of its own: the lookup budget is per client
    token = csrf_token(session.get(f"{cluster.base}/verify/").text)

    def chunked(total: int):  # requests sends a generator with Transfer-Encoding: chunked
        piece = b"%PDF-" + b"0" * (64 * 1024 - 5)
        for _ in range(total // len(piece) + 1):
            yield piece

    for path, size in (("/verify/document/", 7_000_000), ("/verify/bulk/", 2_000_000)):
        url, probe = probed(path)
        response = session.post(
            f"{cluster.base}{url}",
            data=chunked(size),
            headers={"Content-Type": "application/pdf", "X-CSRFToken": token},
        )
        assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
        assert "nginx" in response.text  # nginx's own page, not the app's form
        line = cluster.wait_for(
            lambda probe=probe: logged(cluster, probe),
            timeout=5,
            what="nginx to log the refused upload",
        )
        assert line.startswith("- 413 "), line  # no upstream: no host saw a byte of it

    # An upload within the limit reaches the app, which answers it.
    url, probe = probed("/verify/document/")
    response = session.post(
        f"{cluster.base}{url}",
        data={"csrfmiddlewaretoken": token},
        files={"document": ("notes.pdf", b"not a PDF at all", "application/pdf")},
    )
    assert response.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    assert "This file is not a PDF" in response.text
    assert cluster.served_by(probe) in {"a", "b"}
