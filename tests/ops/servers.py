"""Real processes for the operations tests: gunicorn serving the site with production
settings, a TCP relay in front of PostgreSQL that a test can cut (a database outage
that touches nobody else's database), and a counting SMTP server."""

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from tests.testenv import TEST_ENV, free_port

ROOT = Path(__file__).resolve().parents[2]


def production_env(**overrides: str) -> dict[str, str]:
    """The machine's environment without any site setting, plus the test's production
    values (tests/testenv.py) pointed at this run's test database, plus overrides."""
    base = machine_env()
    database = settings.DATABASES["default"]
    env = {
        **base,
        **TEST_ENV,
        "DATABASE_URL": database_url(database["NAME"]),
        "STRIPE_API_BASE": settings.STRIPE_API_BASE,
        "STATIC_ROOT": str(settings.STATIC_ROOT),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.update(overrides)
    return env


def machine_env() -> dict[str, str]:
    """This machine's environment (PATH, HOME, proxies, pyenv) without any site setting."""
    ours = {line.split("=", 1)[0] for line in documented_lines()} | set(TEST_ENV)
    # DJANGO_ALLOW_ASYNC_UNSAFE (set for the browser tests) and the like never leak out.
    return {k: v for k, v in os.environ.items() if k not in ours and not k.startswith("DJANGO_")}


def database_url(name: str, *, port: int | None = None) -> str:
    database = settings.DATABASES["default"]
    host = database.get("HOST") or "127.0.0.1"
    user = database.get("USER") or "postgres"
    return f"postgres://{user}@{host}:{port or database.get('PORT') or 5432}/{name}"


def documented_lines() -> list[str]:
    """The NAME=value lines of .env.example."""
    return [
        line
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    ]


def wait_until_up(url: str, *, seconds: float = 60, process: subprocess.Popen | None = None):
    """Until the server answers anything at all (a redirect to HTTPS counts)."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=2)
        try:
            connection.request("GET", parts.path)
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
        finally:
            connection.close()
    raise TimeoutError(f"{url} did not answer within {seconds}s")


@contextlib.contextmanager
def gunicorn(
    env: dict[str, str], *, cwd: Path = ROOT, python: str = sys.executable, workers: int = 2
) -> Iterator[tuple[str, Path]]:
    """gunicorn with the shipped config on a free loopback port; yields (base URL, log)."""
    port = free_port()
    log = Path(env["STATIC_ROOT"]).parent / f"gunicorn-{port}.log"
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers)}
    with log.open("w") as out:
        process = subprocess.Popen(
            [python, "-m", "gunicorn", "-c", "config/gunicorn.conf.py"],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until_up(f"{base}/healthz", process=process)
        except (RuntimeError, TimeoutError) as error:
            raise RuntimeError(f"{error}:\n{log.read_text()[-4000:]}") from error
        yield base, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


class DatabaseRelay:
    """A TCP relay to PostgreSQL. `cut()` drops every connection and refuses new ones
    (the database is down, as the application sees it); `restore()` lets them through."""

    def __init__(self, target_port: int = 5432) -> None:
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.down = threading.Event()
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.down.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for s in (source, sink):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def cut(self) -> None:
        self.down.set()
        with self.lock:
            for s in self.sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
            self.sockets.clear()

    def restore(self) -> None:
        self.down.clear()

    def close(self) -> None:
        self.cut()
        self.listener.close()


class SmtpSink:
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                sink.messages.append(envelope)
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> "SmtpSink":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    def subjects(self) -> list[str]:
        import email

        return [email.message_from_bytes(message.content)["Subject"] for message in self.messages]


class ProxiedClient:
    """Talks to a gunicorn host as nginx would forward a browser's HTTPS requests:
    `Host`, `X-Forwarded-Proto: https`, and cookies kept by hand (they are Secure)."""

    def __init__(self, base: str, host: str) -> None:
        self.base, self.host = base, host
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, data: dict[str, str] | None = None):
        import http.client
        from http.cookies import SimpleCookie
        from urllib.parse import urlencode, urlsplit

        parts = urlsplit(self.base)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
        headers = {
            "Host": self.host,
            "X-Forwarded-Proto": "https",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        body = None
        if data is not None:
            body = urlencode(data)
            headers |= {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": f"https://{self.host}",
                "Referer": f"https://{self.host}{path}",
            }
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read().decode(errors="replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        connection.close()
        return response, content

    def sign_in(self, email: str, password: str):
        import re

        response, page = self.request("GET", "/accounts/login/")
        assert response.status == 200, (response.status, page[:500])
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        return self.request(
            "POST",
            "/accounts/login/",
            {"login": email, "password": password, "csrfmiddlewaretoken": token},
        )
