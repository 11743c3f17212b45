import io
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from certificates.models import Certificate
from courses.storage import private_storage
from enrollment.models import Order, OrderStatus
from enrollment.orders import checkout_begin, order_start, orders_expire_stale
from ops.files import orphaned_files_delete
from tests.factories import InstructorFactory, UserFactory


def age(order: Order, hours: float) -> None:
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(hours=hours))


def stripe_order(learner, course, fake_stripe, hours: float) -> Order:
    order = order_start(user=learner, course=course)
    checkout_begin(order=order)
    order.refresh_from_db()
    age(order, hours)
    return order


def test_an_order_whose_checkout_never_started_expires_after_two_hours(learner, course):
    fresh = order_start(user=learner, course=course)
    stale = order_start(user=UserFactory(), course=course)
    age(stale, 3)
    outcome = orders_expire_stale()
    assert outcome["expired"] == [stale.number]
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == OrderStatus.EXPIRED
    assert fresh.status == OrderStatus.PENDING
    change = stale.status_changes.last()
    assert (change.from_status, change.to_status, change.actor) == ("pending", "expired", "system")


def test_an_order_whose_checkout_session_expired_at_stripe_expires(learner, course, fake_stripe):
    order = stripe_order(learner, course, fake_stripe, hours=26)
    fake_stripe.sessions[order.stripe_checkout_session_id]["status"] = "expired"
    assert orders_expire_stale()["expired"] == [order.number]
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED


def test_a_session_stripe_reports_paid_is_fulfilled_not_expired(learner, course, fake_stripe):
    """The webhook was lost: the learner paid, and housekeeping enrolls them."""
    order = stripe_order(learner, course, fake_stripe, hours=26)
    fake_stripe.pay(order.stripe_checkout_session_id)
    assert orders_expire_stale()["fulfilled"] == [order.number]
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.enrollment.is_active


def test_a_young_stripe_order_is_left_alone_and_stripe_is_not_asked(learner, course, fake_stripe):
    order = stripe_order(learner, course, fake_stripe, hours=3)
    asked = len(fake_stripe.requests)
    assert orders_expire_stale() == {"expired": [], "fulfilled": [], "open": [], "failed": []}
    assert len(fake_stripe.requests) == asked
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_stripe_being_down_leaves_the_order_for_the_next_run(learner, course, fake_stripe):
    order = stripe_order(learner, course, fake_stripe, hours=26)
    fake_stripe.fail_with = 500
    assert orders_expire_stale()["failed"] == [order.number]
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_paid_orders_are_never_touched(paid_order):
    age(paid_order, 100)
    orders_expire_stale()
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.PAID


def test_clearsessions_drops_expired_sessions_only(db):
    now = timezone.now()
    Session.objects.create(
        session_key="old" * 10, session_data="x", expire_date=now - timedelta(days=1)
    )
    Session.objects.create(
        session_key="new" * 10, session_data="x", expire_date=now + timedelta(days=1)
    )
    call_command("clearsessions")
    assert list(Session.objects.values_list("session_key", flat=True)) == ["new" * 10]


@pytest.fixture
def stored(db):
    """A referenced file and an orphan in the public and in the private storage."""
    instructor = InstructorFactory()
    instructor.photo.save("kept.png", ContentFile(b"png"), save=True)
    orphan_public = instructor.photo.storage.save(
        "public/instructors/replaced.png", ContentFile(b"old")
    )
    private = Certificate._meta.get_field("pdf").storage
    orphan_private = private.save("audio/replaced-lecture.mp3", ContentFile(b"old audio"))
    yield instructor, orphan_public, orphan_private
    for storage, name in [(instructor.photo.storage, instructor.photo.name)]:
        storage.delete(name)


def test_files_no_row_references_are_deleted_after_the_grace_period(stored):
    instructor, orphan_public, orphan_private = stored
    later = timezone.now() + timedelta(days=8)
    deleted = orphaned_files_delete(grace=timedelta(days=7), now=later)
    assert {orphan_public, orphan_private} <= set(deleted)
    assert instructor.photo.name not in deleted
    assert instructor.photo.storage.exists(instructor.photo.name)
    assert not instructor.photo.storage.exists(orphan_public)
    assert not private_storage().exists(orphan_private)


def test_files_younger_than_the_grace_period_are_kept(stored):
    _, orphan_public, orphan_private = stored
    deleted = orphaned_files_delete(grace=timedelta(days=7))
    assert orphan_public not in deleted
    assert orphan_private not in deleted
    assert private_storage().exists(orphan_private)


def test_a_dry_run_lists_and_deletes_nothing(stored):
    _, orphan_public, _ = stored
    out = io.StringIO()
    call_command("delete_orphaned_files", "--dry-run", "--grace-days", "0", stdout=out)
    assert "would delete" in out.getvalue()
    assert f"  {orphan_public}\n" in out.getvalue()
    assert private_storage().exists("audio/replaced-lecture.mp3")


def test_the_nightly_command_runs_every_step(db, learner, course):
    stale = order_start(user=learner, course=course)
    age(stale, 3)
    out = io.StringIO()
    call_command("housekeeping", stdout=out)
    steps = (
        "expire_pending_orders",
        "clearsessions",
        "delete_orphaned_files",
        "prune_db_task_results",
    )
    for step in steps:
        assert f"== {step}" in out.getvalue()
    stale.refresh_from_db()
    assert stale.status == OrderStatus.EXPIRED


def task_row(status: str, days_ago: float | None, queue: str = "default") -> DBTaskResult:
    finished = None if days_ago is None else timezone.now() - timedelta(days=days_ago)
    return DBTaskResult.objects.create(
        status=status, finished_at=finished, args_kwargs={"args": [], "kwargs": {}},
        task_path="enrollment.notifications.order_confirmation_send", queue_name=queue,
        backend_name="default", run_after=timezone.now(), exception_class_path="", traceback="",
    )  # fmt: skip


def test_finished_task_results_are_pruned_failed_ones_kept_longer(db, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    kept = [
        task_row(TaskResultStatus.SUCCESSFUL, 2),
        task_row(TaskResultStatus.FAILED, 30),  # still listed under Failed tasks
        task_row(TaskResultStatus.READY, None),
        task_row(TaskResultStatus.RUNNING, None),
    ]
    pruned = [
        task_row(TaskResultStatus.SUCCESSFUL, 15),
        task_row(TaskResultStatus.SUCCESSFUL, 15, queue="emails"),
        task_row(TaskResultStatus.FAILED, 91),
    ]
    out = io.StringIO()
    call_command("housekeeping", stdout=out)
    assert "== prune_db_task_results" in out.getvalue()
    left = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert left == {row.pk for row in kept}
    assert not left & {row.pk for row in pruned}


def test_with_tasks_run_in_process_there_is_no_queue_to_prune(db):
    """TASK_BACKEND=immediate (the suite's default): the step says so and passes."""
    task_row(TaskResultStatus.SUCCESSFUL, 100)
    out = io.StringIO()
    call_command("housekeeping", stdout=out)
    assert "no database task queue (TASK_BACKEND): nothing to prune" in out.getvalue()
    assert DBTaskResult.objects.count() == 1
