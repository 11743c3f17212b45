"""Certificate PDF render time, and /verify/<CODE>/ throughput against a trivial view.

Run by hand (`make bench`), never by the test suite. Prints the median time to render
one certificate PDF (WeasyPrint, fonts and QR code included; as in the worker, a process
keeps its font configuration and parsed stylesheet from one render to the next), and the
requests per second of the public verification page as a ratio to /healthz served by
the same gunicorn in the same run. The per-address rate limit is raised for the run
(wrk sends everything from one address), but its counter upsert still runs each time.
"""

import argparse
import os
import statistics
import tempfile

from catalog_rps import (
    django_shell,
    environment,
    prepare_database,
    run_wrk,
    start_gunicorn,
    wait_until_up,
)

SETUP = """
from accounts.models import User
from courses.models import Course
from certificates import services as certificate_services
from demo.journeys import journey_complete
certificate = journey_complete(
    user=User.objects.get(email="learner@example.com"),
    course=Course.objects.get(slug="psychodynamics-of-the-therapeutic-relationship"),
)
import time
times = []
for _ in range(ROUNDS):
    start = time.perf_counter()
    certificate_services.render_pdf(
        certificate_services.certificate_html(certificate), title="t", author="a")
    times.append(time.perf_counter() - start)
print("RESULT", certificate.display_code, *times)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=15)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--port", type=int, default=8102)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="ce-cert-bench-")
    env = environment("ce_cert_bench", tmp)
    env["CERTIFICATE_VERIFY_RATE_PER_MINUTE"] = "100000000"
    prepare_database("ce_cert_bench", env)
    out = django_shell(env, SETUP.replace("ROUNDS", str(args.renders)))
    result = next(line for line in out.splitlines() if line.startswith("RESULT")).split()
    code, times = result[1], [float(t) for t in result[2:]]

    server = start_gunicorn(env, args.port, workers=os.cpu_count() or 2)
    base = f"http://127.0.0.1:{args.port}"
    try:
        wait_until_up(base)
        paths = ["/healthz", f"/verify/{code}/"]
        for path in paths:
            run_wrk(base + path, 1, args.connections)
        rps = {path: [] for path in paths}
        for _ in range(args.rounds):
            for path in paths:
                rps[path].append(run_wrk(base + path, args.seconds, args.connections))
    finally:
        server.terminate()
        server.wait(timeout=30)

    print()
    print(f"certificate PDF render: median {statistics.median(times) * 1000:.0f} ms "
          f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}, {len(times)} renders; "
          "the first render of a process also loads fonts and parses the stylesheet)")  # fmt: skip
    baseline = statistics.median(rps["/healthz"])
    verify = statistics.median(rps[f"/verify/{code}/"])
    print(
        f"/healthz {baseline:.0f} req/s; /verify/<CODE>/ {verify:.0f} req/s; "
        f"ratio {verify / baseline:.2f}"
    )


if __name__ == "__main__":
    main()
