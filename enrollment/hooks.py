"""Steps that apps to the right add to a learner's completion checklist.

The course home shows the checklist; testing and certificates register providers in
their AppConfig.ready(). This is one of the places where the dependency arrow turns
around (DESIGN.md): enrollment never imports those apps.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    label: str
    done: bool
    url: str = ""
    detail: str = ""
    order: int = 50


completion_providers: list[Callable[..., list[Step]]] = []

# What each provider reads about an enrollment, as annotations (subqueries) that
# `Enrollment.objects.with_learner_state()` adds to the one query that loads it: the
# checklist then costs no query of its own. Each callable returns {name: expression};
# a provider given an enrollment without its annotations queries as before.
learner_state_annotations: list[Callable[[], dict]] = []


def completion_steps(enrollment) -> list[Step]:
    steps = [step for provider in completion_providers for step in provider(enrollment)]
    return sorted(steps, key=lambda step: step.order)


@dataclass(frozen=True)
class Panel:
    """A block that an app to the right adds to "My courses": a template and its context."""

    template: str
    context: dict


my_courses_panels: list[Callable[..., list[Panel]]] = []


def my_courses_extras(user) -> list[Panel]:
    return [panel for provider in my_courses_panels for panel in provider(user)]
