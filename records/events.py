"""Business events as log lines with their identifiers (order number and amount, Stripe
event id, refund, certificate code), so that an operator can follow one order or one
certificate through the log. With LOG_FORMAT=json each field is a key of its own."""

import logging

logger = logging.getLogger("ce.events")


def event_log(event: str, *, level: int = logging.INFO, **fields) -> None:
    """`event_log("order.paid", order="CE-…", amount_cents=11900, currency="USD")`."""
    text = " ".join(f"{key}={value}" for key, value in fields.items())
    logger.log(level, "%s %s", event, text, extra={"event": event, "fields": fields})
