from datetime import timedelta
from http import HTTPStatus
from unittest import mock

import pytest
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone

from courses.caching import (
    VERSION_KEY,
    catalog_version,
    clear_page_cache,
    versioned_get,
    versioned_set,
)
from courses.models import Course
from tests.factories import (
    CourseApprovalFactory,
    CourseFactory,
    CourseInstructorFactory,
    ProviderApprovalFactory,
)

pytestmark = pytest.mark.django_db


def test_anonymous_repeat_visit_is_served_without_queries(
    client, course, django_assert_num_queries
):
    first = client.get(course.get_absolute_url())
    with django_assert_num_queries(0):
        second = client.get(course.get_absolute_url())
    assert second.status_code == HTTPStatus.OK
    assert second.content == first.content
    assert "Cookie" in second["Vary"]


def test_editing_a_course_shows_at_once(client, course):
    client.get(course.get_absolute_url())
    course.title = "A corrected title"
    course.save()
    assert b"A corrected title" in client.get(course.get_absolute_url()).content


def test_unpublishing_in_admin_hides_the_course_at_once(client, director, course):
    anonymous = client.__class__()
    assert anonymous.get(course.get_absolute_url()).status_code == HTTPStatus.OK
    client.force_login(director)
    client.post(
        reverse("admin:courses_course_changelist"),
        {"action": "unpublish_courses", "_selected_action": [course.pk]},
    )
    assert anonymous.get(course.get_absolute_url()).status_code == HTTPStatus.NOT_FOUND
    assert b"Course number" not in anonymous.get(reverse("courses:catalog")).content


def test_signed_in_pages_are_never_cached(client, learner, policies):
    client.get(reverse("courses:catalog"))
    client.force_login(learner)
    assert b"Sign out" in client.get(reverse("courses:catalog")).content


def test_each_query_string_is_its_own_page(client, policies):
    CourseFactory(title="Alpha", level="advanced")
    CourseFactory(title="Beta", level="introductory")
    assert b"Beta" not in client.get(reverse("courses:catalog"), {"level": "advanced"}).content
    assert b"Alpha" not in client.get(reverse("courses:catalog"), {"level": "introductory"}).content


def test_parameters_the_page_does_not_read_share_one_entry(
    client, policies, django_assert_num_queries
):
    CourseFactory(title="Alpha", level="advanced")
    catalog = reverse("courses:catalog")
    first = client.get(catalog, {"level": "advanced", "utm_source": "x" * 400})
    assert b"x" * 400 not in first.content  # nor in the pagination links it caches
    with django_assert_num_queries(0):
        again = client.get(f"{catalog}?fbclid=1&level=advanced&q=")
    assert again.content == first.content


def test_head_is_answered_from_the_same_cache(client, course, django_assert_num_queries):
    client.get(course.get_absolute_url())
    with django_assert_num_queries(0):
        response = client.head(course.get_absolute_url())
    assert response.status_code == HTTPStatus.OK


# --- Public course data under the catalog version (the page cache off) ---------------------


@pytest.fixture
def no_page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 0


def public_urls(course) -> list[str]:
    instructor = course.course_instructors.get().instructor
    return [
        reverse("courses:catalog"),
        reverse("courses:catalog") + "?q=alpha&level=introductory",
        course.get_absolute_url(),
        instructor.get_absolute_url(),
    ]


@pytest.fixture
def taught(policies):
    return CourseInstructorFactory(instructor__name="Ana Ruiz", course__title="Alpha").course


class CacheCalls:
    """Calls to the cache's methods (a get inside get_many is part of that one call: the
    local-memory cache builds get_many from get; Redis answers it in one MGET)."""

    def __init__(self, cache):
        self.cache, self.calls, self._inside = cache, [], False

    def _wrap(self, name):
        method = getattr(self.cache, name)

        def call(*args, **kwargs):
            if self._inside:
                return method(*args, **kwargs)
            self.calls.append(name)
            self._inside = True
            try:
                return method(*args, **kwargs)
            finally:
                self._inside = False

        return mock.patch.object(self.cache, name, call)

    def __enter__(self):
        self._patches = [self._wrap(n) for n in ("get", "get_many", "set", "add", "delete")]
        for patch in self._patches:
            patch.start()
        return self

    def __exit__(self, *exc):
        for patch in self._patches:
            patch.stop()


@pytest.mark.parametrize("page_cache", [0, 60])
def test_a_warm_page_reads_the_cache_once(client, settings, taught, page_cache):
    """The version and the entry (the page, or the page's data) in one round trip."""
    settings.PAGE_CACHE_SECONDS = page_cache
    for url in public_urls(taught):
        client.get(url)
        with CacheCalls(caches["pages"]) as cache:
            assert client.get(url).status_code == HTTPStatus.OK
        assert cache.calls == ["get_many"], url


def test_warm_public_pages_run_no_query(client, no_page_cache, taught, django_assert_num_queries):
    for url in public_urls(taught):
        first = client.get(url)
        with django_assert_num_queries(0):
            again = client.get(url)
        assert again.content == first.content, url


def test_a_course_edit_shows_at_once_on_every_page_that_lists_it(client, no_page_cache, taught):
    urls = public_urls(taught)
    for url in urls:
        assert b"Alpha" in client.get(url).content, url
    taught.title = "Alpha, revised"
    taught.save()
    for url in urls:
        assert b"Alpha, revised" in client.get(url).content, url


def test_an_instructor_edit_shows_at_once_on_the_cards(client, no_page_cache, taught):
    urls = public_urls(taught)
    for url in urls:
        client.get(url)
    instructor = taught.course_instructors.get().instructor
    instructor.name = "Ana Ruiz-Okafor"
    instructor.save()
    for url in urls:
        assert b"Ana Ruiz-Okafor" in client.get(url).content, url


def test_a_new_course_and_a_new_teacher_show_at_once(client, no_page_cache, taught):
    instructor = taught.course_instructors.get().instructor
    catalog = reverse("courses:catalog")
    client.get(catalog)
    client.get(instructor.get_absolute_url())
    CourseInstructorFactory(instructor=instructor, course__title="Beta")
    assert b"Beta" in client.get(catalog).content
    assert b"Beta" in client.get(instructor.get_absolute_url()).content


def test_unpublishing_hides_the_course_from_the_cached_pages(client, no_page_cache, taught):
    urls = public_urls(taught)
    for url in urls:
        client.get(url)
    taught.status = Course.Status.DRAFT
    taught.save()
    assert client.get(taught.get_absolute_url()).status_code == HTTPStatus.NOT_FOUND
    for url in (urls[0], urls[1], urls[3]):
        assert b"Alpha" not in client.get(url).content, url


def test_a_staff_preview_is_never_served_to_the_public(client, director, policies):
    draft = CourseFactory(draft=True, title="Not yet")
    client.force_login(director)
    assert b"Not yet" in client.get(draft.get_absolute_url()).content
    client.logout()
    assert client.get(draft.get_absolute_url()).status_code == HTTPStatus.NOT_FOUND


def test_an_approval_that_ends_today_is_gone_tomorrow(client, no_page_cache, taught):
    """The course page's data is kept per day: an approval period ends without any edit."""
    today = timezone.localdate()
    CourseApprovalFactory(
        course=taught,
        approval=ProviderApprovalFactory(statement="Ends today.", valid_until=today),
    )
    assert b"Ends today." in client.get(taught.get_absolute_url()).content
    tomorrow = today + timedelta(days=1)
    with mock.patch("courses.views.timezone.localdate", return_value=tomorrow):
        assert b"Ends today." not in client.get(taught.get_absolute_url()).content


def test_a_setting_the_cached_parts_print_takes_effect_at_once(client, no_page_cache, settings):
    """A release may change the refund window or the page size without any catalog edit:
    the cached course page and catalog pages follow."""
    course = CourseFactory()
    CourseFactory.create_batch(2)
    settings.REFUND_WINDOW_DAYS = 0
    assert b"at any time" in client.get(course.get_absolute_url()).content
    settings.REFUND_WINDOW_DAYS = 30
    assert b"within 30 days" in client.get(course.get_absolute_url()).content
    catalog = reverse("courses:catalog")
    assert client.get(catalog).content.count(b'class="card"') == 3
    settings.CATALOG_PAGE_SIZE = 2
    assert client.get(catalog).content.count(b'class="card"') == 2


def test_an_entry_made_under_another_version_is_not_served(policies):
    versioned_set("data:probe", "an-old-version", "stale", 60)
    assert versioned_get(VERSION_KEY, "data:probe") == (catalog_version(), None)
    versioned_set("data:probe", catalog_version(), "fresh", 60)
    assert versioned_get(VERSION_KEY, "data:probe")[1] == "fresh"
    clear_page_cache()
    assert versioned_get(VERSION_KEY, "data:probe")[1] is None


def test_a_lost_version_never_brings_back_an_entry(policies):
    version = catalog_version()
    versioned_set("data:probe", version, "kept", 60)
    caches["pages"].delete(VERSION_KEY)  # evicted
    new, value = versioned_get(VERSION_KEY, "data:probe")
    assert (new != version, value) == (True, None)


@pytest.mark.parametrize("page_cache", [0, 60])
def test_the_public_pages_work_when_the_cache_is_down(client, settings, taught, page_cache):
    settings.PAGE_CACHE_SECONDS = page_cache
    urls = public_urls(taught)
    expected = {url: client.get(url).content for url in urls}
    cache = caches["pages"]
    down = mock.Mock(side_effect=ConnectionError("cache down"))
    with (
        mock.patch.object(cache, "get_many", down),
        mock.patch.object(cache, "get", down),
        mock.patch.object(cache, "set", down),
        mock.patch.object(cache, "add", down),
    ):
        for url in urls:
            response = client.get(url)
            assert response.status_code == HTTPStatus.OK, url
            assert response.content == expected[url], url
