from django_tasks_db.management.commands.db_worker import Worker

from background.heartbeat import Heartbeat


def run_worker(worker_id: str = "test-worker") -> None:
    """The worker (django-tasks-db's loop and our heartbeat) until nothing is ready."""
    heartbeat = Heartbeat(worker_id=worker_id)
    heartbeat.beat()
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    ).run()
    heartbeat.stop()
