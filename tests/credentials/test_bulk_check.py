"""Bulk checks: a CSV of up to 500 codes in, a CSV of statuses out, rate-limited."""

import csv
import io
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from certificates import states

pytestmark = pytest.mark.django_db

URL = reverse("credentials:verify_bulk")


def send(client, body: bytes):
    return client.post(URL, {"codes": SimpleUploadedFile("codes.csv", body, "text/csv")})


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_each_code_gets_its_status_and_the_public_facts(
    client, certificate, django_assert_max_num_queries
):
    states.certificate_revoke(
        certificate=certificate, public_reason="issued_in_error", note="Wrong course"
    )
    body = (f'code\n{certificate.code.lower()}\nZZZZ-ZZZZ-ZZZZ-ZZZZ\n=HYPERLINK("x")\n\n').encode()
    with django_assert_max_num_queries(14):
        response = send(client, body)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    header, found, unknown, nonsense = rows(response)
    assert header[:7] == [
        "code", "status", "holder", "course", "ce_credits", "credit_type", "completed_on"
    ]  # fmt: skip
    assert found[:7] == [
        certificate.display_code, "revoked", certificate.holder_display,
        certificate.course_title, "3", certificate.credit_type,
        certificate.completed_on.isoformat(),
    ]  # fmt: skip
    assert unknown[1] == "not found"
    assert nonsense[:2] == ['\'=HYPERLINK("x")', "not a code"]  # never a live formula
    text = response.content.decode()
    assert "Wrong course" not in text
    assert certificate.license_number not in text


def test_a_reissued_code_names_its_successor(client, certificate):
    new = states.certificate_reissue(certificate=certificate, note="Name spelling")
    _, old = rows(send(client, f"{certificate.display_code}\n".encode()))
    assert old[1] == "reissued"
    assert old[7] == new.display_code


def test_more_than_500_codes_are_refused(client, db):
    body = "\n".join(f"AAAA-AAAA-AAAA-{i:04d}" for i in range(501)).encode()
    response = send(client, body)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "at most 500" in response.content.decode()


def test_exactly_500_codes_are_answered(client, db):
    body = "\n".join(f"AAAA-AAAA-AAAA-{i:04d}" for i in range(500)).encode()
    response = send(client, body)
    assert response.status_code == HTTPStatus.OK
    assert len(rows(response)) == 501


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"", HTTPStatus.BAD_REQUEST, "The file is empty."),
        (b"code\n\n", HTTPStatus.BAD_REQUEST, "lists no codes"),
        (b"\xff\xfe\x00\x00binary", HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "not a UTF-8 text"),
        (b"x" * 100_001, HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "larger than"),
    ],
)
def test_bad_files_get_a_clear_4xx(client, db, body, status, message):
    response = send(client, body)
    assert response.status_code == status
    assert message in response.content.decode()


def test_bulk_checks_are_rate_limited_per_client(client, db, settings):
    settings.CREDENTIAL_BULK_CHECKS_PER_HOUR = 2
    statuses = [send(client, b"AAAA-AAAA-AAAA-AAAA\n").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert send(Client(REMOTE_ADDR="10.9.8.7"), b"AAAA-AAAA-AAAA-AAAA\n").status_code == 200
