"""`manage.py worker`: django-tasks-db's db_worker, plus a heartbeat and crash recovery.

All of db_worker's options apply (`--queue-name`, `--interval`, `--batch`, ...); code
reloading is off unless asked for (`--reload`), because a reload stops tasks uncleanly.
"""

from django_tasks_db.management.commands import db_worker

from background.heartbeat import Heartbeat


class Command(db_worker.Command):
    help = (
        "Run background tasks (emails, certificate PDFs, refunds) from the database queue, "
        "with a heartbeat for /readyz and recovery of tasks left by a dead worker."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(reload=False)

    def handle(self, *args, **options) -> None:
        heartbeat = Heartbeat(worker_id=options["worker_id"])
        heartbeat.beat()  # alive, and orphans recovered, before the first task is claimed
        heartbeat.start()
        try:
            super().handle(*args, **options)
        finally:
            heartbeat.stop()
