from django.apps import AppConfig


class EnrollmentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "enrollment"
    verbose_name = "Orders and enrollments"

    def ready(self) -> None:
        from courses.services import publishing_rule

        from .publishing import manuscript_rule

        publishing_rule(manuscript_rule)
