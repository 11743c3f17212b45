from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "certificates"
    verbose_name = "Certificates"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from enrollment.hooks import completion_providers
        from enrollment.signals import enrollment_revoked
        from testing.models import EvaluationResponse

        from . import services
        from .checklist import certificate_step

        enrollment_revoked.connect(services.revoke_for_enrollment, dispatch_uid="cert-revoke")
        post_save.connect(
            services.issue_after_evaluation, sender=EvaluationResponse, dispatch_uid="cert-issue"
        )
        if certificate_step not in completion_providers:
            completion_providers.append(certificate_step)
