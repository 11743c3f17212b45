import csv
from collections import defaultdict
from decimal import Decimal
from operator import attrgetter

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from enrollment.access import access_ended_check
from enrollment.media import serve_private_file
from enrollment.models import Enrollment
from enrollment.pagecache import cache_learner_page
from testing.question_csv import safe_cell

from . import codes, hooks, services, verified
from .facts import Holder
from .models import UNAPPROVED_UNIT, Certificate
from .verification import lookup_refused, noindex, verification_json


class ConfirmForm(forms.Form):
    """The learner's confirmation of the details shown; the fingerprint ties it to them."""

    confirm = forms.BooleanField(
        label="These details are correct; print them on my certificate.",
        error_messages={"required": "Tick the box to confirm the details above."},
    )
    details = forms.CharField(widget=forms.HiddenInput, max_length=64)


@login_required
@require_http_methods(["GET", "POST"])
@cache_learner_page
def course_certificate(request: HttpRequest, slug: str) -> HttpResponse:
    """The learner's certificate for a course; before the first one is issued, the
    exact details it will print and the confirmation that issues it (POST)."""
    enrollment = (
        Enrollment.objects.active()
        .select_related("course", "user")
        .filter(user=request.user, course__slug=slug)
        .first()
    )
    if enrollment is None:
        access_ended_check(request.user, {"course__slug": slug})
        raise Http404
    certificate = enrollment.certificates.filter(status=Certificate.Status.VALID).first()
    if certificate is not None:
        return render(
            request,
            "certificates/course.html",
            {"course": enrollment.course, "certificate": certificate,
             "verification_url": services.verification_url(certificate)},
        )  # fmt: skip
    revoked = enrollment.certificates.first()
    if revoked is not None:
        return render(
            request, "certificates/course.html", {"course": enrollment.course, "revoked": revoked}
        )
    blockers = services.issue_blockers(enrollment=enrollment)
    if blockers:
        return render(
            request,
            "certificates/course.html",
            {"course": enrollment.course, "blockers": blockers},
        )
    holder = Holder.of(request.user)
    form = ConfirmForm(request.POST or None, initial={"details": holder.fingerprint})
    if request.method == "POST" and form.is_valid():
        try:
            services.certificate_issue(
                enrollment=enrollment, confirmed_fingerprint=form.cleaned_data["details"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Your certificate was issued.")
            return redirect("certificates:course", slug=slug)
    return render(
        request,
        "certificates/confirm.html",
        {
            "course": enrollment.course,
            "form": form,
            "holder": holder,
            "problems": holder.problems(),
            "preview": services.certificate_preview(enrollment=enrollment),
            "profile_url": f"{reverse('accounts:profile')}?next={request.path}",
            "unapproved_unit": UNAPPROVED_UNIT,
        },
    )


@login_required
@require_safe
def certificate_download(request: HttpRequest, code: str) -> HttpResponse:
    """The PDF, to its holder while valid; to staff only with `download_any_certificate`
    (403 without it); 404 to anyone else, so a code reveals nothing to learners."""
    certificate = services.certificate_by_typed_code(code)
    if certificate is None:
        raise Http404
    is_holder = (
        certificate.enrollment.user_id == request.user.pk
        and certificate.status == Certificate.Status.VALID
    )
    if not is_holder:
        if not request.user.is_staff:
            raise Http404
        if not request.user.has_perm("certificates.download_any_certificate"):
            raise PermissionDenied
    if not certificate.pdf:
        # Rendered by the worker; the learner never waits for a render in the request.
        services.certificate_pdf_request(certificate=certificate)
        response = render(
            request, "certificates/preparing.html", {"certificate": certificate}, status=202
        )
        response["Retry-After"] = "5"
        response["Cache-Control"] = "no-store"
        return response
    return serve_private_file(
        request,
        certificate.pdf.storage,
        certificate.pdf.name,
        filename=certificate.pdf_filename,
        as_attachment=True,
    )


@require_safe
def verify_form(request: HttpRequest) -> HttpResponse:
    typed = request.GET.get("code", "").strip()
    if typed:
        normalized = codes.normalize(typed)
        if normalized is None:
            return noindex(render(request, "certificates/not_found.html", status=404))
        if not Certificate.objects.filter(code=normalized).exists():
            other = hooks.other_document_url(normalized)
            if other:
                return redirect(other)
        return redirect("certificates:verify", code=codes.display(normalized))
    # The empty form is the one page a board searching for "verify certificate" should
    # find, so it is indexable; every certificate page stays noindex.
    return render(request, "certificates/verify_form.html")


@never_cache
@require_safe
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """The public page a licensing board opens: VALID, REVOKED or REISSUED, and the facts
    (a snapshot kept in the shared cache until the certificate changes: see verified.py)."""
    limited = lookup_refused(request)
    if limited:
        return limited
    response = verified.page_response(request, code)
    if response is None:
        return noindex(render(request, "certificates/not_found.html", status=404))
    return noindex(response)


@never_cache
@require_safe
def verify_json(request: HttpRequest, code: str) -> HttpResponse:
    return verification_json(
        request, code, find=verified.verified_by_typed_code,
        facts=attrgetter("facts"), what="certificate",
    )  # fmt: skip


def _valid_certificates(user):
    return Certificate.objects.filter(enrollment__user=user, status=Certificate.Status.VALID)


def _totals(groups) -> tuple[dict, dict]:
    """Credits by credit type (and approving body) and by year, from rows of
    (credit_type, approving_body, year, credits)."""
    by_type: dict[str, Decimal] = defaultdict(Decimal)
    by_year: dict[int, Decimal] = defaultdict(Decimal)
    for credit_type, approving_body, year, credits in groups:
        body = f" ({approving_body})" if approving_body else ""
        by_type[f"{credit_type}{body}"] += credits
        by_year[year] += credits
    return dict(by_type), dict(sorted(by_year.items(), reverse=True))


def _transcript(user) -> tuple[list[Certificate], dict, dict]:
    certificates = list(_valid_certificates(user).order_by("-completed_on"))
    by_type, by_year = _totals(
        (c.credit_type, c.approving_body, c.completed_on.year, c.ce_credits) for c in certificates
    )
    return certificates, by_type, by_year


@login_required
@require_safe
@cache_learner_page(reads=("page",))
def transcript(request: HttpRequest) -> HttpResponse:
    """Every certificate in one query (the transcript is the whole record; its totals need
    every row anyway), the table a page at a time."""
    certificates, by_type, by_year = _transcript(request.user)
    page = Paginator(certificates, settings.LEARNER_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "certificates/transcript.html",
        {
            "certificates": page.object_list,
            "page": page,
            "by_type": by_type,
            "by_year": by_year,
            "panels": hooks.transcript_extras(request.user),
        },
    )


@login_required
@require_safe
def transcript_csv(request: HttpRequest) -> HttpResponse:
    certificates, _, _ = _transcript(request.user)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="ce-transcript.csv"'
    writer = csv.writer(response)
    writer.writerow(
        ["completed_on", "course", "ce_credits", "credit_type", "approving_body", "sponsor", "code"]
    )
    for c in certificates:
        writer.writerow(
            [c.completed_on.isoformat(), safe_cell(c.course_title), c.ce_credits,
             safe_cell(c.credit_type), safe_cell(c.approving_body), safe_cell(c.sponsor_name),
             c.display_code]
        )  # fmt: skip
    return response


@login_required
@require_safe
def transcript_pdf(request: HttpRequest) -> HttpResponse:
    certificates, by_type, by_year = _transcript(request.user)
    html = render(
        request,
        "certificates/transcript_pdf.html",
        {"certificates": certificates, "by_type": by_type, "by_year": by_year,
         "generated": timezone.now(), "fonts": services.FONTS_URI},
    ).content.decode()  # fmt: skip
    data = services.render_pdf(
        html, title=f"CE transcript: {request.user.display_name}", author="CE transcript"
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="ce-transcript.pdf"'
    return response
