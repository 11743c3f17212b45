"""Blocks that apps to the right add to the learner's transcript (the programs app lists
its credentials there). Certificates never imports them (DESIGN.md)."""

from collections.abc import Callable

from enrollment.hooks import Panel

transcript_panels: list[Callable[..., list[Panel]]] = []


def transcript_extras(user) -> list[Panel]:
    return [panel for provider in transcript_panels for panel in provider(user)]
