from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from certificates.verification import (
    verification_json,
    verification_page,
)
from courses.caching import cache_anonymous_page
from enrollment.media import serve_private_file
from enrollment.payments import stripe_gateway

from . import checkout, credentials
from .models import Program, ProgramCredential
from .progress import memberships, program_progress


def _program(request: HttpRequest, slug: str) -> Program:
    programs = Program.objects.all()
    if not request.user.is_staff:
        programs = programs.filter(is_published=True)
    return get_object_or_404(programs, slug=slug)


@require_safe
@cache_anonymous_page
def program_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The public program page; for a signed-in learner, their progress and the offer to
    buy the courses they do not own yet. Anonymous visitors share one cached page, under
    the catalog version that a change of the program, its course list or a member
    course replaces (signals in ProgramsConfig and CoursesConfig)."""
    program = _program(request, slug)
    progress = program_progress(program, request.user, memberships(program))
    credential = None
    if request.user.is_authenticated:
        credential = ProgramCredential.objects.filter(
            user=request.user, program=program, status=ProgramCredential.Status.VALID
        ).first()
    offer = checkout.offer(progress)
    return render(
        request,
        "programs/program_detail.html",
        {"program": program, "progress": progress, "credential": credential, "offer": offer},
    )


@login_required
@require_POST
def program_buy(request: HttpRequest, slug: str) -> HttpResponse:
    """Buy the courses of the program the learner does not own, in one checkout. The
    form names the courses it showed: if that changed meanwhile, the learner looks again."""
    program = _program(request, slug)
    progress = program_progress(program, request.user, memberships(program))
    shown = sorted(request.POST.getlist("course"))
    wanted = sorted(str(step.course.pk) for step in progress.to_buy)
    if not wanted:
        messages.info(request, "You already have every course of this program.")
        return redirect(program)
    if shown != wanted:
        messages.error(
            request, "The courses left to buy changed since the page was shown. Check them again."
        )
        return redirect(program)
    try:
        return redirect(checkout.program_checkout_begin(progress=progress, user=request.user))
    except stripe_gateway.StripeError:
        messages.error(
            request,
            "We could not reach the payment provider. You have not been charged; "
            "please try again in a minute.",
        )
        return redirect(program)


@login_required
@require_safe
def credential_download(request: HttpRequest, code: str) -> HttpResponse:
    """The PDF to its holder while valid; to staff with download_any_certificate."""
    credential = credentials.credential_by_typed_code(code)
    if credential is None:
        raise Http404
    is_holder = credential.user_id == request.user.pk and credential.status == "valid"
    if not is_holder:
        if not request.user.is_staff:
            raise Http404
        if not request.user.has_perm("certificates.download_any_certificate"):
            raise PermissionDenied
    if not credential.pdf:
        credentials.credential_pdf_store.enqueue(credential_id=credential.pk)
        response = render(
            request, "programs/preparing.html", {"credential": credential}, status=202
        )
        response["Retry-After"] = "5"
        response["Cache-Control"] = "no-store"
        return response
    return serve_private_file(
        request,
        credential.pdf.storage,
        credential.pdf.name,
        filename=credential.pdf_filename,
        as_attachment=True,
    )


@never_cache
@require_safe
def verify(request: HttpRequest, code: str) -> HttpResponse:
    return verification_page(
        request, code, find=credentials.credential_by_typed_code,
        template="programs/verify.html", name="credential",
    )  # fmt: skip


@never_cache
@require_safe
def verify_json(request: HttpRequest, code: str) -> HttpResponse:
    return verification_json(
        request, code, find=credentials.credential_by_typed_code,
        facts=credentials.verification_facts, what="credential",
    )  # fmt: skip
