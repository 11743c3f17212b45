from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class CoursesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "courses"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from . import models
        from .caching import clear_page_cache

        catalog = (
            models.Course,
            models.CourseInstructor,
            models.Instructor,
            models.LearningObjective,
            models.ProgramPolicies,
            # The course page's credit lines and approval statements.
            models.CourseApproval,
            models.ProviderApproval,
            models.ApprovingBody,
        )
        for model in catalog:
            post_save.connect(clear_page_cache, sender=model, dispatch_uid=f"pages-{model}")
            post_delete.connect(clear_page_cache, sender=model, dispatch_uid=f"pages-d-{model}")
        from .structure import structure_depends_on

        structure_depends_on(models.Course, models.Section, models.AudioTrack, models.Video)
