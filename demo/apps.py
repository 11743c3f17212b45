from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo loader (seed_demo). It sits above every app it seeds; nothing imports it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "demo"
    verbose_name = "Demo data"
