"""Every page of issue 12's table as a ratio of /healthz served by the same gunicorn in the
same run, on PostgreSQL and Redis; the certificate render median; with --growth, each
page again after seed_growth (1,000 courses, 100 enrollments and certificates, 40
sections) as a ratio of its time on the demo data.

Run by hand (`make bench`), never by the test suite. Production settings (DEBUG off,
CACHE_URL=redis://, sessions in the cache, persistent connections), gunicorn -w 4, and
`wrk -t2 -c16` (apt-get install wrk) against each URL in turn, the URLs interleaved over
the rounds. Two servers, one after the other, on the same database: one with the page
cache (60 s) and one without (PAGE_CACHE_SECONDS=0, every anonymous page rendered
afresh). Signed-in pages use a session (and a CSRF cookie, as a browser holds) made for
the demo learner, who has completed the seed course and holds its certificate; they are
measured kept (the learner page cache, the production default) against the goal and, on
the server without caches, built on every request ("built": the first view after a
change), for the record. The lookup limit is raised for the run (wrk sends
everything from one address) but still counted in Redis on every request.
"""

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import tempfile

from catalog_rps import (
    SEED_SLUG,
    django_shell,
    environment,
    prepare_database,
    start_gunicorn,
    wait_until_up,
)

GOALS = {
    "anonymous, cache warm": 0.6,
    "anonymous, no page cache": 0.15,
    "signed in": 0.15,
    "verify": 0.3,
}

SETUP = """
import json, time
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from accounts.models import User
from certificates import services
from certificates.models import Certificate
from courses.models import Course
from django.db.models import Count

def session_for(email):
    user = User.objects.get(email=email)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    # A browser holds the CSRF cookie from its first page on; the learner pages are kept
    # per CSRF secret (enrollment/pagecache.py).
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
    from django.utils.crypto import get_random_string

    csrf = get_random_string(CSRF_SECRET_LENGTH, allowed_chars=CSRF_ALLOWED_CHARS)
    return (
        f"{settings.SESSION_COOKIE_NAME}={store.session_key}; "
        f"{settings.CSRF_COOKIE_NAME}={csrf}"
    )

def learner_urls(email):
    user = User.objects.get(email=email)
    # the course with the most sections (the 40-section one after seed_growth)
    enrollment = user.enrollments.annotate(n=Count("course__sections")).order_by("-n", "pk")[0]
    course = enrollment.course
    certificate = Certificate.objects.filter(enrollment__user=user, status="valid").first()
    return {
        "my courses": "/my/courses/",
        "course home": f"/learn/{course.slug}/",
        "section": f"/learn/{course.slug}/sections/{course.sections.last().pk}/",
        "test home": f"/learn/{course.slug}/test/",
        "orders": "/my/orders/",
        "transcript": "/my/transcript/",
        "certificate page": f"/learn/{certificate.enrollment.course.slug}/certificate/",
        "verify": f"/verify/{certificate.display_code}/",
        "verify.json": f"/verify/{certificate.display_code}.json",
    }

MODE
"""

DEMO = """
from demo.journeys import journey_complete
certificate = journey_complete(
    user=User.objects.get(email="learner@example.com"), course=Course.objects.get(slug=SLUG)
)
times = []
for _ in range(RENDERS):
    start = time.perf_counter()
    services.render_pdf(services.certificate_html(certificate), title="t", author="a")
    times.append(time.perf_counter() - start)
instructor = Course.objects.get(slug=SLUG).instructors.first()
print("RESULT", json.dumps({
    "cookie": session_for("learner@example.com"), "renders": times,
    "urls": learner_urls("learner@example.com"),
    "anonymous": {"catalog": "/", "course page": f"/courses/{SLUG}/",
                  "instructor": instructor.get_absolute_url(), "verify form": "/verify/"},
}))
"""

GROWN = """
from django.core.management import call_command
call_command("seed_growth", "--allow-production")
# The grown tables as production keeps them (autovacuum, fresh planner statistics), and no
# vacuum of the bulk load running while the pages are measured.
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("VACUUM ANALYZE")
course = Course.objects.published().order_by("title").last()
print("RESULT", json.dumps({
    "cookie": session_for("growth@example.com"),
    "urls": learner_urls("growth@example.com"),
    "anonymous": {"catalog": "/?page=40", "course page": f"/courses/{course.slug}/",
                  "instructor": course.instructors.first().get_absolute_url(),
                  "verify form": "/verify/"},
}))
"""


def wrk(url: str, seconds: int, cookie: str = "") -> float:
    command = ["wrk", "-t2", "-c16", f"-d{seconds}s", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    run = subprocess.run(command, capture_output=True, text=True, check=False)
    if run.returncode:
        raise SystemExit(f"wrk failed on {url}: {run.stderr or run.stdout}")
    for line in run.stdout.splitlines():
        if "Non-2xx" in line:
            raise SystemExit(f"{url}: {line.strip()}")
    line = next(line for line in run.stdout.splitlines() if line.startswith("Requests/sec"))
    return float(line.split()[1])


def measure(env, args, page_cache: int, urls: dict[str, tuple[str, str]]) -> dict[str, float]:
    """Median req/s of each named (path, cookie) on a fresh gunicorn, /healthz included;
    `page_cache` seconds for both the anonymous and the learner page caches (0: off)."""
    env = {
        **env,
        "PAGE_CACHE_SECONDS": str(page_cache),
        "LEARNER_PAGE_CACHE_SECONDS": str(page_cache and 600),
    }
    urls = {"/healthz": ("/healthz", ""), **urls}
    server = start_gunicorn(env, args.port, args.workers)
    base = f"http://127.0.0.1:{args.port}"
    try:
        wait_until_up(base)
        for path, cookie in urls.values():  # warm up: connections, caches, templates
            wrk(base + path, 1, cookie)
        results: dict[str, list[float]] = {name: [] for name in urls}
        for _ in range(args.rounds):
            for name, (path, cookie) in urls.items():
                results[name].append(wrk(base + path, args.seconds, cookie))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {name: statistics.median(values) for name, values in results.items()}


def report(title: str, rates: dict[str, float], kind: dict[str, str]) -> dict[str, float]:
    base = rates["/healthz"]
    print(f"\n{title}: /healthz {base:.0f} req/s")
    print(f"  {'page':<34} {'req/s':>7} {'x /healthz':>10} {'goal':>6}")
    ratios = {}
    for name, rps in rates.items():
        if name == "/healthz":
            continue
        ratios[name] = rps / base
        goal = GOALS.get(kind.get(name, ""), 0)
        mark = "" if not goal else ("  ok" if ratios[name] >= goal else "  MISSES")
        print(f"  {name:<34} {rps:>7.0f} {ratios[name]:>10.3f} {goal:>6}{mark}")
    return ratios


def phase(env, args, data: dict, label: str) -> tuple[dict[str, float], dict[str, float]]:
    """(ratio to /healthz, req/s) of each page, on a server without and one with the page
    cache."""
    cookie = data["cookie"]
    anon = {f"{k} (no page cache)": (p, "") for k, p in data["anonymous"].items()}
    warm = {
        f"{k} (cache warm)": (p, "") for k, p in data["anonymous"].items() if k != "verify form"
    }
    signed = {k: (p, cookie) for k, p in data["urls"].items() if not k.startswith("verify")}
    # The same pages built on every request (the first view after a change), for the record.
    built = {f"{k} (built)": v for k, v in signed.items()}
    verify = {k: (p, "") for k, p in data["urls"].items() if k.startswith("verify")}
    kind = {
        **dict.fromkeys(anon, "anonymous, no page cache"),
        **dict.fromkeys(warm, "anonymous, cache warm"),
        **dict.fromkeys(signed, "signed in"),
        **dict.fromkeys(verify, "verify"),
    }
    cold = measure(env, args, 0, {**anon, **built})
    hot = measure(env, args, 60, {**warm, **signed, **verify})
    ratios = report(f"{label}, no page cache", cold, kind)
    ratios |= report(f"{label}, page cache 60 s", hot, kind)
    return ratios, cold | hot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="measurements per URL")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8104)
    parser.add_argument("--renders", type=int, default=15)
    parser.add_argument("--conn-max-age", default="60", help="DATABASE_CONN_MAX_AGE")
    parser.add_argument("--growth", action="store_true", help="then seed_growth and compare")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")

    db_name = "ce_bench_pages"
    tmp = tempfile.mkdtemp(prefix="ce-bench-pages-")
    env = environment(db_name, tmp)
    env.update(
        CACHE_URL="redis://127.0.0.1:6379/0",
        CACHE_KEY_PREFIX=f"bench-{secrets.token_hex(4)}",
        CERTIFICATE_VERIFY_RATE_PER_MINUTE="100000000",
        DATABASE_CONN_MAX_AGE=args.conn_max_age,
        GUNICORN_WORKERS=str(args.workers),
    )
    try:
        prepare_database(db_name, env)
        demo_script = SETUP.replace("MODE", DEMO).replace("RENDERS", str(args.renders))
        demo = result(shell(env, demo_script.replace("SLUG", repr(SEED_SLUG))))
        print(
            f"workers={args.workers}, wrk -t2 -c16, {args.rounds} x {args.seconds}s per URL, "
            f"CONN_MAX_AGE={args.conn_max_age}, cpus={os.cpu_count()}, "
            f"load average {os.getloadavg()[0]:.1f} at the start"
        )
        times = demo["renders"]
        print(
            f"certificate PDF render: median {statistics.median(times) * 1000:.0f} ms "
            f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}, {len(times)} renders, "
            "in the worker at issue; the download never renders)"
        )
        before, before_rps = phase(env, args, demo, "demo data")
        if args.growth:
            grown = result(shell(env, SETUP.replace("MODE", GROWN)))
            after, after_rps = phase(env, args, grown, "grown data")
            print(
                "\ngrowth: each page's time on the grown data over its time on the demo data,"
                " as a share of /healthz in its run (and in plain req/s); goal <= 1.5"
            )
            for name, ratio in before.items():
                if name in after:
                    slower = ratio / after[name]
                    plain = before_rps[name] / after_rps[name]
                    mark = "ok" if slower <= 1.5 else "MISSES"
                    print(f"  {name:<34} {slower:>6.2f} ({plain:.2f})  {mark}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        redis_forget(env["CACHE_KEY_PREFIX"])
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c",
             f"DROP DATABASE IF EXISTS {db_name}"], check=False,
        )  # fmt: skip


def shell(env: dict, script: str) -> str:
    try:
        return django_shell(env, script)
    except subprocess.CalledProcessError as error:
        raise SystemExit(f"setup failed:\n{error.stderr}") from None


def redis_forget(prefix: str) -> None:
    """The run's keys (the version keys never expire by themselves)."""
    import redis

    store = redis.Redis(host="127.0.0.1", port=6379, db=0)
    for key in store.scan_iter(match=f":1:{prefix}*"):
        store.delete(key)
    for key in store.scan_iter(match=f"{prefix}*"):
        store.delete(key)


def result(out: str) -> dict:
    return json.loads(next(line for line in out.splitlines() if line.startswith("RESULT"))[7:])


if __name__ == "__main__":
    main()
