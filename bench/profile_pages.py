"""Where a page's Python time goes: each page of issue 12's table, with production
settings (DEBUG off, CACHE_URL=redis://, sessions cached_db, the cached template loader,
PostgreSQL), called in-process through Django's test Client; prints the median CPU time
(process time: the database's own work is not counted) of --calls calls per page and,
with --tree, pyinstrument's call tree of those calls.

Run by hand, never by the test suite:

    .venv/bin/pip install pyinstrument    # only for --tree; not in the locks
    .venv/bin/python bench/profile_pages.py --calls 200
    .venv/bin/python bench/profile_pages.py --tree --pages "course home,section"

The database (ce_bench_profile) is built like bench/pages_rps.py builds its own (demo
data; the demo learner completes the seed course and holds its certificate) and kept
for the next run unless --fresh.
"""

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from catalog_rps import SEED_SLUG, environment, prepare_database

DB_NAME = "ce_bench_profile"


def database_ready(name: str = DB_NAME) -> bool:
    """The database of an earlier run, with its demo data."""
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", name, "-tAc",
         "SELECT 1 FROM accounts_user WHERE email = 'learner@example.com'"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return out.stdout.strip() == "1"


def pages(client_for_learner):
    """{name: (path, signed in)} and the signed-in client."""
    from accounts.models import User
    from certificates.models import Certificate
    from courses.models import Course
    from demo.journeys import journey_complete

    user = User.objects.get(email="learner@example.com")
    course = Course.objects.get(slug=SEED_SLUG)
    certificate = Certificate.objects.filter(enrollment__user=user, status="valid").first()
    if certificate is None:
        certificate = journey_complete(user=user, course=course)
    instructor = course.instructors.first()
    client_for_learner.force_login(user)
    return {
        "/healthz": ("/healthz", False),
        "catalog": ("/", False),
        "course page": (f"/courses/{course.slug}/", False),
        "instructor": (instructor.get_absolute_url(), False),
        "verify form": ("/verify/", False),
        "verify": (f"/verify/{certificate.display_code}/", False),
        "verify.json": (f"/verify/{certificate.display_code}.json", False),
        "my courses": ("/my/courses/", True),
        "course home": (f"/learn/{course.slug}/", True),
        "section": (f"/learn/{course.slug}/sections/{course.sections.last().pk}/", True),
        "test home": (f"/learn/{course.slug}/test/", True),
        "orders": ("/my/orders/", True),
        "transcript": ("/my/transcript/", True),
        "certificate page": (f"/learn/{course.slug}/certificate/", True),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100, help="timed calls per page")
    parser.add_argument("--tree", action="store_true", help="pyinstrument call tree per page")
    parser.add_argument("--cprofile", action="store_true", help="cProfile, top by own time")
    parser.add_argument("--sort", default="tottime", help="cProfile order (cumulative, ...)")
    parser.add_argument("--filter", default="", help="cProfile: only functions matching")
    parser.add_argument("--pages", default="", help="comma-separated page names (default all)")
    parser.add_argument("--page-cache", type=int, default=0, help="PAGE_CACHE_SECONDS")
    parser.add_argument("--fresh", action="store_true", help="rebuild the database")
    parser.add_argument("--redis-db", default="3")
    parser.add_argument("--database", default=DB_NAME, help="PostgreSQL database to build/use")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="ce-profile-")
    env = environment(args.database, tmp)
    env.update(
        CACHE_URL=f"redis://127.0.0.1:6379/{args.redis_db}",
        CACHE_KEY_PREFIX=f"profile-{secrets.token_hex(4)}",
        CERTIFICATE_VERIFY_RATE_PER_MINUTE="100000000",
        DATABASE_CONN_MAX_AGE="60",
        PAGE_CACHE_SECONDS=str(args.page_cache),
    )
    if args.fresh or not database_ready(args.database):
        prepare_database(args.database, env)
    else:
        for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
            subprocess.run(
                [sys.executable, "manage.py", *command, "-v", "0"],
                cwd=Path(__file__).resolve().parents[1], env=env, check=True,
            )  # fmt: skip
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"

    try:
        profile(args)
    finally:
        forget_keys(args.redis_db, env["CACHE_KEY_PREFIX"])


def forget_keys(db: str, prefix: str) -> None:
    """The run's keys (the version keys never expire by themselves)."""
    import redis

    store = redis.Redis(host="127.0.0.1", port=6379, db=int(db))
    for pattern in (f"{prefix}*", f":1:{prefix}*"):
        for key in store.scan_iter(match=pattern):
            store.delete(key)


def profile(args) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    assert not settings.DEBUG
    anonymous = Client(HTTP_HOST="127.0.0.1")
    learner = Client(HTTP_HOST="127.0.0.1")
    table = pages(learner)
    wanted = [p.strip() for p in args.pages.split(",") if p.strip()] or list(table)

    print(
        f"{args.calls} calls per page, production settings, page cache {args.page_cache} s, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(f"  {'page':<18} {'CPU ms':>7} {'wall ms':>8}")
    for name in wanted:
        path, signed_in = table[name]
        client = learner if signed_in else anonymous
        for _ in range(5):  # warm: templates, caches, connection
            response = client.get(path)
            assert response.status_code == 200, (name, response.status_code)
        cpu, wall = [], []
        for _ in range(args.calls):
            c0, w0 = time.process_time(), time.perf_counter()
            client.get(path)
            cpu.append(time.process_time() - c0)
            wall.append(time.perf_counter() - w0)
        print(
            f"  {name:<18} {statistics.median(cpu) * 1000:>7.2f} "
            f"{statistics.median(wall) * 1000:>8.2f}"
        )
        if args.tree:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0002)
            with profiler:
                for _ in range(args.calls):
                    client.get(path)
            print(profiler.output_text(unicode=True, color=False, show_all=False))
        if args.cprofile:
            import cProfile
            import pstats

            profile = cProfile.Profile()
            with profile:
                for _ in range(args.calls):
                    client.get(path)
            pstats.Stats(profile).sort_stats(args.sort).print_stats(args.filter or None, 30)


if __name__ == "__main__":
    main()
