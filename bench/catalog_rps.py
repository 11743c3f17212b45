"""Requests per second of the anonymous catalog and course pages, against a trivial view.

Run by hand (`make bench`), never by the test suite. It builds a fresh PostgreSQL
database with the demo data, serves the site with gunicorn and production settings
(DEBUG off, manifest static files, persistent connections), loads each URL in turn with
the same client, and prints each page's requests per second as a ratio to `/healthz`
served by the same gunicorn in the same run. Goal: a ratio of at least 0.5.

The load generator is `wrk` when installed (apt-get install wrk), else a small threaded
Python client; the figures name which one ran. Plain HTTP on loopback, so the SSL
redirect (the proxy's job in production) is off for the run.
"""

import argparse
import http.client
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
SEED_SLUG = "psychodynamics-of-the-therapeutic-relationship"
PATHS = ["/healthz", "/", f"/courses/{SEED_SLUG}/", "/?q=transference&level=intermediate"]


def environment(db_name: str, tmp: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db_name}",
        "SITE_URL": "https://bench.example.test",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "DEFAULT_FROM_EMAIL": "Bench <bench@example.test>",
        "STRIPE_SECRET_KEY": "sk_test_bench",
        "STRIPE_WEBHOOK_SECRET": "whsec_bench",
        "STATIC_ROOT": os.path.join(tmp, "static"),
        "MEDIA_ROOT": os.path.join(tmp, "media"),
        "PRIVATE_MEDIA_ROOT": os.path.join(tmp, "private"),
        "DJANGO_LOG_LEVEL": "WARNING",
        "GUNICORN_ACCESSLOG": "",
        # self-signed signing keys made on first use (production names its own key files)
        "CREDENTIAL_DEMO_KEYS": "true",
        "CREDENTIAL_KEYS_DIR": os.path.join(tmp, "keys"),
    }


def manage(env: dict, *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def django_shell(env: dict, script: str) -> str:
    """Run a script in `manage.py shell` against the bench settings; returns its stdout."""
    return subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def prepare_database(db_name: str, env: dict) -> None:
    for sql in (f"DROP DATABASE IF EXISTS {db_name}", f"CREATE DATABASE {db_name}"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql], check=True)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "createcachetable")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    manage(env, "seed_demo", "--allow-production")


def start_gunicorn(env: dict, port: int, workers: int) -> subprocess.Popen:
    """gunicorn with the project's config (production settings from env) on loopback."""
    gunicorn = str(Path(PYTHON).with_name("gunicorn"))
    return subprocess.Popen(
        [gunicorn, "-c", "config/gunicorn.conf.py", "--workers", str(workers),
         "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
    )  # fmt: skip


def wait_until_up(base: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not come up")


def run_wrk(url: str, seconds: int, connections: int) -> float:
    run = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode:
        raise SystemExit(f"wrk failed on {url}: {run.stderr or run.stdout}")
    out = run.stdout
    non_2xx = [line for line in out.splitlines() if "Non-2xx" in line]
    if non_2xx:
        raise SystemExit(f"{url}: {non_2xx[0].strip()}")
    line = next(line for line in out.splitlines() if line.startswith("Requests/sec"))
    return float(line.split()[1])


def run_python_client(url: str, seconds: int, connections: int) -> float:
    host, port = url.split("//")[1].split("/")[0].split(":")
    path = "/" + url.split("//")[1].split("/", 1)[1]
    counts = [0] * connections
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        while time.monotonic() < stop:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"{url}: status {response.status}")
            counts[i] += 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="measurements per URL")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument(
        "--page-cache-seconds",
        type=int,
        default=60,
        help="0 measures every request rendered afresh (the cache-miss cost)",
    )
    args = parser.parse_args()

    db_name = "ce_bench"
    tmp = tempfile.mkdtemp(prefix="ce-bench-")
    env = environment(db_name, tmp)
    env["PAGE_CACHE_SECONDS"] = str(args.page_cache_seconds)
    prepare_database(db_name, env)

    base = f"http://127.0.0.1:{args.port}"
    server = start_gunicorn(env, args.port, args.workers)
    load = run_wrk if shutil.which("wrk") else run_python_client
    try:
        wait_until_up(base)
        for path in PATHS:  # warm up: connections, template and ORM caches
            load(base + path, 1, args.connections)
        results: dict[str, list[float]] = {path: [] for path in PATHS}
        for _ in range(args.rounds):  # interleave URLs so drift hits each one alike
            for path in PATHS:
                results[path].append(load(base + path, args.seconds, args.connections))
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)

    baseline = statistics.median(results["/healthz"])
    print()
    print(
        f"gunicorn workers={args.workers}, client={load.__name__.removeprefix('run_')}, "
        f"connections={args.connections}, {args.rounds} x {args.seconds}s per URL, "
        f"page cache {args.page_cache_seconds}s, cpus={os.cpu_count()}"
    )
    print(f"{'URL':<45} {'req/s (median)':>15} {'ratio to /healthz':>18}")
    for path, values in results.items():
        rps = statistics.median(values)
        print(f"{path:<45} {rps:>15.0f} {rps / baseline:>18.2f}")
    worst = min(statistics.median(v) for p, v in results.items() if p != "/healthz")
    verdict = "meets" if worst / baseline >= 0.5 else "MISSES"
    print(f"worst page ratio {worst / baseline:.2f}: {verdict} the goal of 0.5")


if __name__ == "__main__":
    main()
