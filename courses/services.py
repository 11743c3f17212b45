"""Catalog rules that span models, and the one registry of publishing conditions.

A course is sold only while every publishing rule passes. Each rule is a function of the
course that returns what is missing (short phrases such as "it has no instructor"), empty
when the course may go live. Courses registers its own rules below; apps to the right add
theirs in AppConfig.ready() (enrollment: a manuscript; testing: a usable question bank),
the one place where the dependency arrow turns around (DESIGN.md). The service, the
publish action and the course form all read `course_publish_blockers`, so no rule is
written twice.
"""

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import mutagen
from django.db import transaction

from .caching import clear_page_cache
from .models import AudioTrack, Course

PublishingRule = Callable[[Course], list[str]]

publishing_rules: list[PublishingRule] = []


def publishing_rule(rule: PublishingRule) -> PublishingRule:
    """Add a publishing condition to the registry (once; usable as a decorator)."""
    if rule not in publishing_rules:
        publishing_rules.append(rule)
    return rule


class CoursePublishRefused(Exception):
    """A course would be published, or stay published, while a rule fails."""

    def __init__(self, course: Course, blockers: list[str]):
        self.course, self.blockers = course, blockers
        super().__init__(f"“{course}” cannot be published: {', '.join(blockers)}.")


def course_publish_blockers(*, course: Course) -> list[str]:
    """What keeps a course from being published; empty when it may go live."""
    return [problem for rule in publishing_rules for problem in rule(course)]


def course_published_check(*, course: Course, already: Iterable[str] = ()) -> None:
    """A published course must keep passing every rule.

    Call it inside the transaction that changed the course or its content, after the
    change: CoursePublishRefused then rolls the change back. Problems listed in `already`
    (found before a change to one part, such as retiring a question) are not that
    change's doing and do not refuse it.
    """
    if course.is_published:
        blockers = [b for b in course_publish_blockers(course=course) if b not in already]
        if blockers:
            raise CoursePublishRefused(course, blockers)


@contextmanager
def course_content_change(*, course: Course) -> Iterator[None]:
    """Wrap a change to one part of a course (its question bank, say): the change is
    rolled back with CoursePublishRefused if it makes a published course break a rule."""
    before = course_publish_blockers(course=course) if course.is_published else []
    with transaction.atomic():
        yield
        course_published_check(course=course, already=before)


@publishing_rule
def objectives_rule(course: Course) -> list[str]:
    return [] if course.objectives.exists() else ["it has no learning objectives"]


@publishing_rule
def instructors_rule(course: Course) -> list[str]:
    return [] if course.course_instructors.exists() else ["it has no instructor"]


@publishing_rule
def accessible_media_rule(course: Course) -> list[str]:
    """Audio needs a transcript and video captions (WCAG 1.2.1 and 1.2.2)."""
    untranscribed = course.audio_tracks.filter(transcript="").values_list("title", flat=True)
    uncaptioned = course.videos.filter(captions="").values_list("title", flat=True)
    return [f"audio “{title}” has no transcript" for title in untranscribed] + [
        f"video “{title}” has no captions" for title in uncaptioned
    ]


def audio_track_read_duration(*, track: AudioTrack) -> None:
    """Read the length of the uploaded audio from the file itself (mutagen)."""
    try:
        with track.file.open("rb") as handle:
            info = mutagen.File(handle)
    except (OSError, mutagen.MutagenError):
        info = None
    seconds = round(info.info.length) if info is not None and info.info else None
    if seconds != track.duration_seconds:
        track.duration_seconds = seconds
        track.save(update_fields=["duration_seconds"])


@transaction.atomic
def course_publish(*, course: Course) -> list[str]:
    """Publish the course unless a publishing rule blocks it; returns the blockers."""
    blockers = course_publish_blockers(course=course)
    if not blockers and not course.is_published:
        course.publish()
        course.save(update_fields=["status", "published_at", "updated_at"])
    return blockers


@transaction.atomic
def course_unpublish(*, course: Course) -> None:
    if course.is_published:
        course.unpublish()
        course.save(update_fields=["status", "updated_at"])
    clear_page_cache()
