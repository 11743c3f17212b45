"""The ready-made groups: each reaches its own pages and not the others'."""

import importlib
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGES = {
    "Registrar": [
        reverse("admin:certificates_certificate_changelist"),
        reverse("admin:certificates_roster"),
        reverse("admin:certificates_audit_packet"),
        reverse("admin:testing_evaluationresponse_changelist"),
    ],
    "Refund desk": [
        reverse("admin:enrollment_order_changelist"),
        reverse("admin:enrollment_refund_changelist"),
        reverse("admin:enrollment_refundrequest_changelist"),
        reverse("admin:enrollment_stripeevent_changelist"),
    ],
    # Others may view courses; adding and editing content is the editor's.
    "Content editor": [
        reverse("admin:courses_course_add"),
        reverse("admin:courses_instructor_add"),
        reverse("admin:courses_providerapproval_add"),
        reverse("admin:testing_question_changelist"),
    ],
}


READY_MADE = importlib.import_module("certificates.migrations.0003_ready_made_groups")


@pytest.fixture(autouse=True)
def ready_made_groups(db):
    """The groups as the migration makes them. A transactional test that ran earlier
    flushed every table, migration data included (the flush recreates permissions, not
    groups): then they are made again from the migration's own lists, so these tests
    pass in any order."""
    for name, wanted in READY_MADE.GROUPS.items():
        group, created = Group.objects.get_or_create(name=name)
        if created:
            group.permissions.set(
                Permission.objects.get(content_type__app_label=app, codename=codename)
                for app, codename in wanted
            )


def member_of(name: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=name))
    return user


@pytest.mark.parametrize("group", list(PAGES))
def test_each_group_reaches_its_pages_and_not_the_others(client, policies, group):
    client.force_login(member_of(group))
    for url in PAGES[group]:
        assert client.get(url).status_code == HTTPStatus.OK, url
    for other, urls in PAGES.items():
        if other == group:
            continue
        for url in urls:
            assert client.get(url).status_code == HTTPStatus.FORBIDDEN, (group, url)


def test_the_groups_hold_the_permissions_the_contract_names():
    held = {
        name: set(
            Group.objects.get(name=name).permissions.values_list(
                "content_type__app_label", "codename"
            )
        )
        for name in PAGES
    }
    assert {
        ("certificates", "export_roster"),
        ("certificates", "download_any_certificate"),
        ("certificates", "correct_certificate"),
        ("certificates", "revoke_certificate"),
        ("certificates", "reinstate_certificate"),
        ("testing", "export_evaluations"),
    } <= held["Registrar"]
    assert {
        ("enrollment", "refund_order"),
        ("enrollment", "decide_refund_request"),
    } <= held["Refund desk"]
    assert ("accounts", "change_user") not in set().union(*held.values())
    # Deleting is only for inline rows of content (a course's sections, a program's courses).
    assert not any(code.startswith("delete_") and app not in {"courses", "testing", "programs"}
                   for app, code in set().union(*held.values()))  # fmt: skip
    assert ("programs", "delete_program") not in set().union(*held.values())
