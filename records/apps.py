from django.apps import AppConfig


class RecordsConfig(AppConfig):
    """The pattern every record with a status follows: a transition table, one function
    that moves it, and a history row per change (who, why, when). No models of its own:
    each app keeps its history table beside the record it describes."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "records"
    verbose_name = "Records"
