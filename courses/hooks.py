"""What earns credit for a course, as later apps state it for the course page.

The course page lists these requirements (approving bodies want them in the
advertisement); the apps that own them (the post-test rules, the evaluation, the
certificate) register a provider in their AppConfig.ready(). Courses never imports them:
one of the places where the dependency arrow turns around (DESIGN.md).
"""

from collections.abc import Callable

credit_requirement_providers: list[Callable[..., list[str]]] = []


def credit_requirements(course) -> list[str]:
    return [line for provider in credit_requirement_providers for line in provider(course)]


# The programs a course belongs to (or, for None, every published program), as links for
# the course page and the catalog; the programs app registers the provider.
program_link_providers: list[Callable[..., list[dict]]] = []


def program_links(course=None) -> list[dict]:
    return [link for provider in program_link_providers for link in provider(course)]
