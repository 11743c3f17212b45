"""A fake Stripe API on loopback: the tests fake Stripe at its HTTP boundary.

The production client (stripe-python, through enrollment/stripe_gateway.py) talks HTTP
to STRIPE_API_BASE, which the test environment points here. The fake checks the API key,
honours Idempotency-Key, keeps Checkout Sessions and Refunds in memory, and serves a
tiny hosted-checkout page so that browser tests can "pay". Webhook events are built by
`session_event`/`refund_event` and signed with the real scheme by `signed_post`.
"""

import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import stripe
from django.conf import settings

_ids = itertools.count(1)


def new_id(prefix: str) -> str:
    return f"{prefix}_test_{next(_ids):06d}"


class FakeStripe:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.sessions: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.idempotent: dict[str, tuple[int, dict]] = {}
        self.fail_with: int | None = None

    @property
    def base(self) -> str:
        return settings.STRIPE_API_BASE

    def pay(self, session_id: str, *, amount_total: int | None = None) -> dict[str, Any]:
        """What Stripe does when the customer pays on the hosted page."""
        session = self.sessions[session_id]
        session.update(
            status="complete",
            payment_status="paid",
            payment_intent=session.get("payment_intent") or new_id("pi"),
        )
        if amount_total is not None:
            session["amount_total"] = amount_total
        return session

    # --- request handling ----------------------------------------------------------

    def handle(self, method: str, path: str, headers, body: bytes) -> tuple[int, Any]:
        form = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        self.requests.append({"method": method, "path": path, "form": form, "headers": headers})
        if path.startswith("/pay/"):
            return self._hosted_page(method, path.removeprefix("/pay/"), form)
        if headers.get("Authorization") != f"Bearer {settings.STRIPE_SECRET_KEY}":
            return 401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key"}}
        if self.fail_with:
            return self.fail_with, {
                "error": {"type": "api_error", "message": "Something went wrong on Stripe"}
            }
        key = headers.get("Idempotency-Key")
        with self.lock:
            if method == "POST" and key and key in self.idempotent:
                return self.idempotent[key]
            result = self._route(method, path, form)
            if method == "POST" and key:
                self.idempotent[key] = result
        return result

    def _route(self, method: str, path: str, form: dict[str, str]) -> tuple[int, Any]:
        if method == "POST" and path == "/v1/checkout/sessions":
            return 200, self._create_session(form)
        if method == "GET" and path.startswith("/v1/checkout/sessions/"):
            session = self.sessions.get(path.rsplit("/", 1)[1])
            if session is None:
                return 404, {
                    "error": {"type": "invalid_request_error", "message": "No such session"}
                }
            return 200, session
        if method == "POST" and path == "/v1/refunds":
            return self._create_refund(form)
        return 404, {"error": {"type": "invalid_request_error", "message": f"Unknown {path}"}}

    def _create_session(self, form: dict[str, str]) -> dict[str, Any]:
        session_id = new_id("cs")
        # Stripe adds up every line: unit amount times quantity.
        amount = 0
        for index in itertools.count():
            prefix = f"line_items[{index}]"
            if f"{prefix}[price_data][unit_amount]" not in form:
                break
            quantity = int(form.get(f"{prefix}[quantity]") or 1)
            amount += int(form[f"{prefix}[price_data][unit_amount]"]) * quantity
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": form["mode"],
            "status": "open",
            "payment_status": "unpaid",
            "url": f"{self.base}/pay/{session_id}",
            "amount_subtotal": amount,
            "amount_total": amount,
            "currency": form["line_items[0][price_data][currency]"],
            "customer_email": form.get("customer_email"),
            "client_reference_id": form.get("client_reference_id"),
            "metadata": {
                k.removeprefix("metadata[").removesuffix("]"): v
                for k, v in form.items()
                if k.startswith("metadata[")
            },
            "payment_intent": None,
            "success_url": form["success_url"],
            "cancel_url": form["cancel_url"],
        }
        self.sessions[session_id] = session
        return session

    def _create_refund(self, form: dict[str, str]) -> tuple[int, Any]:
        payment_intent = form.get("payment_intent")
        paid = [s for s in self.sessions.values() if s.get("payment_intent") == payment_intent]
        if not paid:
            return 400, {
                "error": {
                    "type": "invalid_request_error",
                    "message": f"No such payment_intent: '{payment_intent}'",
                }
            }
        refund = {
            "id": new_id("re"),
            "object": "refund",
            "amount": int(form["amount"]),
            "currency": paid[0]["currency"],
            "payment_intent": payment_intent,
            "status": "succeeded",
            "reason": form.get("reason"),
            "metadata": {
                k.removeprefix("metadata[").removesuffix("]"): v
                for k, v in form.items()
                if k.startswith("metadata[")
            },
        }
        self.refunds[refund["id"]] = refund
        return 200, refund

    def _hosted_page(self, method: str, session_id: str, form) -> tuple[int, Any]:
        session = self.sessions.get(session_id)
        if session is None:
            return 404, "<h1>No such checkout</h1>"
        if method == "POST":
            self.pay(session_id)
            url = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
            return 303, url
        return 200, (
            '<!DOCTYPE html><html lang="en"><head><title>Fake Stripe Checkout</title></head>'
            f"<body><main><h1>Fake Stripe Checkout</h1><p>Pay {session['amount_total']} "
            f"{session['currency']}</p><form method=post><button>Pay</button></form>"
            "</main></body></html>"
        )


class _Handler(BaseHTTPRequestHandler):
    fake: FakeStripe

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        status, payload = self.fake.handle(method, path, self.headers, body)
        if status == 303:
            self.send_response(303)
            self.send_header("Location", payload)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        self.send_response(status)
        kind = "text/html" if isinstance(payload, str) else "application/json"
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", new_id("req"))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def log_message(self, *args) -> None:
        pass


def start_fake_stripe() -> tuple[FakeStripe, ThreadingHTTPServer]:
    fake = FakeStripe()
    port = int(urlsplit(settings.STRIPE_API_BASE).port)
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake, server


# --- webhook events -----------------------------------------------------------------------


def event(event_type: str, obj: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return {
        "id": event_id or new_id("evt"),
        "object": "event",
        "api_version": "2025-10-29",
        "created": int(time.time()),
        "type": event_type,
        "livemode": False,
        "data": {"object": obj},
    }


def session_object(order, *, paid: bool = True, **overrides) -> dict[str, Any]:
    session = {
        "id": order.stripe_checkout_session_id or new_id("cs"),
        "object": "checkout.session",
        "mode": "payment",
        "status": "complete" if paid else "open",
        "payment_status": "paid" if paid else "unpaid",
        "amount_subtotal": order.price_cents,
        "amount_total": order.price_cents,
        "currency": order.currency.lower(),
        "client_reference_id": order.number,
        "metadata": {"order_number": order.number, "order_id": str(order.pk)},
        "payment_intent": order.stripe_payment_intent_id or new_id("pi"),
    }
    session.update(overrides)
    return session


def refund_object(payment_intent: str, amount: int, **overrides) -> dict[str, Any]:
    refund = {
        "id": new_id("re"),
        "object": "refund",
        "amount": amount,
        "currency": "usd",
        "payment_intent": payment_intent,
        "status": "succeeded",
        "metadata": {},
    }
    refund.update(overrides)
    return refund


def signed_post(client, payload: dict | str | bytes, *, secret=None, timestamp=None):
    """POST to the webhook with a Stripe-Signature made by the real scheme."""
    body = payload if isinstance(payload, str | bytes) else json.dumps(payload)
    text = body.decode() if isinstance(body, bytes) else body
    header = stripe.WebhookSignature.generate_signature_header(
        text, secret or settings.STRIPE_WEBHOOK_SECRET, timestamp=timestamp
    )
    return client.post(
        "/stripe/webhook/", data=text, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
