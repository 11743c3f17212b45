import copy
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
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
    release,
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


# Rendered once for the cache: the catalog's and instructor pages' content, the course
# page's head, main column and anonymous content (with the refund rule, the site's address,
# the photos' URLs). Their key carries the release (caching.release: the code and templates)
# and the settings they print, so that a deploy or a setting that changes them is never
# served fragments made before.
FRAGMENT_SETTINGS = (
    "CATALOG_PAGE_SIZE",
    "REFUND_WINDOW_DAYS",
    "SITE_URL",
    "SITE_NAME",
    "MEDIA_URL",  # instructors' photos
    "STORAGES",
)


def _fragments_key(name: str) -> str:
    made_of = "\0".join([release(), *(str(getattr(settings, s)) for s in FRAGMENT_SETTINGS)])
    return f"{name}:{hashlib.sha256(made_of.encode()).hexdigest()[:16]}"


@dataclass(frozen=True)
class CourseCard:
    """A course on a kept catalog page, as the live part of the page (and a test) names
    it: unpickling 25 model rows on every request cost more than the rest of the page."""

    pk: int
    title: str
    slug: str


@dataclass
class CatalogResults:
    """One catalog page for one search (`query`), rendered so that it can be cached under
    the catalog version: the content before and after the pagination links (which carry
    the visitor's own query, so are rendered per request), and what the rest of the page
    reads."""

    is_filtered: bool
    count: int
    number: int
    courses: list
    before_pagination: str
    after_pagination: str


# Stands for the pagination links while the catalog's content is rendered around them.
_PAGINATION_MARK = mark_safe("<!--pagination-->")


def _catalog_results(query: QueryDict) -> CatalogResults:
    form = CatalogFilterForm(query or None)
    courses = form.apply(Course.objects.published()).order_by("title", "pk")
    page = Paginator(_with_card_data(courses), settings.CATALOG_PAGE_SIZE).get_page(
        query.get("page")
    )
    content = render_to_string(
        "courses/_catalog_content.html",
        {
            "form": form,
            "page": page,
            "courses": page.object_list,
            "programs": [] if form.is_filtered else hooks.program_links(),
            "pagination": _PAGINATION_MARK,
        },
    )
    # Without courses there are no pagination links: all the content comes before.
    before, _, after = content.partition(_PAGINATION_MARK)
    return CatalogResults(
        is_filtered=form.is_filtered,
        count=page.paginator.count,
        number=page.number,
        courses=[CourseCard(c.pk, c.title, c.slug) for c in page.object_list],
        before_pagination=mark_safe(before),  # noqa: S308 - rendered
        after_pagination=mark_safe(after),  # noqa: S308 - rendered
    )


@require_safe
@cache_anonymous_page(reads=CATALOG_READS)
def catalog(request: HttpRequest) -> HttpResponse:
    """Published courses, searchable and filterable, paginated. Each search's page of
    results (the filters as submitted, the count, the cards, the programs: the content but
    for the pagination links) comes from the cache under the catalog version that any
    catalog change replaces (caching.py)."""
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
        {"results": results, "page": page, "courses": results.courses},
    )


@dataclass
class CoursePage:
    """The course page as every visitor sees it on one day (the credit options are those
    current that day): the course, its instructors and current credit options, the head
    and the main column rendered, and the content around the main column as an anonymous
    visitor sees it. Only the purchase box depends on the visitor."""

    course: Course
    instructors: list
    credit_options: list
    head: SafeString
    body: SafeString
    anonymous_before_body: str = ""
    anonymous_after_body: str = ""


# Stands for the main column while the anonymous content is rendered around it: a comment
# no escaped course text can contain.
_BODY_MARK = mark_safe("<!--course-body-->")


def _course_page(courses, slug: str, today) -> CoursePage:
    course, instructors, policies, requirements, programs = _course_page_data(courses, slug)
    # Approving bodies require the statement wherever the course is advertised; an
    # approval whose period has ended is neither advertised nor printed.
    options = credits.current_options(credits.course_credit_options(course), on=today)
    context = {
        "SITE_URL": settings.SITE_URL,
        "course": course,
        "instructors": instructors,
        "policies": policies,
        "credit_options": options,
        "credit_requirements": requirements,
        "programs": programs,
        "course_ld": _structured_data(course, instructors, policies),
    }
    head = render_to_string("courses/_course_head.html", context)
    body = render_to_string("courses/_course_body.html", context)
    page = CoursePage(_without_related(course), instructors, options, head, body)
    anonymous = render_to_string(
        "courses/_course_content.html",
        {
            "page": CoursePage(page.course, instructors, options, head, _BODY_MARK),
            "course": page.course,
            "credit_options": options,
            "learner_credit": None,
            "user": AnonymousUser(),
        },
    )
    before, after = anonymous.split(_BODY_MARK)  # the main column once, in one place
    page.anonymous_before_body, page.anonymous_after_body = mark_safe(before), mark_safe(after)  # noqa: S308 - rendered
    return page


def _without_related(course: Course) -> Course:
    """The course with its own columns only (what the live parts of a page print): the
    cache need not carry its related rows."""
    course = copy.copy(course)
    course._prefetched_objects_cache = {}
    return course


@require_safe
@cache_anonymous_page
def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The course page. Drafts are 404 to the public and a preview for staff."""
    today = timezone.localdate()
    if request.user.is_staff:
        page = _course_page(Course.objects.all(), slug, today)
    else:
        # Published courses' pages come from the cache (no query), under the catalog
        # version that any catalog change replaces (caching.py, apps.py), one per day.
        page = course_cached_data(
            _fragments_key(f"course-page:{slug}:{today.isoformat()}"),
            lambda: _course_page(Course.objects.published(), slug, today),
        )
    return render(
        request,
        "courses/course_detail.html",
        {
            "page": page,
            "course": page.course,
            "instructors": page.instructors,
            "credit_options": page.credit_options,
            "learner_credit": _learner_credit(request.user, page.credit_options, today),
        },
    )


def _course_page_data(courses, slug: str) -> tuple:
    """What the course page shows of a course: the course (its objectives and approvals
    prefetched), its instructors, the policies, what earns credit and the programs that
    include it."""
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
    """The instructor, their published courses and the page's content, rendered."""
    instructor = get_object_or_404(Instructor, slug=slug)
    courses = list(
        _with_card_data(Course.objects.published().filter(instructors=instructor)).order_by("title")
    )
    content = render_to_string(
        "courses/_instructor_content.html", {"instructor": instructor, "courses": courses}
    )
    return instructor, [_without_related(course) for course in courses], content


@require_safe
@cache_anonymous_page
def instructor_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The instructor and their courses, from the cache under the catalog version (any
    change of an instructor, a course or who teaches it replaces it)."""
    instructor, courses, content = course_cached_data(
        _fragments_key(f"instructor-page:{slug}"), lambda: _instructor_page_data(slug)
    )
    return render(
        request,
        "courses/instructor_detail.html",
        {"instructor": instructor, "courses": courses, "content": content},
    )
