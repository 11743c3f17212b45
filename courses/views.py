import functools
import hashlib
from dataclasses import dataclass

import django
from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.template.loader import get_template, render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe

from . import credits, hooks
from .caching import (
    DATA_SECONDS,
    cache_anonymous_page,
    course_cached_data,
    query_digest,
    read_query,
)
from .forms import CatalogFilterForm
from .models import Course, CourseInstructor, Instructor, ProgramPolicies

CATALOG_READS = ("q", "level", "credits", "page")
# A search's results (or a later page) are kept for less time than the catalog's first
# page: there are as many entries as searches, and the timeout bounds their memory.
SEARCH_SECONDS = 10 * 60
# What a course card (includes/_course_card.html) prints: only these columns are read.
CARD_FIELDS = ("title", "slug", "summary", "price_cents", "currency", "ce_credits", "level")


def _with_card_data(courses):
    """Courses as their cards print them: the card's columns and the instructors' names."""
    links = (
        CourseInstructor.objects.select_related("instructor")
        .only("course_id", "instructor__name", "instructor__credentials")
        .order_by("order", "pk")
    )
    return courses.only(*CARD_FIELDS).prefetch_related(Prefetch("course_instructors", links))


@functools.cache
def _fragments_version() -> str:
    """The source of the templates whose output is cached (the cards, the filters), so
    that a release that changes them never serves fragments an older one rendered."""
    sources = [
        get_template(name).template.source
        for name in ("includes/_course_card.html", "courses/_catalog_filters.html")
    ]
    return hashlib.sha256("\0".join([django.get_version(), *sources]).encode()).hexdigest()[:12]


def _fragments_key(name: str) -> str:
    return f"{name}:{_fragments_version()}:{settings.CATALOG_PAGE_SIZE}"


def _cards(courses) -> SafeString:
    """The courses' cards, rendered once for the cache (catalog and instructor pages)."""
    card = get_template("includes/_course_card.html")
    return mark_safe("".join(card.render({"course": course}) for course in courses))  # noqa: S308 - rendered


@dataclass
class CatalogResults:
    """One catalog page for one search (`query`): everything the page shows that depends
    on the courses, rendered, so that it can be cached under the catalog version."""

    is_filtered: bool
    q: str
    filters: SafeString
    count: int
    number: int
    courses: list
    cards: SafeString
    programs: list


def _catalog_results(query: QueryDict) -> CatalogResults:
    form = CatalogFilterForm(query or None)
    courses = form.apply(Course.objects.published()).order_by("title", "pk")
    page = Paginator(_with_card_data(courses), settings.CATALOG_PAGE_SIZE).get_page(
        query.get("page")
    )
    return CatalogResults(
        is_filtered=form.is_filtered,
        q=getattr(form, "cleaned_data", {}).get("q", ""),
        filters=render_to_string("courses/_catalog_filters.html", {"form": form}),
        count=page.paginator.count,
        number=page.number,
        courses=list(page.object_list),
        cards=_cards(page.object_list),
        programs=[] if form.is_filtered else hooks.program_links(),
    )


@require_safe
@cache_anonymous_page(reads=CATALOG_READS)
def catalog(request: HttpRequest) -> HttpResponse:
    """Published courses, searchable and filterable, paginated. Each search's page of
    results (the filters as submitted, the count, the cards, the programs) comes from the
    cache under the catalog version that any catalog change replaces (caching.py)."""
    query = read_query(request, CATALOG_READS)
    results = course_cached_data(
        _fragments_key(f"catalog:{query_digest(request.path, query)}"),
        lambda: _catalog_results(query),
        SEARCH_SECONDS if query else DATA_SECONDS,
    )
    page = Paginator(range(results.count), settings.CATALOG_PAGE_SIZE).page(results.number)
    return render(
        request,
        "courses/catalog.html",
        {
            "results": results,
            "page": page,
            "courses": results.courses,
            "programs": results.programs,
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


def _instructor_page_data(slug: str) -> tuple:
    """The instructor, their published courses and those courses' cards, rendered."""
    instructor = get_object_or_404(Instructor, slug=slug)
    courses = list(
        _with_card_data(Course.objects.published().filter(instructors=instructor)).order_by("title")
    )
    return instructor, courses, _cards(courses)


@require_safe
@cache_anonymous_page
def instructor_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The instructor and their courses, from the cache under the catalog version (any
    change of an instructor, a course or who teaches it replaces it)."""
    instructor, courses, cards = course_cached_data(
        _fragments_key(f"instructor-page:{slug}"), lambda: _instructor_page_data(slug)
    )
    return render(
        request,
        "courses/instructor_detail.html",
        {"instructor": instructor, "courses": courses, "cards": cards},
    )
