import re
import time
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.background.conftest import run_worker
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "new.clinician@example.com",
    "password1": "a-long-unguessable-passphrase",
    "password2": "a-long-unguessable-passphrase",
    "certificate_name": "  Jane   Q. Doe ",
    "credentials": "PsyD",
    "profession": "psychologist",
    "license_number": "PSY 99999",
    "license_jurisdiction": "OR",
}


def test_sign_up_records_the_certificate_details(client):
    response = client.post(reverse("account_signup"), SIGNUP)
    assert response.status_code == HTTPStatus.FOUND
    user = User.objects.get(email="new.clinician@example.com")
    assert user.certificate_name == "Jane Q. Doe"
    assert user.credentials == "PsyD"
    assert user.profession == "psychologist"
    assert user.license_number == "PSY 99999"
    assert user.license_jurisdiction == "OR"
    assert user.get_license_jurisdiction_display() == "Oregon"


def test_sign_up_requires_the_name_for_certificates(client):
    response = client.post(reverse("account_signup"), {**SIGNUP, "certificate_name": ""})
    assert response.status_code == HTTPStatus.OK
    assert not User.objects.exists()
    assert b"This field is required" in response.content


def test_sign_up_sends_a_verification_link_on_the_public_site_url(
    client, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_signup"), SIGNUP)
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
    assert link.startswith(settings.SITE_URL + "/accounts/confirm-email/")
    assert settings.SITE_NAME in mail.outbox[0].body
    assert "testserver" not in mail.outbox[0].body
    assert mail.outbox[0].from_email.startswith(settings.SITE_NAME)


def test_sign_up_answers_at_once_with_the_mail_server_down_and_the_link_follows(
    client, database_tasks, smtp, settings
):
    smtp.stop()
    response = client.post(reverse("account_signup"), SIGNUP)
    assert response.status_code == HTTPStatus.FOUND
    assert User.objects.filter(email=SIGNUP["email"]).exists()
    run_worker()  # refused: the email waits for its next try
    assert smtp.messages == []
    smtp.start()
    time.sleep(settings.TASK_RETRY_BASE_SECONDS * 1.2)
    run_worker()
    [email] = smtp.to(SIGNUP["email"])
    text = next(p for p in email.walk() if p.get_content_type() == "text/plain")
    assert settings.SITE_URL + "/accounts/confirm-email/" in text.get_payload(decode=True).decode()


def test_unverified_email_cannot_sign_in_in_production(client):
    UserFactory(email="unverified@example.com", verified=False)
    response = client.post(
        reverse("account_login"), {"login": "unverified@example.com", "password": PASSWORD}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session


def test_verified_learner_signs_in_with_email(client, learner):
    response = client.post(reverse("account_login"), {"login": learner.email, "password": PASSWORD})
    assert response.status_code == HTTPStatus.FOUND
    assert client.session["_auth_user_id"] == str(learner.pk)


def test_repeated_failed_logins_lock_the_account_for_a_while(client, learner):
    url = reverse("account_login")
    for _ in range(5):
        client.post(url, {"login": learner.email, "password": "wrong"})
    # Even the right password is refused while the limit holds.
    response = client.post(url, {"login": learner.email, "password": PASSWORD})
    assert b"Too many failed login attempts" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("action", "url_name", "data"),
    [
        ("login", "account_login", {"login": "x@example.com", "password": "wrong"}),
        ("signup", "account_signup", {"email": "bad"}),
        ("reset_password", "account_reset_password", {"email": "x@example.com"}),
    ],
)
def test_sign_in_sign_up_and_reset_answer_429_past_their_rate(
    client, settings, action, url_name, data
):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, action: "2/m/ip"}
    url = reverse(url_name)
    statuses = [client.post(url, data).status_code for _ in range(3)]
    assert HTTPStatus.TOO_MANY_REQUESTS not in statuses[:2]
    assert statuses[2] == HTTPStatus.TOO_MANY_REQUESTS
    assert b"Too many attempts" in client.post(url, data).content


def test_password_reset_mails_a_link_on_the_public_site_url(
    client, learner, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": learner.email})
    assert response.status_code == HTTPStatus.FOUND
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
    assert link.startswith(settings.SITE_URL + "/accounts/password/reset/key/")


def test_profile_page_needs_sign_in(client):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("account_login"))


def test_learner_edits_certificate_details(client, learner):
    client.force_login(learner)
    response = client.post(
        reverse("accounts:profile"),
        {
            "certificate_name": "Jane Doe-Smith",
            "credentials": "PhD",
            "profession": "counselor",
            "license_number": "LPC-1",
            "license_jurisdiction": "TX",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    learner.refresh_from_db()
    assert learner.certificate_name == "Jane Doe-Smith"
    assert learner.profession == "counselor"
    assert learner.license_jurisdiction == "TX"


def test_tampered_profession_is_refused_and_changes_nothing(client, learner):
    client.force_login(learner)
    response = client.post(
        reverse("accounts:profile"),
        {"certificate_name": "Someone Else", "profession": "astrologer"},
    )
    assert response.status_code == HTTPStatus.OK
    assert b"Select a valid choice" in response.content
    learner.refresh_from_db()
    assert learner.certificate_name != "Someone Else"


def test_profile_page_query_budget(client, learner, django_assert_max_num_queries):
    client.force_login(learner)
    with django_assert_max_num_queries(4):
        response = client.get(reverse("accounts:profile"))
    assert response.status_code == HTTPStatus.OK


def test_demo_accounts_are_verified(seeded):
    assert EmailAddress.objects.filter(email="learner@example.com", verified=True).exists()


def test_sign_up_and_account_offer_the_same_jurisdiction_choices_by_name(client, learner):
    signup = client.get(reverse("account_signup")).content.decode()
    client.force_login(learner)
    account = client.get(reverse("accounts:profile")).content.decode()
    for body in (signup, account):
        assert '<option value="CA"' in body
        assert ">California</option>" in body
        assert '<optgroup label="Canada">' in body
        assert ">British Columbia</option>" in body


def test_tampered_jurisdiction_code_is_refused_and_changes_nothing(client, learner):
    client.force_login(learner)
    response = client.post(
        reverse("accounts:profile"),
        {"certificate_name": "Changed Name", "license_number": "X1", "license_jurisdiction": "ZZ"},
    )
    assert response.status_code == HTTPStatus.OK
    assert b"Select a valid choice" in response.content
    learner.refresh_from_db()
    assert learner.license_jurisdiction == "CA"
    assert learner.certificate_name != "Changed Name"


def test_a_license_number_needs_its_jurisdiction(client, learner):
    client.force_login(learner)
    response = client.post(
        reverse("accounts:profile"),
        {"certificate_name": "A B", "license_number": "LPC-1", "license_jurisdiction": ""},
    )
    assert b"Choose the state or province of the license." in response.content


def test_learner_states_they_hold_no_license(client, learner):
    client.force_login(learner)
    data = {"certificate_name": "A B", "profession": "other", "no_license": "on"}
    refused = client.post(reverse("accounts:profile"), {**data, "license_number": "PSY1"})
    assert b"You ticked that you hold no license" in refused.content
    response = client.post(reverse("accounts:profile"), data)
    assert response.status_code == HTTPStatus.FOUND
    learner.refresh_from_db()
    assert learner.no_license
    assert learner.license_number == ""
    assert learner.license_display == "License: none stated by the participant"


def test_account_form_returns_to_a_local_next_page_only(client, learner):
    client.force_login(learner)
    data = {"certificate_name": "A B", "license_number": "1", "license_jurisdiction": "CA"}
    back = client.post(reverse("accounts:profile"), {**data, "next": "/learn/x/certificate/"})
    assert back["Location"] == "/learn/x/certificate/"
    away = client.post(reverse("accounts:profile"), {**data, "next": "https://evil.example/"})
    assert away["Location"] == reverse("accounts:profile")
