from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from . import credits, hooks
from .caching import cache_anonymous_page, course_cached_data
from .forms import CatalogFilterForm
from .models import Course, Instructor, ProgramPolicies


@require_safe
@cache_anonymous_page(reads=("q", "level", "credits", "page"))
def catalog(request: HttpRequest) -> HttpResponse:
    """Published courses, searchable and filterable, paginated."""
    form = CatalogFilterForm(request.GET or None)
    courses = form.apply(Course.objects.published()).with_instructors().order_by("title", "pk")
    page = Paginator(courses, settings.CATALOG_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "courses/catalog.html",
        {
            "form": form,
            "page": page,
            "courses": page.object_list,
            # From the cache under the catalog version (programs' changes replace it).
            "programs": []
            if form.is_filtered
            else course_cached_data("catalog-programs", hooks.program_links),
        },
    )


@require_safe
@cache_anonymous_page
def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The course page. Drafts are 404 to the public and a preview for staff."""
    if request.user.is_staff:
        data = _course_page_data(Course.objects.all(), slug)
    else:
        # Published courses' data comes from the cache (no query), under the catalog
        # version that any catalog change replaces (caching.py, apps.py).
        data = course_cached_data(
            f"course-page:{slug}", lambda: _course_page_data(Course.objects.published(), slug)
        )
    course, instructors, policies, requirements, programs = data
    today = timezone.localdate()
    # Approving bodies require the statement wherever the course is advertised; an
    # approval whose period has ended is neither advertised nor printed.
    options = credits.current_options(credits.course_credit_options(course), on=today)
    return render(
        request,
        "courses/course_detail.html",
        {
            "course": course,
            "instructors": instructors,
            "policies": policies,
            "credit_options": options,
            "credit_requirements": requirements,
            "programs": programs,
            "learner_credit": _learner_credit(request.user, options, today),
            "course_ld": _structured_data(course, instructors, policies),
        },
    )


def _course_page_data(courses, slug: str) -> tuple:
    """What the course page shows of a course, every prefetch evaluated (so that it can be
    cached): the course, its instructors, the policies, what earns credit and the programs
    that include it."""
    course = get_object_or_404(courses.for_detail_page(), slug=slug)
    instructors = [link.instructor for link in course.course_instructors.all()]
    return (
        course,
        instructors,
        ProgramPolicies.current(),
        hooks.credit_requirements(course),
        hooks.program_links(course),
    )


def _learner_credit(user, options, today) -> dict | None:
    """For a signed-in learner: the line their profession earns, or that none does."""
    if not user.is_authenticated:
        return None
    if not user.profession:
        return {"known": False}
    option = credits.credit_option_for(
        options, profession=user.profession, jurisdiction=user.license_jurisdiction, on=today
    )
    return {
        "known": True,
        "option": option,
        "profession": user.get_profession_display(),
        "jurisdiction": user.get_license_jurisdiction_display(),
    }


def _structured_data(course: Course, instructors: list, policies) -> dict:
    """schema.org Course for search engines, from data already loaded (no extra query)."""
    return {
        "@context": "https://schema.org",
        "@type": "Course",
        "name": course.title,
        "description": course.summary,
        "url": f"{settings.SITE_URL}{course.get_absolute_url()}",
        "educationalLevel": course.get_level_display(),
        "teaches": [objective.text for objective in course.objectives.all()],
        "provider": {
            "@type": "Organization",
            "name": policies.sponsor_name if policies else settings.SITE_NAME,
        },
        "instructor": [{"@type": "Person", "name": i.display_name} for i in instructors],
        "offers": {
            "@type": "Offer",
            "price": "{}.{:02d}".format(*divmod(course.price_cents, 100)),
            "priceCurrency": course.currency,
            "category": "Free" if course.is_free else "Paid",
        },
        "hasCourseInstance": {"@type": "CourseInstance", "courseMode": "Online"},
    }


@require_safe
@cache_anonymous_page
def instructor_detail(request: HttpRequest, slug: str) -> HttpResponse:
    instructor = get_object_or_404(Instructor, slug=slug)
    courses = (
        Course.objects.published()
        .filter(instructors=instructor)
        .with_instructors()
        .order_by("title")
    )
    return render(
        request,
        "courses/instructor_detail.html",
        {"instructor": instructor, "courses": courses},
    )
