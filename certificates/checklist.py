from django.urls import reverse

from enrollment.hooks import Step

from .models import Certificate


def certificate_step(enrollment) -> list[Step]:
    certificate = enrollment.certificates.filter(status=Certificate.Status.VALID).first()
    return [
        Step(
            label="Download your certificate",
            done=certificate is not None,
            url=reverse("certificates:course", args=[enrollment.course.slug]),
            detail=f"Code {certificate.display_code}" if certificate else "",
            order=40,
        )
    ]
