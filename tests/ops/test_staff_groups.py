"""Background work in admin for the ready-made groups (ops/migrations/0001): Operations
sees failed tasks (and may run them again), sent emails and workers; Refund desk sees
failed tasks and sent emails; nobody but the superuser sees the raw task results."""

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from django.tasks import TaskResultStatus
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from background.models import SentEmail
from enrollment import notifications, orders
from tests.factories import UserFactory

FAILED = reverse("admin:background_failedtask_changelist")
SENT = reverse("admin:background_sentemail_changelist")
WORKERS = reverse("admin:background_workerheartbeat_changelist")
TASK_RESULTS = reverse("admin:django_tasks_database_dbtaskresult_changelist")


@pytest.fixture
def failed_receipt(db, settings, learner, course):
    """An order's receipt task that used up its attempts, and one email sent earlier."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TASK_BACKEND = "database"
    order = orders.order_start(user=learner, course=course)
    orders.payment_record(order=order, reference="", amount_cents=0, actor="learner")
    row = DBTaskResult.objects.get(task_path=notifications.order_confirmation_send.module_path)
    DBTaskResult.objects.filter(pk=row.pk).update(status=TaskResultStatus.FAILED)
    SentEmail.objects.create(key="welcome:1", to=learner.email, subject="Welcome aboard")
    return order, row


def member(name: str, client):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=name))
    client.force_login(user)
    return user


def test_operations_sees_failed_tasks_sent_emails_and_workers_and_runs_a_task_again(
    client, failed_receipt
):
    order, row = failed_receipt
    member("Operations", client)
    listing = client.get(FAILED)
    assert listing.status_code == HTTPStatus.OK
    assert f"order {order.number}".encode() in listing.content
    sent = client.get(SENT)
    assert sent.status_code == HTTPStatus.OK
    assert b"Welcome aboard" in sent.content
    assert client.get(WORKERS).status_code == HTTPStatus.OK
    client.post(FAILED, {"action": "run_again", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert row.status == TaskResultStatus.READY
    # A queued email's arguments hold its text (reset links): raw results stay hidden.
    assert client.get(TASK_RESULTS).status_code == HTTPStatus.FORBIDDEN
    orders_page = client.get(reverse("admin:enrollment_order_changelist"))
    assert orders_page.status_code == HTTPStatus.FORBIDDEN


def test_the_refund_desk_sees_failed_tasks_and_sent_emails_but_does_not_run_tasks(
    client, failed_receipt
):
    order, row = failed_receipt
    member("Refund desk", client)
    listing = client.get(FAILED)
    assert listing.status_code == HTTPStatus.OK
    assert f"order {order.number}".encode() in listing.content
    assert b"run_again" not in listing.content
    assert client.get(SENT).status_code == HTTPStatus.OK
    client.post(FAILED, {"action": "run_again", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED
    assert client.get(TASK_RESULTS).status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("group", ["Registrar", "Content editor"])
def test_the_other_groups_do_not_see_background_work(client, failed_receipt, group):
    member(group, client)
    for url in (FAILED, SENT, WORKERS, TASK_RESULTS):
        assert client.get(url).status_code == HTTPStatus.FORBIDDEN, url
