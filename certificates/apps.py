from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "certificates"
    verbose_name = "Certificates"

    def ready(self) -> None:
        from courses.hooks import credit_requirement_providers
        from enrollment.hooks import completion_providers, learner_state_annotations
        from enrollment.pagecache import learner_pages_follow
        from enrollment.signals import enrollment_revoked

        from . import models, states, verified
        from .checklist import certificate_step, credit_requirements, learner_state

        enrollment_revoked.connect(states.revoke_for_enrollment, dispatch_uid="cert-revoke")
        verified.connect()
        # What a learner's cached pages show (enrollment.pagecache), changed by anyone.
        learner_pages_follow(models.Certificate, lambda row: row.enrollment.user_id)
        if certificate_step not in completion_providers:
            completion_providers.append(certificate_step)
        if learner_state not in learner_state_annotations:
            learner_state_annotations.append(learner_state)
        if credit_requirements not in credit_requirement_providers:
            credit_requirement_providers.append(credit_requirements)
