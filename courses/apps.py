from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save


class CoursesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "courses"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from .caching import clear_page_cache
        from .models import (
            Course,
            CourseInstructor,
            Instructor,
            LearningObjective,
            Program,
            ProgramPolicies,
        )

        for model in (
            Course,
            CourseInstructor,
            Instructor,
            LearningObjective,
            Program,
            ProgramPolicies,
        ):
            post_save.connect(clear_page_cache, sender=model, dispatch_uid=f"pages-{model}")
            post_delete.connect(clear_page_cache, sender=model, dispatch_uid=f"pages-d-{model}")
        m2m_changed.connect(
            clear_page_cache, sender=Program.courses.through, dispatch_uid="pages-programs"
        )
