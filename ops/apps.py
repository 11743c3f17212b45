from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operating the site: request and event logs, error reports, housekeeping, backups.

    Sits above every other app (like `demo`): it may read any app's models, none reads it.
    """

    name = "ops"
    verbose_name = "Operations"

    # Task outcomes are logged on "ce.tasks" by background.retries, which knows whether a
    # failure will be retried (a warning) or was the last try (an error, reported).
