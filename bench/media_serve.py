"""Protected media view: worker memory and throughput, against WhiteNoise static serving.

Run by hand (`make bench`), never by the test suite. It serves a small and a large file
(default 20 MB and 200 MB) through the access-checked media view with one gunicorn
worker and production settings, whole and by ranges, and prints:
- the worker's peak resident memory (VmHWM) after each file: flat when streaming works;
- the throughput of each, as a ratio to the same large file served as a static file by
  WhiteNoise from the same gunicorn in the same run.
"""

import argparse
import http.client
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from catalog_rps import (
    django_shell,
    environment,
    prepare_database,
    start_gunicorn,
    wait_until_up,
)

MB = 1024 * 1024


def make_file(path: Path, size: int) -> None:
    chunk = os.urandom(MB)
    with path.open("wb") as handle:
        for _ in range(size // MB):
            handle.write(chunk)


def fetch(port: int, path: str, cookie: str, byte_range: str | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Cookie": cookie}
    if byte_range:
        headers["Range"] = byte_range
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    if response.status not in (200, 206):
        raise SystemExit(f"{path}: HTTP {response.status}")
    total = 0
    while chunk := response.read(MB):
        total += len(chunk)
    conn.close()
    return total


def timed(fn, *args) -> tuple[float, int]:
    start = time.perf_counter()
    size = fn(*args)
    return time.perf_counter() - start, size


def peak_rss_mb(master_pid: int) -> float:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    peaks = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return max(peaks)


def setup_fixtures(env: dict, small: int, large: int) -> tuple[str, str, str]:
    """Two videos on the seed course and a staff session: (cookie, small id, large id)."""
    script = """
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from courses.models import Course, Video
course = Course.objects.get(slug="psychodynamics-of-the-therapeutic-relationship")
ids = [Video.objects.update_or_create(course=course, title=f"bench-{name}",
        defaults={"file": f"bench/{name}.mp4", "captions": "bench/x.vtt"})[0].pk
       for name in ("small", "large")]
user = get_user_model().objects.get(email="director@example.com")
session = SessionStore()
session["_auth_user_id"] = str(user.pk)
session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
session["_auth_user_hash"] = user.get_session_auth_hash()
session.create()
print(session.session_key, *ids)
"""
    private = Path(env["PRIVATE_MEDIA_ROOT"]) / "bench"
    private.mkdir(parents=True, exist_ok=True)
    make_file(private / "small.mp4", small)
    make_file(private / "large.mp4", large)
    shutil.copy(private / "large.mp4", Path(env["STATIC_ROOT"]) / "bench-large.mp4")
    session_key, small_id, large_id = django_shell(env, script).strip().splitlines()[-1].split()
    return f"sessionid={session_key}", small_id, large_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small-mb", type=int, default=20)
    parser.add_argument("--large-mb", type=int, default=200)
    parser.add_argument("--ranges", type=int, default=200, help="1 MB range requests")
    parser.add_argument("--port", type=int, default=8101)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="ce-media-bench-")
    env = environment("ce_media_bench", tmp)
    prepare_database("ce_media_bench", env)
    cookie, small_id, large_id = setup_fixtures(env, args.small_mb * MB, args.large_mb * MB)
    slug = "psychodynamics-of-the-therapeutic-relationship"
    media = f"/learn/{slug}/media/video/{{}}/"

    server = start_gunicorn(env, args.port, workers=1)
    try:
        wait_until_up(f"http://127.0.0.1:{args.port}")
        fetch(args.port, media.format(small_id), cookie, "bytes=0-99")  # warm up
        baseline_rss = peak_rss_mb(server.pid)
        small_s, small_n = timed(fetch, args.port, media.format(small_id), cookie)
        small_rss = peak_rss_mb(server.pid)
        large_s, large_n = timed(fetch, args.port, media.format(large_id), cookie)
        large_rss = peak_rss_mb(server.pid)
        size = args.large_mb * MB
        rng = random.Random(7)
        starts = [rng.randrange(0, size - MB) for _ in range(args.ranges)]
        start = time.perf_counter()
        for offset in starts:
            fetch(args.port, media.format(large_id), cookie, f"bytes={offset}-{offset + MB - 1}")
        ranges_s = time.perf_counter() - start
        ranges_rss = peak_rss_mb(server.pid)
        static_s, static_n = timed(fetch, args.port, "/static/bench-large.mp4", "")
        start = time.perf_counter()
        for offset in starts:
            fetch(args.port, "/static/bench-large.mp4", "", f"bytes={offset}-{offset + MB - 1}")
        static_ranges_s = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)

    assert small_n == args.small_mb * MB
    assert large_n == size
    assert static_n == size
    mbps = lambda n, s: n / MB / s  # noqa: E731
    print()
    print(f"one gunicorn sync worker, production settings, cpus={os.cpu_count()}")
    print(f"worker peak RSS: idle {baseline_rss:.0f} MB, after {args.small_mb} MB file "
          f"{small_rss:.0f} MB, after {args.large_mb} MB file {large_rss:.0f} MB, "
          f"after {args.ranges} ranges {ranges_rss:.0f} MB")  # fmt: skip
    print(f"{'what':<42} {'MB/s':>8} {'ratio to static':>16}")
    static_rate = mbps(size, static_s)
    rows = [
        (f"media view, whole {args.small_mb} MB", mbps(small_n, small_s)),
        (f"media view, whole {args.large_mb} MB", mbps(large_n, large_s)),
        (f"media view, {args.ranges} x 1 MB ranges", mbps(args.ranges * MB, ranges_s)),
        (f"WhiteNoise static, whole {args.large_mb} MB", static_rate),
        (f"WhiteNoise static, {args.ranges} x 1 MB ranges",
         mbps(args.ranges * MB, static_ranges_s)),
    ]  # fmt: skip
    for label, rate in rows:
        print(f"{label:<42} {rate:>8.0f} {rate / static_rate:>16.2f}")
    growth = large_rss - small_rss
    print(f"memory growth from {args.small_mb} MB to {args.large_mb} MB file: {growth:.1f} MB "
          f"({'flat' if growth < 10 else 'NOT flat'})")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
