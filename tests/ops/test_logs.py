import json
import logging
import re
import time
from http import HTTPStatus

from django.tasks import task

from enrollment import refunds, webhooks
from ops.logformat import JsonFormatter, RequestIdFilter, UtcFormatter, request_id_var
from tests.certificates.conftest import certificate, completed, confirm_and_issue  # noqa: F401
from tests.testing.conftest import bank, evaluation_items, ready  # noqa: F401


def request_lines(log_lines):
    return [r for r in log_lines.records if r.name == "ce.request"]


def test_each_request_logs_one_line_with_its_id_status_duration_client_and_user(
    client, learner, log_lines
):
    client.force_login(learner)
    response = client.get("/my/courses/")
    assert response.status_code == HTTPStatus.OK
    (line,) = request_lines(log_lines)
    assert line.status == HTTPStatus.OK
    assert line.method == "GET"
    assert line.path == "/my/courses/"
    assert line.user_id == str(learner.pk)
    assert line.client == "127.0.0.1"
    assert line.duration_ms > 0
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert line.request_id == response["X-Request-ID"]


def test_an_anonymous_request_logs_no_user_and_costs_no_extra_query(
    db, client, django_assert_num_queries, log_lines
):
    with django_assert_num_queries(0):
        client.get("/healthz")
    assert request_lines(log_lines)[0].user_id == "-"


def test_a_sane_request_id_from_the_proxy_is_kept_and_a_strange_one_replaced(client, log_lines):
    kept = client.get("/healthz", HTTP_X_REQUEST_ID="nginx-7f3a9c01d2")
    assert kept["X-Request-ID"] == "nginx-7f3a9c01d2"
    for strange in ["short", "has spaces in it", "x" * 300, "id\r\nSet-Cookie: a=b"]:
        response = client.get("/healthz", HTTP_X_REQUEST_ID=strange)
        assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert next(r.request_id for r in request_lines(log_lines)) == "nginx-7f3a9c01d2"


def test_one_time_keys_from_emailed_links_never_reach_the_log(db, client, log_lines):
    client.get("/accounts/confirm-email/MQ:1vAbCd:secretkey123/")
    client.get("/accounts/password/reset/key/1-set-password/")
    client.get("/accounts/password/reset/key/3f-ab12cd-0123456789abcdef/")
    paths = [r.path for r in request_lines(log_lines)]
    assert paths == [
        "/accounts/confirm-email/[redacted]/",
        "/accounts/password/reset/key/1-[redacted]/",
        "/accounts/password/reset/key/3f-[redacted]/",
    ]
    assert "secretkey123" not in " ".join(r.getMessage() for r in log_lines.records)


def test_every_line_written_during_a_request_carries_its_id():
    record = logging.makeLogRecord({"name": "x", "msg": "inside", "levelno": 20})
    token = request_id_var.set("abc123def456")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    assert record.request_id == "abc123def456"
    outside = logging.makeLogRecord({"msg": "outside"})
    RequestIdFilter().filter(outside)
    assert outside.request_id == "-"


def test_timestamps_are_utc_whatever_the_display_time_zone(settings):
    settings.TIME_ZONE = "America/Los_Angeles"
    record = logging.makeLogRecord({"name": "x", "msg": "hello", "levelname": "INFO"})
    record.created = 1_800_000_000.25  # 2027-01-15T08:00:00.250Z
    record.msecs = 250
    assert UtcFormatter().format(record).startswith("2027-01-15T08:00:00.250Z INFO x [-] hello")


def test_json_lines_carry_the_event_fields_as_keys():
    record = logging.makeLogRecord(
        {
            "name": "ce.events",
            "msg": "%s %s",
            "args": ("order.paid", "order=CE-1 amount_cents=11900"),
            "levelname": "INFO",
            "event": "order.paid",
            "fields": {"order": "CE-1", "amount_cents": 11900},
            "request_id": "r-123456789",
        }
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["time"].endswith("Z")
    assert line["level"] == "INFO"
    assert line["request_id"] == "r-123456789"
    assert line["event"] == "order.paid"
    assert line["order"] == "CE-1"
    assert line["amount_cents"] == 11900
    assert line["message"] == "order.paid order=CE-1 amount_cents=11900"


def test_a_refund_logs_its_id_amount_order_and_outcome(paid_order, log_lines):
    refunds.order_refund(order=paid_order, reason="Changed my mind", actor="learner")
    (refund,) = log_lines.events("refund.recorded")
    assert refund["order"] == paid_order.number
    assert refund["amount_cents"] == paid_order.amount_paid_cents
    assert refund["stripe_refund"].startswith("re_")
    assert refund["status"] == "succeeded"
    statuses = log_lines.events("order.status")
    assert statuses[-1]["to_status"] == "refunded"


def test_purchase_events_name_the_order_amount_and_stripe_event(
    db, learner, course, fake_stripe, log_lines
):
    from demo.journeys import journey_enroll

    enrollment = journey_enroll(user=learner, course=course, pay=fake_stripe.pay)
    order = enrollment.order
    (created,) = log_lines.events("order.created")
    (paid,) = log_lines.events("order.paid")
    assert created["order"] == paid["order"] == order.number
    assert paid["amount_cents"] == order.price_cents
    assert paid["payment"] == order.stripe_payment_intent_id
    event = {
        "id": "evt_test_log_1",
        "type": "checkout.session.completed",
        "data": {"object": fake_stripe.sessions[order.stripe_checkout_session_id]},
    }
    webhooks.stripe_event_process(event)
    webhooks.stripe_event_process(event)
    outcomes = [e["outcome"] for e in log_lines.events("stripe.event")]
    assert outcomes == [f"order {order.number} paid", "duplicate"]
    assert {e["event_id"] for e in log_lines.events("stripe.event")} == {"evt_test_log_1"}


def test_certificate_events_name_the_code(certificate, log_lines):  # noqa: F811
    from certificates import states
    from certificates.models import PublicReason

    new = states.certificate_reissue(certificate=certificate, note="Name corrected")
    states.certificate_revoke(
        certificate=new, public_reason=PublicReason.ISSUED_IN_ERROR, note="Wrong course"
    )
    states.certificate_reinstate(certificate=new, note="Right course after all")
    assert log_lines.events("certificate.reissued") == [
        {"code": certificate.display_code, "new_code": new.display_code}
    ]
    revoked = log_lines.events("certificate.revoked")[0]
    assert (revoked["code"], revoked["public_reason"]) == (new.display_code, "issued_in_error")
    assert log_lines.events("certificate.reinstated")[0]["code"] == new.display_code


def test_a_certificate_issue_is_logged_with_its_code(completed, log_lines):  # noqa: F811
    from certificates.models import Certificate

    Certificate.objects.filter(enrollment=completed).delete()
    log_lines.records.clear()
    issued = confirm_and_issue(completed)
    assert log_lines.events("certificate.issued")[0]["code"] == issued.display_code


@task
def failing_receipt(order_id: int) -> None:
    raise ConnectionRefusedError("SMTP is down")


def test_a_failed_task_is_logged_with_the_object_it_was_working_on(log_lines):
    failing_receipt.enqueue(order_id=4321)
    deadline = time.monotonic() + 5
    while not [r for r in log_lines.records if r.name == "ce.tasks"]:
        assert time.monotonic() < deadline, "no task failure line"
        time.sleep(0.05)
    (line,) = [r for r in log_lines.records if r.name == "ce.tasks"]
    assert line.levelno == logging.ERROR
    assert line.task.endswith("test_logs.failing_receipt")
    assert line.task_kwargs == {"order_id": 4321}
    assert line.error == "builtins.ConnectionRefusedError"
