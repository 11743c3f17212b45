import io
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import User
from accounts.services import user_anonymise
from tests.certificates.conftest import certificate, completed  # noqa: F401
from tests.testing.conftest import bank, evaluation_items, ready  # noqa: F401


def test_an_anonymised_learner_keeps_a_verifiable_certificate(client, certificate):  # noqa: F811
    learner = certificate.enrollment.user
    printed_name = certificate.holder_name
    user_anonymise(user=learner)
    learner.refresh_from_db()
    assert learner.email == f"anonymised-{learner.pk}@invalid.example"
    assert (learner.certificate_name, learner.license_number) == ("", "")
    assert not learner.is_active
    assert not learner.has_usable_password()
    assert not EmailAddress.objects.filter(user=learner).exists()
    page = client.get(certificate.get_absolute_url())
    assert page.status_code == HTTPStatus.OK
    assert "VALID" in page.content.decode()
    assert printed_name in page.content.decode()


def test_the_roster_still_lists_the_completion_with_its_printed_details(
    client,
    director,
    certificate,  # noqa: F811
):
    user_anonymise(user=certificate.enrollment.user)
    client.force_login(director)
    response = client.get(
        reverse("admin:certificates_roster"),
        {
            "course": certificate.enrollment.course.pk,
            "completed_from": "2000-01-01",
            "completed_to": "2100-01-01",
            "format": "roster",
        },
    )
    text = response.content.decode()
    assert certificate.display_code in text
    assert certificate.holder_name in text
    assert certificate.license_number in text


def test_an_anonymised_learner_cannot_sign_in(client, learner):
    user_anonymise(user=learner)
    response = client.post(
        reverse("account_login"), {"login": learner.email, "password": "irrelevant"}
    )
    assert response.status_code == HTTPStatus.OK
    assert "_auth_user_id" not in client.session


def test_the_command_shows_what_stays_and_changes_nothing_without_yes(learner):
    out = io.StringIO()
    call_command("anonymise_user", learner.email, stdout=out)
    assert "Nothing changed" in out.getvalue()
    assert User.objects.get(pk=learner.pk).email == learner.email
    call_command("anonymise_user", learner.email.upper(), "--yes", stdout=out)
    assert User.objects.get(pk=learner.pk).email.startswith("anonymised-")


def test_the_command_refuses_staff_and_unknown_addresses(director, db):
    with pytest.raises(CommandError, match="Staff accounts"):
        call_command("anonymise_user", director.email, "--yes")
    with pytest.raises(CommandError, match="No account"):
        call_command("anonymise_user", "nobody@example.com", "--yes")
