"""How a certificate changes status, through records.transitions.status_move.

valid -> revoked (refund or the director, with a public reason and an internal note),
revoked -> valid (the director reinstates it, unless the enrollment is revoked),
valid -> reissued (a correction: a new certificate with the same course facts).
Nothing else writes Certificate.status.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from records.events import event_log
from records.models import Actor
from records.transitions import status_move, status_start

from . import hooks, notifications
from .facts import Holder, printed_fields
from .models import Certificate, PublicReason
from .services import certificate_pdf_store

Status = Certificate.Status


def _locked(certificate: Certificate) -> Certificate:
    return Certificate.objects.select_for_update().get(pk=certificate.pk)


def certificate_revoke(
    *,
    certificate: Certificate,
    public_reason: str,
    note: str,
    actor: str = Actor.DIRECTOR,
    actor_user=None,
) -> Certificate:
    """Withdraw a valid certificate. The verification page shows the date and the public
    reason; `note` (who asked, an order number) stays in admin and the history."""
    if public_reason not in PublicReason.values:
        raise ValidationError("Choose the reason shown on the verification page.")
    note = note.strip()
    if not note:
        raise ValidationError("Write an internal note: why, and at whose request.")
    with transaction.atomic():
        certificate = _locked(certificate)
        if certificate.status == Status.REVOKED:
            return certificate
        if not certificate.can_move_to(Status.REVOKED):
            raise ValidationError(f"A {certificate.get_status_display().lower()} certificate "
                                  "cannot be revoked.")  # fmt: skip
        certificate.revoked_at = timezone.now()
        certificate.public_reason = public_reason
        certificate.internal_note = note[:500]
        status_move(
            certificate,
            to=Status.REVOKED,
            actor=actor,
            actor_user=actor_user,
            note=note,
            public_reason=public_reason,
            update_fields=("revoked_at", "public_reason", "internal_note"),
        )
        notifications.certificate_revoked_send.enqueue(certificate_id=certificate.pk)
    event_log("certificate.revoked", code=certificate.display_code, public_reason=public_reason)
    return certificate


def certificate_reinstate(*, certificate: Certificate, note: str, actor_user=None) -> Certificate:
    """Undo a revocation. Refused while the learner's enrollment is revoked (refunded):
    the course was given back, so its certificate cannot stand."""
    note = note.strip()
    if not note:
        raise ValidationError("Write why the certificate is reinstated.")
    with transaction.atomic():
        certificate = _locked(certificate)
        if certificate.status != Status.REVOKED:
            raise ValidationError("Only a revoked certificate can be reinstated.")
        if not certificate.enrollment.is_active:
            raise ValidationError(
                "The learner's enrollment in this course was revoked (refunded), so its "
                "certificate cannot be reinstated. The learner must enroll again."
            )
        if certificate.enrollment.certificates.filter(status=Status.VALID).exists():
            raise ValidationError("The learner already holds a valid certificate for this course.")
        certificate.revoked_at = None
        certificate.public_reason = ""
        certificate.internal_note = ""
        status_move(
            certificate,
            to=Status.VALID,
            actor=Actor.DIRECTOR,
            actor_user=actor_user,
            note=note,
            update_fields=("revoked_at", "public_reason", "internal_note"),
        )
    event_log("certificate.reinstated", code=certificate.display_code)
    return certificate


def certificate_reissue(
    *, certificate: Certificate, note: str, holder: Holder | None = None, actor_user=None
) -> Certificate:
    """A corrected certificate: a new code, the holder's details (`holder`, or the
    learner's account as it is now) and the course facts frozen at completion: title,
    credits, credit type, statements, instructors, sponsor and completion date never
    change. The holder's profession picks the credit line from those frozen facts."""
    note = note.strip()
    if not note:
        raise ValidationError("Write what was corrected.")
    with transaction.atomic():
        old = _locked(certificate)
        if old.status != Status.VALID:
            raise ValidationError("Only a valid certificate can be reissued.")
        holder = holder or Holder.of(old.enrollment.user)
        if not holder.name:
            raise ValidationError("The corrected certificate needs a name to print.")
        fields = printed_fields(old.course_facts, holder)
        approval_id = fields.pop("approval_id")
        # One valid certificate per enrollment: the old one steps aside first, then
        # names its successor, all in this transaction.
        old.revoked_at = timezone.now()
        status_move(
            old,
            to=Status.REISSUED,
            actor=Actor.DIRECTOR,
            actor_user=actor_user,
            note=note,
            update_fields=("revoked_at",),
        )
        new = Certificate.objects.create(
            enrollment=old.enrollment,
            approval_id=approval_id,
            # The same logo and signature as the certificate it corrects.
            logo=old.logo.name,
            signature=old.signature.name,
            **fields,
        )
        certificate_pdf_store.enqueue(certificate_id=new.pk)
        status_start(new, actor=Actor.DIRECTOR, actor_user=actor_user, note=f"Reissue: {note}")
        hooks.certificate_issued_extras(new)
        Certificate.objects.filter(pk=old.pk).update(replaced_by=new)
        old.replaced_by = new
    event_log("certificate.reissued", code=old.display_code, new_code=new.display_code)
    return new


def revoke_for_enrollment(sender, enrollment, reason: str, **kwargs) -> None:
    """enrollment_revoked receiver: a refund withdraws the certificate at once. The public
    reason is the neutral one; the refund's own reason stays the internal note."""
    for certificate in enrollment.certificates.filter(status=Status.VALID):
        certificate_revoke(
            certificate=certificate,
            public_reason=PublicReason.WITHDRAWN_AT_REQUEST,
            note=reason or "Enrollment revoked",
            actor=Actor.SYSTEM,
        )
