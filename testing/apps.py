from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class TestingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "testing"
    verbose_name = "Post-tests and evaluations"

    def ready(self) -> None:
        from courses.caching import clear_page_cache
        from courses.services import publishing_rule
        from courses.structure import structure_depends_on
        from enrollment.hooks import completion_providers, learner_state_annotations
        from enrollment.pagecache import learner_pages_follow

        from . import models
        from .checklist import learner_state, post_test_and_evaluation_steps
        from .publishing import post_test_rule

        if post_test_and_evaluation_steps not in completion_providers:
            completion_providers.append(post_test_and_evaluation_steps)
        if learner_state not in learner_state_annotations:
            learner_state_annotations.append(learner_state)
        publishing_rule(post_test_rule)
        # What a learner's cached pages show (enrollment.pagecache), changed by anyone.
        for model in (models.Attempt, models.EvaluationResponse, models.TimeAccommodation):
            learner_pages_follow(model, lambda row: row.enrollment.user_id)
        structure_depends_on(models.Question, models.TestRules)
        # The course page states the passing score and attempts (certificates.checklist).
        post_save.connect(clear_page_cache, sender=models.TestRules, dispatch_uid="pages-rules")
        post_delete.connect(clear_page_cache, sender=models.TestRules, dispatch_uid="pages-d-rules")
