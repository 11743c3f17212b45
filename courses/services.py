"""Catalog rules that span models. Later apps add their own publishing conditions here."""

import mutagen
from django.db import transaction

from .caching import clear_page_cache
from .models import AudioTrack, Course


def course_publish_blockers(*, course: Course) -> list[str]:
    """What keeps a course from being published; empty when it may go live."""
    blockers = []
    if not course.objectives.exists():
        blockers.append("it has no learning objectives")
    if not course.course_instructors.exists():
        blockers.append("it has no instructor")
    untranscribed = course.audio_tracks.filter(transcript="").values_list("title", flat=True)
    blockers += [f"audio “{title}” has no transcript" for title in untranscribed]
    uncaptioned = course.videos.filter(captions="").values_list("title", flat=True)
    blockers += [f"video “{title}” has no captions" for title in uncaptioned]
    return blockers


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


def course_publish(*, course: Course) -> list[str]:
    """Publish the course unless something blocks it; returns the blockers."""
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
