"""Outgoing email: sent by the worker, once.

Whoever has what a message needs renders it (allauth renders with the request, order
emails render in the worker) and hands it to `email_deliver` with an idempotency key. The
SentEmail row and the hand-over to the mail server share one transaction: if the server
refuses or the worker dies mid-send, nothing is recorded and the task runs again; once
the row is committed, a later run of the same task sends nothing.
"""

import uuid
from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.tasks import task

from .models import SentEmail
from .retries import retried


def email_deliver(*, message: EmailMessage, key: str) -> bool:
    """Send `message` unless one with this key went out before. True if sent now."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                # A concurrent run of the same task waits here on the unique key until
                # this transaction ends, then finds the row (sent) or not (failed).
                SentEmail.objects.create(
                    key=key[:200], to=", ".join(message.to)[:500], subject=message.subject[:300]
                )
        except IntegrityError:
            return False
        message.send()
    return True


def message_parts(message: EmailMessage) -> dict[str, Any]:
    """A rendered message as JSON values, for a task argument."""
    return {
        "subject": message.subject,
        "body": message.body,
        "content_subtype": message.content_subtype,
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "alternatives": [
            [alternative.content, alternative.mimetype]
            for alternative in getattr(message, "alternatives", [])
        ],
    }


def message_build(parts: dict[str, Any]) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=parts["subject"],
        body=parts["body"],
        from_email=parts["from_email"],
        to=parts["to"],
        cc=parts["cc"],
        bcc=parts["bcc"],
        reply_to=parts["reply_to"],
        headers=parts["headers"],
    )
    message.content_subtype = parts["content_subtype"]
    for content, mimetype in parts["alternatives"]:
        message.attach_alternative(content, mimetype)
    return message


def _about(parts: dict[str, Any], key: str) -> str:
    return f"email “{parts['subject']}” to {', '.join(parts['to'])}"


@retried(about=_about)
@task
def email_send(parts: dict[str, Any], key: str) -> str:
    """Send a message rendered elsewhere (allauth's address confirmation, password reset)."""
    return "sent" if email_deliver(message=message_build(parts), key=key) else "sent before"


def email_enqueue(message: EmailMessage) -> None:
    """Queue a rendered message; each call is one email (its own key)."""
    email_send.enqueue(message_parts(message), f"message:{uuid.uuid4()}")
