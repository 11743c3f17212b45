"""A soak under mixed traffic on the two-host set-up (issue 12, point 6).

Run by hand, never by the test suite: `.venv/bin/python bench/soak.py --minutes 10
--rate 40`. It starts what tests/scaleout/cluster.py starts (nginx with deploy/nginx.conf,
two gunicorn hosts, the task worker, PostgreSQL, Redis, S3 by moto) with the fake Stripe
API and a fake SMTP server in this process, then sends `--rate` requests a second through
nginx for `--minutes`, each drawn from the mix:

- 70% anonymous: catalog (plain and searched), course and instructor pages, and
  `/verify/<CODE>/` lookups from many client addresses (127.0.x.y);
- 25% signed in: course home, sections, 64 KiB media ranges, post-test answer saves;
- 5% buying, submitting and refunding: checkout to the fake Stripe, payment, the signed
  webhook; post-test submissions; refund requests on the orders just bought.

It prints throughput, p50/p95/p99 latency and errors per page kind, each process's memory
(RSS, with children) once warm (a fifth into the run) and at the end, with the samples
taken every tenth of the run in between, then checks the records: every bought order paid
once with one enrollment, no duplicate, one receipt email per order. Finally it measures
/healthz through the same nginx with wrk (`apt-get install wrk`) and prints the rate held
as a ratio of it. The goal: the highest rate where p99 stays under 500 ms with no error,
no lost or duplicated records and memory growth under 10%; try rates upwards.
"""

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import tests.testenv  # noqa: E402,F401  (the production start-up's test-only values)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
import stripe  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from tests import stripe_fake  # noqa: E402
from tests.scaleout.cluster import Cluster, client, csrf_token  # noqa: E402
from tests.smtp_fake import FakeSMTP  # noqa: E402

MIX = [  # (kind, weight)
    ("catalog", 20), ("catalog search", 8), ("course page", 17), ("instructor", 10),
    ("verify", 15),
    ("course home", 7), ("section", 7), ("media range", 6), ("test save", 5),
    ("buy", 2.5), ("submit", 1), ("refund", 1.5),
]  # fmt: skip

SKIP = "skip"

PEOPLE = """
import json
from accounts.models import User
from courses.models import Course, Section
from demo.journeys import journey_enroll, journey_read
from testing import services
from tests.scaleout.seed import learner
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

seed = Course.objects.get(slug="psychodynamics-of-the-therapeutic-relationship")
out = {"learners": [], "buyers": [], "submitters": [],
       "sections": list(seed.sections.values_list("pk", flat=True)),
       "audio": list(seed.audio_tracks.values_list("pk", flat=True)),
       "instructor": seed.instructors.first().slug}
def session_for(user):
    # Signed in already (as a buyer has been for a while): no password hash in the mix.
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key
def with_attempt(email):
    user = learner(email)
    enrollment = journey_enroll(user=user, course=seed)
    journey_read(enrollment=enrollment)
    attempt = services.attempt_start(enrollment=enrollment)
    return {"email": email, "number": attempt.number, "questions": attempt.question_ids,
            "session": session_for(user)}
for n in range(LEARNERS):
    out["learners"].append(with_attempt(f"soak-learner-{n}@example.com"))
for n in range(SUBMITTERS):
    out["submitters"].append(with_attempt(f"soak-submitter-{n}@example.com"))
for n in range(BUYERS):
    buyer = learner(f"soak-buyer-{n}@example.com")
    out["buyers"].append({"email": buyer.email, "session": session_for(buyer)})
print("PEOPLE", json.dumps(out))
"""


class SoakCluster(Cluster):
    def __init__(self, *args, workers: int, verify_rate: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.extra = {
            "GUNICORN_WORKERS": str(workers),
            "CERTIFICATE_VERIFY_RATE_PER_MINUTE": str(verify_rate),
            "DJANGO_LOG_LEVEL": "WARNING",
        }

    def env(self, workdir, **extra):
        return super().env(workdir, **{**self.extra, **extra})

    def manage(self, *args: str) -> str:
        """`manage.py` with the cluster's settings (from its ops folder); its output."""
        workdir = self.root / "ops"
        workdir.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=workdir, env=self.env(workdir), capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        if result.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
        return result.stdout


def rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants, in KiB."""
    total = 0
    try:
        with open(f"/proc/{pid}/status") as status:
            total += next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                total += sum(rss_kib(int(child)) for child in children.read().split())
    except (FileNotFoundError, StopIteration, ProcessLookupError):
        pass
    return total


def memory(cluster) -> dict[str, int]:
    return {name: rss_kib(s.process.pid) for name, s in cluster.services.items()}


class Soak:
    def __init__(self, cluster, fake, people, args):
        self.cluster, self.fake, self.people, self.args = cluster, fake, people, args
        self.base = cluster.base
        self.slug = cluster.facts["seed_slug"]
        self.other = cluster.facts["other_slug"]
        self.code = cluster.facts["certificate_code"]
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)
        self.limited = 0
        self.bought: list[str] = []
        self.lock = threading.Lock()
        self.buyers = list(people["buyers"])
        self.submitters = list(people["submitters"])

    def session_of(self, person: dict):
        """Buyers and submitters come signed in (a session made before the clock starts),
        as a person who buys or submits has been for a while: signing in (the password
        hash, ~0.3 s of CPU by design) is no part of the mix. Each from an address of its
        own."""
        session = client(self.address_of(person["email"]))
        session.cookies.set(settings.SESSION_COOKIE_NAME, person["session"])
        return session

    @staticmethod
    def address_of(email: str) -> str:
        number = sum(email.encode()) * 7919 + len(email)
        return f"127.1.{number % 250 + 1}.{number // 250 % 250 + 1}"

    # --- one request of each kind ------------------------------------------------------

    def signed_in(self, email: str):
        """A session for `email`, signed in from an address of its own (people sign in
        from their own networks; the per-address sign-in limit stays on)."""
        session = client(self.address_of(email))
        form = session.get(f"{self.base}/accounts/login/")
        response = session.post(
            f"{self.base}/accounts/login/",
            {"login": email, "password": self.cluster.facts["password"],
             "csrfmiddlewaretoken": csrf_token(form.text)},
            allow_redirects=False,
        )  # fmt: skip
        if response.status_code != 302:
            raise RuntimeError(f"sign-in of {email}: {response.status_code}")
        return session

    def answers(self, person) -> dict[str, str]:
        return {f"q{q}": random.choice("abc") for q in person["questions"]}

    def request(self, kind: str, state) -> tuple[bool, str]:
        base, slug = self.base, self.slug
        anon = state["anon"]
        if kind == "catalog":
            response = anon.get(f"{base}/")
        elif kind == "catalog search":
            response = anon.get(f"{base}/?q={random.choice(['ethics', 'trauma', 'therapy'])}")
        elif kind == "course page":
            response = anon.get(f"{base}/courses/{random.choice([slug, self.other])}/")
        elif kind == "instructor":
            response = anon.get(f"{base}/instructors/{self.people['instructor']}/")
        elif kind == "verify":
            source = f"127.0.{random.randrange(1, 250)}.{random.randrange(1, 250)}"
            response = client(source).get(f"{base}/verify/{self.code}/")
            if response.status_code == 429:
                with self.lock:
                    self.limited += 1
                return True, ""
        elif kind == "course home":
            response = state["learner"].get(f"{base}/learn/{slug}/")
        elif kind == "section":
            section = random.choice(self.people["sections"])
            response = state["learner"].get(f"{base}/learn/{slug}/sections/{section}/")
        elif kind == "media range":
            track = random.choice(self.people["audio"])
            response = state["learner"].get(
                f"{base}/learn/{slug}/media/audio/{track}/",
                headers={"Range": "bytes=0-65535"}, allow_redirects=False,
            )  # fmt: skip
            # On object storage the site answers a redirect to a presigned URL; S3 sends
            # the bytes (the site's part ends there).
            return response.status_code in (206, 302), f"{response.status_code}"
        elif kind == "test save":
            person, session = state["person"], state["learner"]
            response = session.post(
                f"{base}/learn/{slug}/test/attempts/{person['number']}/save/",
                self.answers(person),
                headers={"Accept": "application/json", "X-CSRFToken": state["csrf"],
                         "Referer": f"{base}/"},
            )  # fmt: skip
        elif kind == "buy":
            return self.buy(state)
        elif kind == "submit":
            return self.submit()
        elif kind == "refund":
            return self.refund(state)
        else:
            raise ValueError(kind)
        return response.status_code == 200, f"{response.status_code} {response.url}"

    def buy(self, state) -> tuple[bool, str]:
        with self.lock:
            if not self.buyers:
                return True, SKIP
            buyer = self.session_of(self.buyers.pop())
        review = buyer.get(f"{self.base}/checkout/{self.other}/")
        to_stripe = buyer.post(
            f"{self.base}/checkout/{self.other}/",
            {"csrfmiddlewaretoken": csrf_token(review.text)}, allow_redirects=False,
        )  # fmt: skip
        if to_stripe.status_code != 302:
            return False, f"checkout {to_stripe.status_code}"
        session_id = to_stripe.headers["Location"].rsplit("/", 1)[1]
        paid = self.fake.pay(session_id)
        payload = json.dumps(stripe_fake.event("checkout.session.completed", paid))
        signature = stripe.WebhookSignature.generate_signature_header(
            payload, settings.STRIPE_WEBHOOK_SECRET
        )
        webhook = client().post(
            f"{self.base}/stripe/webhook/", data=payload,
            headers={"Content-Type": "application/json", "Stripe-Signature": signature},
        )  # fmt: skip
        if webhook.status_code != 200:
            return False, f"webhook {webhook.status_code}"
        number = re.search(r"order (\S+) paid", webhook.json()["outcome"]).group(1)
        with self.lock:
            self.bought.append(number)
        state["orders"].append((buyer, number))
        return True, ""

    def submit(self) -> tuple[bool, str]:
        with self.lock:
            if not self.submitters:
                return True, SKIP
            person = self.submitters.pop()
        session = self.session_of(person)
        page = session.get(f"{self.base}/learn/{self.slug}/test/attempts/{person['number']}/")
        response = session.post(
            f"{self.base}/learn/{self.slug}/test/attempts/{person['number']}/submit/",
            {**self.answers(person), "csrfmiddlewaretoken": csrf_token(page.text)},
            allow_redirects=False,
        )  # fmt: skip
        return response.status_code == 302, f"submit {response.status_code}"

    def refund(self, state) -> tuple[bool, str]:
        if not state["orders"]:
            return True, SKIP
        buyer, number = state["orders"].pop()
        page = buyer.get(f"{self.base}/my/orders/{number}/")
        asked = {"reason": "Soak test refund.", "csrfmiddlewaretoken": csrf_token(page.text)}
        confirm = buyer.post(f"{self.base}/my/orders/{number}/refund/", asked)
        if confirm.status_code != 200:
            return False, f"refund confirmation {confirm.status_code}"
        response = buyer.post(
            f"{self.base}/my/orders/{number}/refund/",
            {**asked, "confirmed": "yes", "csrfmiddlewaretoken": csrf_token(confirm.text)},
            allow_redirects=False,
        )  # fmt: skip
        return response.status_code == 302, f"refund {response.status_code}"

    # --- the load ----------------------------------------------------------------------

    def thread(self, index: int, interval: float, stop: float) -> None:
        person = self.people["learners"][index % len(self.people["learners"])]
        learner = self.signed_in(person["email"])
        attempt = learner.get(f"{self.base}/learn/{self.slug}/test/attempts/{person['number']}/")
        state = {
            "anon": client(), "learner": learner, "person": person, "orders": [],
            "csrf": csrf_token(attempt.text),
        }  # fmt: skip
        kinds, weights = zip(*MIX, strict=True)
        due = time.monotonic() + random.random() * interval
        while due < stop:
            time.sleep(max(0.0, due - time.monotonic()))
            kind = random.choices(kinds, weights)[0]
            started = time.monotonic()
            try:
                ok, detail = self.request(kind, state)
            except Exception as error:
                ok, detail = False, repr(error)
            elapsed = time.monotonic() - started
            if detail is SKIP:  # nothing to do (no order to refund yet): not a request
                due += interval
                continue
            with self.lock:
                self.samples[kind].append(elapsed)
                if not ok:
                    self.errors[kind].append(detail)
            due += interval

    def run(self) -> float:
        threads = self.args.threads
        interval = threads / self.args.rate
        stop = time.monotonic() + self.args.minutes * 60
        started = time.monotonic()
        workers = [
            threading.Thread(target=self.thread, args=(i, interval, stop)) for i in range(threads)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return time.monotonic() - started


def percentile(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else (values[0] if values else 0.0)
    )


def healthz_rate(base: str, seconds: int) -> float:
    run = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", f"{base}/healthz"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    line = next(line for line in run.stdout.splitlines() if line.startswith("Requests/sec"))
    return float(line.split()[1])


def records(cluster, bought: list[str], smtp) -> list[str]:
    """Problems with what the run bought: lost or duplicated orders, enrollments, emails."""
    problems = []
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{cluster.database}"
    with psycopg.connect(url) as db:
        rows = db.execute(
            "SELECT o.number, o.status, count(e.id) FROM enrollment_order o "
            "LEFT JOIN enrollment_enrollment e ON e.order_id = o.id "
            "WHERE o.number = ANY(%s) GROUP BY o.number, o.status",
            (bought,),
        ).fetchall()
        duplicates = db.execute(
            "SELECT user_id, count(*) FROM enrollment_enrollment WHERE status = 'active' "
            "GROUP BY user_id, course_id HAVING count(*) > 1"
        ).fetchall()
    found = {number: (status, enrollments) for number, status, enrollments in rows}
    for number in bought:
        if number not in found:
            problems.append(f"order {number} lost")
        elif found[number][1] != 1:
            problems.append(f"order {number} has {found[number][1]} enrollments")
    if duplicates:
        problems.append(f"{len(duplicates)} learners hold two active enrollments in a course")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        receipts = [m for m in smtp.messages if any(n in (m["Subject"] or "") for n in bought)]
        if len(receipts) >= len(bought):
            break
        time.sleep(1)
    per_order = defaultdict(int)
    for message in smtp.messages:
        for number in bought:
            if number in (message["Subject"] or "") and "refund" not in message["Subject"].lower():
                per_order[number] += 1
    for number in bought:
        if per_order[number] != 1:
            problems.append(f"order {number}: {per_order[number]} receipt emails")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=20, help="requests a second, offered")
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per host")
    parser.add_argument("--verify-rate", type=int, default=30, help="lookups/min/address")
    args = parser.parse_args()

    call_command("collectstatic", "--noinput", verbosity=0)
    smtp = FakeSMTP()
    smtp.start()
    fake, stripe_server = stripe_fake.start_fake_stripe()
    root = Path(tempfile.mkdtemp(prefix="ce-soak-"))
    cluster = SoakCluster(
        root, smtp_port=smtp.port, workers=args.workers, verify_rate=args.verify_rate
    )
    try:
        cluster.start(static_from=Path(settings.STATIC_ROOT))
        cluster.wait_for(
            lambda: client().get(f"{cluster.base}/readyz").status_code == 200,
            timeout=60, what="/readyz",
        )  # fmt: skip
        transactions = args.rate * args.minutes * 60 * 0.05
        script = (
            PEOPLE.replace("LEARNERS", str(args.threads))
            .replace("SUBMITTERS", str(int(transactions * 0.25) + 5))
            .replace("BUYERS", str(int(transactions * 0.5) + 5))
        )
        out = cluster.manage("shell", "-c", script)
        people = json.loads(
            next(line for line in out.splitlines() if line.startswith("PEOPLE"))[7:]
        )
        smtp.messages.clear()
        # Each process's memory every tenth of the run; the start is taken once the
        # processes are warm (imports, caches, connections, every code path of the mix
        # run): a fifth into the run. The series shows whether it levels off.
        samples: list[tuple[float, dict[str, int]]] = []
        done = threading.Event()

        def sample(step: float = args.minutes * 6) -> None:
            began = time.monotonic()
            while not done.wait(step):
                samples.append((time.monotonic() - began, memory(cluster)))

        sampler = threading.Thread(target=sample)
        sampler.start()
        soak = Soak(cluster, fake, people, args)
        elapsed = soak.run()
        done.set()
        sampler.join()
        after = memory(cluster)
        warm = args.minutes * 12
        before = next((m for t, m in samples if t >= warm - 1), after)
        problems = records(cluster, soak.bought, smtp)
        healthz = healthz_rate(cluster.base, 5)
    finally:
        cluster.stop()
        stripe_server.shutdown()
        smtp.stop()

    total = sum(len(v) for v in soak.samples.values())
    errors = sum(len(v) for v in soak.errors.values())
    print(f"\n{args.minutes} min at {args.rate} req/s offered ({args.threads} threads), "
          f"{args.workers} gunicorn workers on each of 2 hosts, cpus={os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.1f} at the end")  # fmt: skip
    print(f"throughput {total / elapsed:.1f} req/s ({total} requests), errors {errors}, "
          f"lookups refused by the limit {soak.limited}, "
          f"orders bought {len(soak.bought)}")  # fmt: skip
    print(f"  {'kind':<16} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    worst_p99 = 0.0
    for kind, _ in MIX:
        values = soak.samples.get(kind, [])
        if not values:
            continue
        p50, p95, p99 = (percentile(values, q) * 1000 for q in (50, 95, 99))
        if kind not in ("buy", "submit", "refund"):  # those are several requests each
            worst_p99 = max(worst_p99, p99)
        print(f"  {kind:<16} {len(values):>6} {p50:>8.0f} {p95:>8.0f} {p99:>8.0f} "
              f"{len(soak.errors.get(kind, [])):>7}")  # fmt: skip
    for kind, details in soak.errors.items():
        print(f"  first errors of {kind}: {details[:3]}")
    print(
        f"memory (RSS with children, MiB): {warm:.0f} s into the run -> end "
        f"(samples every {args.minutes * 6:.0f} s)"
    )
    growth = 0.0
    for name in before:
        start, end = before[name] / 1024, after.get(name, 0) / 1024
        change = (end - start) / start if start else 0
        growth = max(growth, change)
        series = " ".join(f"{m.get(name, 0) / 1024:.0f}" for _, m in samples)
        print(f"  {name:<8} {start:>7.1f} -> {end:>7.1f}  ({change:+.1%})  [{series}]")
    print("records: " + ("every order paid once, one enrollment, one receipt" if not problems
                         else "; ".join(problems[:10])))  # fmt: skip
    print(f"/healthz through nginx: {healthz:.0f} req/s; held {total / elapsed:.1f} req/s = "
          f"{total / elapsed / healthz:.3f} of it")  # fmt: skip
    verdict = worst_p99 < 500 and not errors and not problems and growth < 0.10
    print(
        f"goal (p99 < 500 ms, no error, records whole, memory +<10%): "
        f"{'met' if verdict else 'NOT met'} at this rate (worst page p99 {worst_p99:.0f} ms)"
    )


if __name__ == "__main__":
    main()
