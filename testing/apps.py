from django.apps import AppConfig


class TestingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "testing"
    verbose_name = "Post-tests and evaluations"

    def ready(self) -> None:
        from courses.services import publishing_rule
        from enrollment.hooks import completion_providers

        from .checklist import post_test_and_evaluation_steps
        from .publishing import post_test_rule

        if post_test_and_evaluation_steps not in completion_providers:
            completion_providers.append(post_test_and_evaluation_steps)
        publishing_rule(post_test_rule)
