import io

import pytest
from django.core.cache import caches
from django.core.management import call_command

from tests.factories import (
    CourseFactory,
    ProgramPoliciesFactory,
    StaffFactory,
    UserFactory,
)


@pytest.fixture(scope="session", autouse=True)
def _collected_static(tmp_path_factory):
    """Production uses the manifest storage; the suite does too, so collect once."""
    call_command("collectstatic", "--noinput", verbosity=0)


@pytest.fixture(autouse=True)
def _fresh_page_cache():
    """Each test starts with no cached pages (the cache is per process, like a worker's)."""
    caches["pages"].clear()


@pytest.fixture
def learner(db):
    return UserFactory()


@pytest.fixture
def director(db):
    return StaffFactory(email="director@example.com")


@pytest.fixture
def policies(db):
    return ProgramPoliciesFactory()


@pytest.fixture
def course(db, policies):
    return CourseFactory()


@pytest.fixture
def seeded(db):
    """The demo catalog, loaded by the real seed_demo command."""
    call_command("seed_demo", "--allow-production", stdout=io.StringIO())
