from django.db.models import OuterRef, Subquery
from django.urls import reverse

from enrollment.hooks import Step
from testing.models import TestRules

from .models import Certificate


def learner_state() -> dict:
    """The valid certificate's code, as an annotation of the enrollment (hooks.py)."""
    valid = Certificate.objects.filter(enrollment=OuterRef("pk"), status=Certificate.Status.VALID)
    return {"state_certificate_code": Subquery(valid.values("code")[:1])}


def certificate_step(enrollment) -> list[Step]:
    if hasattr(enrollment, "state_certificate_code"):
        code = enrollment.state_certificate_code
        certificate = Certificate(code=code) if code else None
    else:
        certificate = enrollment.certificates.filter(status=Certificate.Status.VALID).first()
    return [
        Step(
            label="Download your certificate"
            if certificate
            else "Confirm your details and get your certificate",
            done=certificate is not None,
            url=reverse("certificates:course", args=[enrollment.course.slug]),
            detail=f"Code {certificate.display_code}" if certificate else "",
            order=40,
        )
    ]


def credit_requirements(course) -> list[str]:
    """What the course page says earns credit (courses.hooks)."""
    rules = TestRules.objects.filter(course=course).first()
    rules = rules or TestRules(course=course)
    attempts = f"up to {rules.max_attempts} attempts" if rules.max_attempts else "retakes allowed"
    return [
        "Study the course material.",
        f"Pass the online post-test with a score of at least {rules.passing_score}% ({attempts}).",
        "Submit the course evaluation.",
        "Confirm the name, profession and license to print; the Certificate of Completion "
        "is then issued at once.",
    ]
