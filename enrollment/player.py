"""The course player: course home, manuscript reader, video page and protected media.

Every view here answers only to a learner with an active enrollment (or staff): the
signed-out get the sign-in page, everyone else a 404 that reveals nothing.
"""

from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from courses.models import AudioTrack, Course, Video
from courses.structure import course_structure

from . import progress
from .access import access_ended_check
from .hooks import Step, completion_steps
from .media import serve_private_file
from .models import Enrollment, SectionProgress, learner_state_queryset
from .pagecache import cache_learner_page


def _access(
    request: HttpRequest, slug: str, *, state: bool = False
) -> tuple[Course, Enrollment | None]:
    """The course and the learner's active enrollment in it, in one query; with `state`,
    the enrollment carries what the checklist reads (Enrollment.with_learner_state)."""
    if state:
        enrollments = learner_state_queryset()
    else:
        enrollments = Enrollment.objects.active().select_related("course")
    enrollment = enrollments.filter(user=request.user, course__slug=slug).first()
    if enrollment is not None:
        return enrollment.course, enrollment
    if not request.user.is_staff:
        access_ended_check(request.user, {"course__slug": slug})
        raise Http404
    return get_object_or_404(Course, slug=slug), None


def _done_ids(enrollment: Enrollment | None) -> set[int]:
    if enrollment is None:
        return set()
    return set(
        SectionProgress.objects.filter(enrollment=enrollment).values_list("section_id", flat=True)
    )


@login_required
@require_safe
@cache_learner_page
def course_home(request: HttpRequest, slug: str) -> HttpResponse:
    course, enrollment = _access(request, slug, state=True)
    structure = course_structure(course)
    sections = structure.sections
    done = _done_ids(enrollment)
    resume = None
    if enrollment is not None and enrollment.last_section_id:
        resume = next((s for s in sections if s.pk == enrollment.last_section_id), None)
    if resume is None:
        resume = next((s for s in sections if s.pk not in done), sections[0] if sections else None)
    checklist = []
    studied = bool(sections) and len(done) >= len(sections)
    if enrollment is not None:
        checklist = completion_steps(enrollment)
        checklist.insert(
            0,
            Step(
                label="Study the course material",
                done=studied,
                detail=f"{len(done)} of {len(sections)} sections completed",
                order=10,
            ),
        )
    return render(
        request,
        "enrollment/player/home.html",
        {
            "checklist": checklist,
            "course": course,
            "enrollment": enrollment,
            "sections": sections,
            "done": done,
            "resume": resume,
            "audio_tracks": structure.audio_tracks,
            "videos": structure.videos,
            "test_unlocked": enrollment is not None
            and progress.post_test_unlocked(enrollment=enrollment),
            "next_step": _next_step(checklist) if studied else None,
        },
    )


def _next_step(checklist: list[Step]) -> Step | None:
    """Once the material is studied, the main button leads on: to the first step still to
    do that can be opened (post-test, evaluation, certificate), or, all done, to the last
    step's page (the certificate)."""
    open_steps = [step for step in checklist if step.url]
    return next(
        (step for step in open_steps if not step.done), open_steps[-1] if open_steps else None
    )


@login_required
@require_safe
@cache_learner_page
def section_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    course, enrollment = _access(request, slug)
    structure = course_structure(course)
    sections = structure.sections
    index = next((i for i, s in enumerate(sections) if s.pk == pk), None)
    if index is None:
        raise Http404
    section = sections[index]
    return render(
        request,
        "enrollment/player/section.html",
        {
            "course": course,
            "enrollment": enrollment,
            "section": section,
            "position": index + 1,
            "count": len(sections),
            "previous": sections[index - 1] if index else None,
            "next": sections[index + 1] if index + 1 < len(sections) else None,
            "audio_tracks": structure.section_audio(section.pk),
            "is_done": enrollment is not None
            and SectionProgress.objects.filter(enrollment=enrollment, section_id=pk).exists(),
        },
    )


@login_required
@require_POST
def section_done(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    course, enrollment = _access(request, slug)
    sections = course_structure(course).sections
    index = next((i for i, s in enumerate(sections) if s.pk == pk), None)
    if index is None:
        raise Http404
    following = sections[index + 1] if index + 1 < len(sections) else None
    if enrollment is not None:
        progress.section_complete(
            enrollment=enrollment, section=sections[index], next_section=following
        )
    if following is not None:
        return redirect("enrollment:section", slug=slug, pk=following.pk)
    return redirect("enrollment:course_home", slug=slug)


@login_required
@require_safe
def video_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    course, enrollment = _access(request, slug)
    video = get_object_or_404(Video, pk=pk, course=course)
    return render(
        request,
        "enrollment/player/video.html",
        {"course": course, "enrollment": enrollment, "video": video},
    )


MEDIA_KINDS = {
    "audio": (AudioTrack, "file"),
    "video": (Video, "file"),
    "poster": (Video, "poster"),
    "captions": (Video, "captions"),
}


@login_required
@require_http_methods(["GET", "HEAD"])
def media(request: HttpRequest, slug: str, kind: str, pk: int) -> HttpResponse:
    """A course file, to an enrolled learner or staff only, with HTTP Range support.

    The access check is one query (the file's row, on the condition that the learner has
    an active enrollment in its course) besides the session's user: players send many
    range requests."""
    if kind not in MEDIA_KINDS:
        raise Http404
    model, field = MEDIA_KINDS[kind]
    rows = model.objects.filter(pk=pk, course__slug=slug).only("pk", "course_id", field)
    if not request.user.is_staff:
        enrolled = Enrollment.objects.active().filter(user=request.user, course=OuterRef("course"))
        rows = rows.filter(Exists(enrolled))
    item = rows.first()
    stored = getattr(item, field) if item is not None else None
    if not stored:
        raise Http404
    # Captions stay on this origin: a <track> cannot follow a redirect to the object store.
    return serve_private_file(request, stored.storage, stored.name, same_origin=kind == "captions")
