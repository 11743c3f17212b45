"""A real SMTP server on loopback (aiosmtpd) that the tests stop, start and stall.

The SMTP backend talks to it over TCP like to any mail server. `stop()` takes it down
(connections are refused); `start()` brings it back on the same port. `stall()` makes it
hold every message at the end of DATA, unanswered, until `release()`: like a real mail
server, it keeps a message only if the client is still there to hear "250 OK", so a
client killed while waiting has sent nothing.
"""

import asyncio
import threading
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller

from tests.testenv import free_port


class _Handler:
    def __init__(self, server: "FakeSMTP") -> None:
        self.server = server

    async def handle_DATA(self, smtp, session, envelope) -> str:
        if self.server.stalled.is_set():
            self.server.holding.set()
            while not self.server.released.is_set():
                await asyncio.sleep(0.05)
            if session.transport is None or session.transport.is_closing():
                return "451 the client went away"
        with self.server.lock:
            self.server.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


class FakeSMTP:
    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[Message] = []
        self.lock = threading.Lock()
        self.stalled = threading.Event()
        self.holding = threading.Event()
        self.released = threading.Event()
        self._controller: Controller | None = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        if self._controller is None:
            self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
            self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def stall(self) -> None:
        self.released.clear()
        self.holding.clear()
        self.stalled.set()

    def release(self) -> None:
        self.stalled.clear()
        self.released.set()

    def to(self, address: str) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if address in m["To"]]

    @property
    def mailer(self) -> dict:
        """A MAILERS entry that sends here over plain SMTP."""
        return {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": self.port, "use_tls": False, "timeout": 5},
        }
