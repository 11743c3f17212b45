"""A course's structure, kept in the shared cache: the course row, its sections (with
their Markdown already rendered), audio tracks and videos.

The learner's pages read it on every request and it changes only when the director edits
the course, so it lives in the "pages" cache (Redis with CACHE_URL, shared by every host;
one process's memory without, like the page cache) under a versioned key.
Saving or deleting a course, section, audio track or video (signals in apps.py), or any
other model an app registers with `structure_depends_on`, replaces the version: every host
then builds the structure afresh on its next request and the old entries simply expire.
Other apps keep their own per-course facts under the same version with `course_cached`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from .caching import cached_or_built, new_version
from .markdown import render_markdown
from .models import AudioTrack, Course, Section, Video

VERSION_KEY = "course-structure-version"
TIMEOUT = 60 * 60


@dataclass
class Structure:
    course: Course
    sections: list[Section]
    audio_tracks: list[AudioTrack]
    videos: list[Video]
    section_ids: list[int] = field(default_factory=list)

    def section_audio(self, section_id: int) -> list[AudioTrack]:
        return [track for track in self.audio_tracks if track.section_id == section_id]


def course_cached(name: str, course_id: int, build: Callable[[], Any]) -> Any:
    """`build()` for this course, from the cache while no course content has changed."""
    return cached_or_built(VERSION_KEY, f"course:{name}:{course_id}", build, TIMEOUT)


def _build(course: Course) -> Structure:
    sections = list(Section.objects.filter(course=course))
    by_id = {section.pk: section for section in sections}
    for section in sections:
        section.course = course
        section.__dict__["_body_html"] = render_markdown(section.body)
    tracks = list(AudioTrack.objects.filter(course=course))
    for track in tracks:
        track.course = course
        if track.section_id is not None:
            track.section = by_id.get(track.section_id)
    videos = list(Video.objects.filter(course=course))
    for video in videos:
        video.course = course
    return Structure(
        course=course,
        sections=sections,
        audio_tracks=tracks,
        videos=videos,
        section_ids=[section.pk for section in sections],
    )


def course_structure(course: Course) -> Structure:
    """The structure of `course` (whose row the caller has already read)."""
    structure = course_cached("structure", course.pk, lambda: _build(course))
    # The caller's course row is as fresh as the request; the cached rows point at it.
    structure.course = course
    for row in (*structure.sections, *structure.audio_tracks, *structure.videos):
        row.course = course
    return structure


def structure_changed(**kwargs) -> None:
    """Course content changed: no host serves a structure built before the change (now,
    and again at commit, so that one built from the uncommitted state is not kept)."""
    _new_version()
    transaction.on_commit(_new_version)


def _new_version() -> None:
    new_version(VERSION_KEY)


def structure_depends_on(*models) -> None:
    for model in models:
        label = model._meta.label
        post_save.connect(structure_changed, sender=model, dispatch_uid=f"structure-{label}")
        post_delete.connect(structure_changed, sender=model, dispatch_uid=f"structure-d-{label}")
