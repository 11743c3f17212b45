from django.apps import AppConfig


class EnrollmentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "enrollment"
    verbose_name = "Orders and enrollments"

    def ready(self) -> None:
        from courses.services import publishing_rule

        from .publishing import manuscript_rule

        publishing_rule(manuscript_rule)

        from django.contrib.auth import get_user_model

        from . import models
        from .pagecache import learner_pages_follow

        # What a learner's cached pages show (enrollment.pagecache), changed by anyone.
        learner_pages_follow(get_user_model(), lambda user: user.pk)
        learner_pages_follow(models.Order, lambda order: order.user_id)
        learner_pages_follow(models.Enrollment, lambda enrollment: enrollment.user_id)
        # Progress rows are deleted only by a cascade (a section: the structure version; an
        # enrollment: its own signal), so no post_delete here keeps that delete fast.
        learner_pages_follow(
            models.SectionProgress, lambda row: row.enrollment.user_id, deletes=False
        )
        learner_pages_follow(models.Refund, lambda refund: refund.order.user_id)
        learner_pages_follow(models.RefundRequest, lambda request: request.order.user_id)
