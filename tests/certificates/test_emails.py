"""The holder is told by email when a certificate is issued or revoked, with its link."""

import pytest
from django.core import mail

from certificates import states
from certificates.models import PublicReason
from tests.certificates.conftest import confirm_and_issue

pytestmark = pytest.mark.django_db


def test_issuing_and_revoking_each_email_the_holder_the_verify_link(
    completed,
    settings,
    django_capture_on_commit_callbacks,
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        certificate = confirm_and_issue(completed)
    verify_url = f"{settings.SITE_URL}{certificate.get_absolute_url()}"
    [issued] = mail.outbox
    assert issued.to == [completed.user.email]
    assert certificate.course_title in issued.subject
    assert verify_url in issued.body
    assert certificate.display_code in issued.body
    assert verify_url in issued.alternatives[0][0]

    with django_capture_on_commit_callbacks(execute=True):
        confirm_and_issue(completed)  # a second click issues nothing, sends nothing
    assert len(mail.outbox) == 1

    with django_capture_on_commit_callbacks(execute=True):
        states.certificate_revoke(
            certificate=certificate,
            public_reason=PublicReason.ISSUED_IN_ERROR,
            note="Wrong course, learner asked.",
        )
    revoked = mail.outbox[1]
    assert "revoked" in revoked.subject.lower()
    assert "Issued in error" in revoked.body
    assert verify_url in revoked.body
    assert "Wrong course" not in revoked.body  # the internal note stays internal
