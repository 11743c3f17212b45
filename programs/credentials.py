"""Program credentials (Certificates of Advanced Study): issued when a program is
complete, revoked when a course it relies on is withdrawn, rendered by the worker.

A change of any course certificate (issued, revoked by a refund or the director,
reissued, reinstated) settles the learner's program credentials: see
`on_certificate_change`, connected in ProgramsConfig.ready().
"""

import logging
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.module_loading import import_string

from background.retries import retried
from certificates import codes
from certificates.models import Certificate
from certificates.services import (
    FONTS_URI,
    image_data_uri,
    qr_svg,
    render_pdf,
    signed_document_of,
    sponsor_images,
)
from courses.models import ProgramPolicies
from records.events import event_log
from records.models import Actor
from records.transitions import status_move, status_start

from .models import Program, ProgramCredential
from .progress import Progress, program_progress

logger = logging.getLogger(__name__)
Status = ProgramCredential.Status
PublicReason = ProgramCredential.PublicReason


def verification_url(credential: ProgramCredential) -> str:
    return f"{settings.SITE_URL}{credential.get_absolute_url()}"


def credentials_settle(*, user) -> list[ProgramCredential]:
    """Issue the credential of every program the learner has completed and does not hold
    yet; revoke the valid ones whose program is no longer complete. Idempotent."""
    changed = []
    course_ids = Certificate.objects.filter(enrollment__user=user).values("enrollment__course")
    programs = Program.objects.filter(memberships__course__in=course_ids).distinct()
    for program in programs:
        progress = program_progress(program, user)
        held = ProgramCredential.objects.filter(
            user=user, program=program, status=Status.VALID
        ).first()
        if progress.complete and held is None:
            changed.append(credential_issue(progress=progress, user=user))
        elif progress.complete:
            # A corrected (reissued) course certificate: the credential relies on it now.
            held.certificates.add(*progress.relied_on_certificates())
        elif held is not None:
            changed.append(
                credential_revoke(
                    credential=held,
                    public_reason=PublicReason.COURSE_WITHDRAWN,
                    note="A course the program relies on is no longer complete.",
                    actor=Actor.SYSTEM,
                )
            )
    return changed


def credential_facts(progress: Progress) -> tuple[dict, list[Certificate]]:
    """The program and the course certificates it relies on, frozen into JSON."""
    program = progress.program
    wanted = progress.relied_on_certificates()
    certificates = {c.pk: c for c in Certificate.objects.filter(pk__in=wanted)}
    relied = [certificates[pk] for pk in wanted]
    required = {s.certificate_id: s.required for s in progress.counted_steps()}
    policies = ProgramPolicies.current()
    return {
        "program_title": program.title,
        "credential_name": program.credential_name,
        "recognition_statement": program.recognition_statement,
        "sponsor_name": policies.sponsor_name if policies else settings.SITE_NAME,
        "completed_on": max(c.completed_on for c in relied).isoformat(),
        "total_credits": str(sum((c.ce_credits for c in relied), Decimal(0))),
        "courses": [
            {
                "title": c.course_title,
                "credit_line": c.credit_line,
                "ce_credits": str(c.ce_credits),
                "completed_on": c.completed_on.isoformat(),
                "certificate_code": c.display_code,
                "required": required.get(c.pk, True),
            }
            for c in relied
        ],
    }, relied


def credential_issue(*, progress: Progress, user) -> ProgramCredential:
    """Issue the credential of a completed program: a snapshot of the program and of the
    holder as printed on the latest course certificate it relies on."""
    if not progress.complete:
        raise ValidationError("The program is not complete yet.")
    facts, relied = credential_facts(progress)
    latest = max(relied, key=lambda c: c.issued_at)
    try:
        with transaction.atomic():
            credential = ProgramCredential.objects.create(
                user=user,
                program=progress.program,
                holder_name=latest.holder_name,
                holder_credentials=latest.holder_credentials,
                license_line=latest.license_display,
                credential_name=facts["credential_name"],
                program_title=facts["program_title"],
                recognition_statement=facts["recognition_statement"],
                sponsor_name=facts["sponsor_name"],
                total_credits=Decimal(facts["total_credits"]),
                completed_on=facts["completed_on"],
                facts=facts,
                **sponsor_images(),
            )
            credential.certificates.set(relied)
            status_start(
                credential,
                actor=Actor.SYSTEM,
                note="Issued: every course the program requires is complete.",
            )
            credential_pdf_store.enqueue(credential_id=credential.pk)
    except IntegrityError:  # issued meanwhile by another request
        return ProgramCredential.objects.get(
            user=user, program=progress.program, status=Status.VALID
        )
    event_log(
        "program_credential.issued",
        code=credential.display_code,
        program=progress.program.slug,
        user_id=user.pk,
        certificates=",".join(c.display_code for c in relied),
    )
    return credential


def credential_revoke(
    *,
    credential: ProgramCredential,
    public_reason: str,
    note: str,
    actor: str = Actor.DIRECTOR,
    actor_user=None,
) -> ProgramCredential:
    """Withdraw a valid credential; the verification page shows the date and the public
    reason, the note stays in admin and the history."""
    if public_reason not in PublicReason.values:
        raise ValidationError("Choose the reason shown on the verification page.")
    with transaction.atomic():
        credential = ProgramCredential.objects.select_for_update().get(pk=credential.pk)
        if credential.status == Status.REVOKED:
            return credential
        credential.revoked_at = timezone.now()
        credential.public_reason = public_reason
        credential.internal_note = note[:500]
        status_move(
            credential,
            to=Status.REVOKED,
            actor=actor,
            actor_user=actor_user,
            note=note,
            public_reason=public_reason,
            update_fields=("revoked_at", "public_reason", "internal_note"),
        )
    event_log(
        "program_credential.revoked",
        code=credential.display_code,
        public_reason=public_reason,
        actor=actor,
    )
    return credential


def on_certificate_change(sender, instance: Certificate, **kwargs) -> None:
    """post_save of Certificate: a course certificate was issued, revoked, reissued or
    reinstated (its status is saved by then; the history row is written just before).
    A revoked one withdraws every credential relying on it; then the learner's
    credentials are settled (a new one when the program is still complete).

    Runs in the certificate's transaction, in a savepoint: a failure here is logged and
    never undoes the course certificate's own change."""
    if instance.status == Certificate.Status.REISSUED:
        return  # a correction: its successor is saved next, in this transaction
    try:
        with transaction.atomic():
            if instance.status == Certificate.Status.REVOKED:
                for credential in instance.program_credentials.filter(status=Status.VALID):
                    credential_revoke(
                        credential=credential,
                        public_reason=PublicReason.COURSE_WITHDRAWN,
                        note=f"Course certificate {instance.display_code} was revoked: "
                        f"{instance.internal_note}",
                        actor=Actor.SYSTEM,
                    )
            credentials_settle(user=instance.enrollment.user)
    except Exception:
        logger.exception("Program credentials not settled after %s", instance.display_code)


# --- PDF ---------------------------------------------------------------------------------


def credential_html(credential: ProgramCredential) -> str:
    url = verification_url(credential)
    return render_to_string(
        "programs/pdf.html",
        {
            "credential": credential,
            "courses": credential.facts.get("courses", []),
            "verification_url": url,
            "qr": qr_svg(url),
            "logo": image_data_uri(credential.logo),
            "signature": image_data_uri(credential.signature),
            "policies": ProgramPolicies.current(),
            "fonts": FONTS_URI,
            "SITE_NAME": settings.SITE_NAME,
        },
    )


def credential_pdf_render(*, credential: ProgramCredential) -> bytes:
    return render_pdf(
        credential_html(credential),
        title=f"{credential.credential_name}: {credential.program_title}",
        author=credential.sponsor_name,
    )


def _about_credential(*, credential_id: int) -> str:
    code = ProgramCredential.objects.filter(pk=credential_id).values_list("code", flat=True).first()
    return f"program credential {codes.display(code) if code else f'#{credential_id} (gone)'}"


@retried(about=_about_credential)
@task
def credential_pdf_store(*, credential_id: int) -> str:
    """Render the PDF once, in the worker, sign it (PAdES, like a course certificate:
    the signer lives in the credentials app, above this one) and keep it in the private
    store; the stored bytes are what the verify page's document check recognises."""
    with transaction.atomic():
        credential = ProgramCredential.objects.select_for_update().get(pk=credential_id)
        if credential.pdf:
            return credential.pdf.name
        data = credential_pdf_render(credential=credential)
        data = import_string(settings.PROGRAM_CREDENTIAL_PDF_SIGNER)(
            credential=credential, data=data
        )
        credential.pdf.save(f"{credential.code}.pdf", ContentFile(data), save=False)
        ProgramCredential.objects.filter(pk=credential.pk).update(pdf=credential.pdf.name)
    return credential.pdf.name


# --- verification ------------------------------------------------------------------------


def credential_by_typed_code(typed: str) -> ProgramCredential | None:
    code = codes.normalize(typed)
    if code is None:
        return None
    return ProgramCredential.objects.select_related("signed_document").filter(code=code).first()


def verification_url_for_code(code: str) -> str | None:
    """certificates.hooks: the verify form finds a program credential's code too."""
    credential = ProgramCredential.objects.filter(code=code).first()
    return credential.get_absolute_url() if credential else None


def verification_facts(credential: ProgramCredential) -> dict:
    """The public JSON: printed facts and status with the public reason only."""
    return {
        "code": credential.display_code,
        "type": credential.credential_name,
        "status": credential.status,
        "holder": credential.holder_display,
        "program": credential.program_title,
        "total_credits": str(credential.total_credits),
        "completed_on": credential.completed_on.isoformat(),
        "sponsor": credential.sponsor_name,
        "recognition_statement": credential.recognition_statement,
        "courses": [
            {
                "title": c["title"],
                "credit": c["credit_line"],
                "completed_on": c["completed_on"],
                "certificate_code": c["certificate_code"],
            }
            for c in credential.facts.get("courses", [])
        ],
        "revoked_at": credential.revoked_at.isoformat()
        if credential.status == Status.REVOKED
        else None,
        "revocation_reason": credential.get_public_reason_display() or None,
        # The SHA-256 of the signed PDF we issued; None until the worker has stored it.
        "document_sha256": signed.sha256 if (signed := signed_document_of(credential)) else None,
    }
