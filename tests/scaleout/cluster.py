"""Production's shape on loopback: two gunicorn hosts, a worker, nginx, S3, PostgreSQL, Redis.

Every process is a real one, started here on free ports inside one temporary directory:
moto's standalone S3 server, a PostgreSQL database of its own (created and dropped here),
the running Redis under a key prefix of its own, two gunicorn hosts (each in its own
working directory, with its own MEDIA_ROOT and PRIVATE_MEDIA_ROOT that nothing else can
see), one `manage.py worker`, and nginx running deploy/nginx.conf as shipped. Two runs on
one machine never meet. The SMTP server and the fake Stripe API run in the test process.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
import psycopg
import redis
import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

from tests.testenv import TEST_ENV, free_ports

REPO = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
NGINX_VARIABLES = (
    "CE_LISTEN",
    "CE_SERVER_NAME",
    "CE_UPSTREAM_SERVERS",
    "CE_MEDIA_ROOT",
    "CE_PRIVATE_MEDIA_ROOT",
)
BUCKET = "ce-media"


def wait_for_port(port: int, *, process: subprocess.Popen | None = None, timeout=60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args[:3]} exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing answered on port {port}")


def render_nginx_site(values: dict[str, str]) -> str:
    """deploy/nginx.conf with its ${CE_...} values filled in, as `envsubst` with the
    variable list in that file's header does (nginx's own $variables stay)."""
    text = (REPO / "deploy" / "nginx.conf").read_text()
    for name in NGINX_VARIABLES:
        text = text.replace("${" + name + "}", values[name])
    return text


class LoopbackSession(requests.Session):
    """Browsers treat http://127.0.0.1 as a secure context and send Secure cookies there
    (the production settings mark every cookie Secure); requests does not, so it is told."""

    def prepare_request(self, request):
        for cookie in self.cookies:
            cookie.secure = False
        return super().prepare_request(request)


class _FromAddress(HTTPAdapter):
    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def client(source: str = "127.0.0.1") -> requests.Session:
    """An HTTP client whose connections come from `source` (any 127.x.y.z address)."""
    session = LoopbackSession()
    session.mount("http://", _FromAddress(source))
    return session


def csrf_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


class Service:
    """A child process with its output in a log file; stopped by its own pid."""

    def __init__(self, name: str, args: list[str], *, cwd: Path, env: dict, log: Path) -> None:
        self.name, self.log = name, log
        self.handle = log.open("ab")
        self.process = subprocess.Popen(
            args, cwd=cwd, env=env, stdout=self.handle, stderr=subprocess.STDOUT
        )

    def stop(self, sig: int = signal.SIGTERM) -> None:
        self.send(sig)
        self.wait()

    def send(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)

    def wait(self, timeout: float = 15) -> None:
        if self.process.poll() is None:
            try:
                self.process.wait(timeout=max(timeout, 0))
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.handle.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


class Cluster:
    def __init__(self, root: Path, *, smtp_port: int) -> None:
        self.root = root
        self.smtp_port = smtp_port
        names = ("nginx", "a", "b", "s3")
        self.ports = dict(zip(names, free_ports(len(names)), strict=True))
        self.hosts = {"a": root / "host-a", "b": root / "host-b"}
        self.database = f"ce_scaleout_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self.key_prefix = f"ce-scaleout-{uuid.uuid4().hex[:12]}"
        self.services: dict[str, Service] = {}
        self.facts: dict = {}
        self.workers_started = 0

    # --- environment ------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.ports['nginx']}"

    @property
    def s3_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3']}"

    def env(self, workdir: Path, **extra: str) -> dict[str, str]:
        postgres = TEST_ENV["DATABASE_URL"].rsplit("/", 1)[0]
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(workdir),  # gunicorn keeps its control socket there
            "PYTHONPATH": str(REPO),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": TEST_ENV["DJANGO_SECRET_KEY"],
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_LOG_LEVEL": "INFO",
            "SITE_URL": self.base,
            "DATABASE_URL": f"{postgres}/{self.database}",
            "CACHE_URL": "redis://127.0.0.1:6379/0",
            "CACHE_KEY_PREFIX": self.key_prefix,
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_S3_ENDPOINT_URL": self.s3_endpoint,
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_ACCESS_KEY_ID": "scaleout-test-key",
            "AWS_SECRET_ACCESS_KEY": "scaleout-test-secret",
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.smtp_port),
            "EMAIL_USE_TLS": "false",
            "DEFAULT_FROM_EMAIL": "Clinician CE Institute <no-reply@ce.example.test>",
            "STRIPE_SECRET_KEY": settings.STRIPE_SECRET_KEY,
            "STRIPE_WEBHOOK_SECRET": settings.STRIPE_WEBHOOK_SECRET,
            "STRIPE_API_BASE": settings.STRIPE_API_BASE,
            "TRUSTED_PROXY_COUNT": "1",
            "TASK_BACKEND": "database",
            "TASK_RETRY_BASE_SECONDS": "1",
            "WORKER_HEARTBEAT_SECONDS": "0.5",
            "WORKER_STALE_SECONDS": "3",
            "CERTIFICATE_VERIFY_RATE_PER_MINUTE": "5",
            "PAGE_CACHE_SECONDS": "60",
            "STATIC_ROOT": str(workdir / "static"),
            "MEDIA_ROOT": str(workdir / "media"),
            "PRIVATE_MEDIA_ROOT": str(workdir / "private_media"),
            "GUNICORN_WORKERS": "1",
            "FORWARDED_ALLOW_IPS": "127.0.0.1",
            # One self-signed signing key pair for every host (credentials/keys.py).
            "CREDENTIAL_DEMO_KEYS": "true",
            "CREDENTIAL_KEYS_DIR": str(self.root / "credential-keys"),
        }
        return {**env, **extra}

    # --- start and stop ---------------------------------------------------------------

    def start(self, *, static_from: Path) -> None:
        """Each step waits only for what it needs: moto starts while the database is
        created, one process migrates and seeds, the hosts, the worker and nginx start
        side by side."""
        for directory in [self.root / "ops", self.root / "worker", *self.hosts.values()]:
            directory.mkdir(parents=True)
        self._launch_s3()
        self._create_database()
        self._s3_ready()
        seeded = subprocess.run(
            [sys.executable, "-c", "import django; django.setup(); "
             "from django.core.management import call_command; "
             "call_command('migrate', '--noinput', verbosity=0); "
             "from tests.scaleout.seed import main; main()"],
            cwd=self.root / "ops", env=self.env(self.root / "ops"),
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        if seeded.returncode:
            raise RuntimeError(f"migrating and seeding failed:\n{seeded.stderr}")
        self.facts = json.loads(seeded.stdout.strip().splitlines()[-1])
        for name, workdir in self.hosts.items():
            # collectstatic's output is part of each release; copy the suite's own.
            shutil.copytree(static_from, workdir / "static")
            self._launch_host(name, workdir)
        self.start_worker()
        self._launch_nginx()
        for name in ("a", "b", "nginx"):
            wait_for_port(self.ports[name], process=self.services[name].process)

    def _launch_s3(self) -> None:
        self.services["s3"] = Service(
            "s3",
            [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.ports["s3"])],
            cwd=self.root, env={**os.environ, "HOME": str(self.root)}, log=self.root / "s3.log",
        )  # fmt: skip

    def _s3_ready(self) -> None:
        wait_for_port(self.ports["s3"], process=self.services["s3"].process)
        self.s3().create_bucket(Bucket=BUCKET)
        # As the README tells operators: anyone may read public/, nothing else.
        public_read = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{BUCKET}/public/*",
                }
            ],
        }
        self.s3().put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(public_read))

    def s3(self):
        return boto3.client(
            "s3", endpoint_url=self.s3_endpoint, region_name="us-east-1",
            aws_access_key_id="scaleout-test-key", aws_secret_access_key="scaleout-test-secret",
        )  # fmt: skip

    def _postgres(self) -> psycopg.Connection:
        return psycopg.connect(
            TEST_ENV["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres", autocommit=True
        )

    def _create_database(self) -> None:
        with self._postgres() as connection:
            connection.execute(f'CREATE DATABASE "{self.database}"')

    def _launch_host(self, name: str, workdir: Path) -> None:
        port = self.ports[name]
        env = self.env(workdir, GUNICORN_BIND=f"127.0.0.1:{port}")
        self.services[name] = Service(
            f"host-{name}",
            [str(BIN / "gunicorn"), "-c", str(REPO / "config" / "gunicorn.conf.py")],
            cwd=workdir, env=env, log=workdir / "gunicorn.log",
        )  # fmt: skip

    def start_worker(self) -> Service:
        self.workers_started += 1
        workdir = self.root / "worker"
        worker = Service(
            "worker",
            [sys.executable, str(REPO / "manage.py"), "worker", "--interval", "0.2",
             "--no-startup-delay"],
            cwd=workdir, env=self.env(workdir), log=workdir / f"worker-{self.workers_started}.log",
        )  # fmt: skip
        self.services["worker"] = worker
        return worker

    def _launch_nginx(self) -> None:
        self.start_nginx(
            "nginx",
            port=self.ports["nginx"],
            upstreams=[self.ports[name] for name in self.hosts],
            media_root=self.root / "nginx" / "unused-media",
            private_root=self.root / "nginx" / "unused-private",
            wait=False,
        )

    def start_nginx(
        self,
        name: str,
        *,
        port: int,
        upstreams: list[int],
        media_root: Path,
        private_root: Path,
        wait: bool = True,
    ) -> None:
        root = self.root / name
        (root / "logs").mkdir(parents=True)
        site = render_nginx_site(
            {
                "CE_LISTEN": f"127.0.0.1:{port}",
                "CE_SERVER_NAME": "127.0.0.1 localhost",
                "CE_UPSTREAM_SERVERS": " ".join(f"server 127.0.0.1:{p};" for p in upstreams),
                "CE_MEDIA_ROOT": str(media_root),
                "CE_PRIVATE_MEDIA_ROOT": str(private_root),
            }
        )
        (root / "site.conf").write_text(site)
        # The main configuration an operator's distribution provides, pointed at this
        # directory; one worker process, so round-robin alternates between the hosts. Run
        # as root (CI), its worker keeps root's identity to reach this private directory.
        user = "user root;" if os.geteuid() == 0 else ""
        (root / "nginx.conf").write_text(
            f"""
{user}
daemon off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/logs/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    log_format upstreams '$upstream_addr $status "$request"';
    access_log {root}/logs/access.log upstreams;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    include {root}/site.conf;
}}
"""
        )
        self.services[name] = Service(
            name, [NGINX, "-c", str(root / "nginx.conf"), "-p", str(root)],
            cwd=root, env=os.environ.copy(), log=root / "logs" / "stderr.log",
        )  # fmt: skip
        if wait:
            wait_for_port(port, process=self.services[name].process)

    def start_local_disk_site(self) -> str:
        """One more host, on local disk as a one-host deploy runs (no object storage,
        nginx sending private files by X-Accel-Redirect), behind its own nginx; same
        database and Redis. Returns its base URL."""
        workdir = self.root / "host-local"
        workdir.mkdir()
        shutil.copytree(self.hosts["a"] / "static", workdir / "static")
        port, proxy = free_ports(2)
        env = self.env(workdir, GUNICORN_BIND=f"127.0.0.1:{port}")
        for name in list(env):
            if name.startswith("AWS_"):
                del env[name]
        env["MEDIA_ACCEL_REDIRECT_PREFIX"] = "/protected/"
        self.services["local"] = Service(
            "host-local",
            [str(BIN / "gunicorn"), "-c", str(REPO / "config" / "gunicorn.conf.py")],
            cwd=workdir, env=env, log=workdir / "gunicorn.log",
        )  # fmt: skip
        self.start_nginx(
            "nginx-local",
            port=proxy,
            upstreams=[port],
            media_root=workdir / "media",
            private_root=workdir / "private_media",
        )
        wait_for_port(port, process=self.services["local"].process)
        return f"http://127.0.0.1:{proxy}"

    def stop(self) -> None:
        # Every process is told at once, then waited for: their shutdowns overlap. A few
        # seconds is plenty for idle servers; past that, tearing down is not under test.
        running = [self.services[name] for name in
                   ("nginx", "nginx-local", "local", "worker", "a", "b", "s3")
                   if name in self.services]  # fmt: skip
        for service in running:
            service.send()
        deadline = time.monotonic() + 5
        for service in running:
            service.wait(timeout=deadline - time.monotonic())
        with self._postgres() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        store = redis.Redis(host="127.0.0.1", port=6379)
        for key in store.scan_iter(match=f"{self.key_prefix}*", count=500):
            store.delete(key)

    # --- reading what happened -------------------------------------------------------------

    def served_by(self, probe: str) -> str:
        """Which host answered the request whose log line holds `probe` (a unique query
        parameter, or '"POST <url with it>'): nginx logs the upstream of each request."""
        ports = {f"127.0.0.1:{port}": name for name, port in self.ports.items()}
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            log = (self.root / "nginx" / "logs" / "access.log").read_text()
            for line in log.splitlines():
                if probe in line:
                    return ports[line.split()[0]]
            time.sleep(0.05)
        raise AssertionError(f"nginx logged no request with {probe}")

    def wait_for(self, condition, *, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"gave up after {timeout} s waiting for {what}")
