"""Blocks that apps to the right add to the learner's transcript (the programs app lists
its credentials there). Certificates never imports them (DESIGN.md)."""

from collections.abc import Callable

from enrollment.hooks import Panel

transcript_panels: list[Callable[..., list[Panel]]] = []


def transcript_extras(user) -> list[Panel]:
    return [panel for provider in transcript_panels for panel in provider(user)]


# Other documents with codes from certificates.codes (a program's credential): each
# resolver returns the verification URL of the document with this stored code, or None.
code_resolvers: list[Callable[[str], str | None]] = []


def other_document_url(code: str) -> str | None:
    for resolver in code_resolvers:
        url = resolver(code)
        if url:
            return url
    return None


# Apps to the right that keep something per certificate (the credentials app's status-list
# index): each is called with a certificate just created (an issue or a reissue), in the
# transaction that creates it.
issued_hooks: list[Callable] = []


def certificate_issued_extras(certificate) -> None:
    for hook in issued_hooks:
        hook(certificate)
