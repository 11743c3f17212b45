import csv
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST, require_safe

from certificates import codes
from certificates.models import Certificate
from certificates.services import verification_allowed
from certificates.verification import lookup_refused, noindex
from config.client import client_address
from testing.question_csv import safe_cell

from . import checks, keys, openbadges

# A CSV of 500 codes is a few kilobytes.
BULK_MAX_BYTES = 100_000
# Room for the multipart framing and the CSRF token around an upload of the limit's size.
MULTIPART_OVERHEAD = 64_000


def _form_again(request: HttpRequest, status: int, **errors) -> HttpResponse:
    """The /verify/ page again, the problem shown next to the form that caused it."""
    return noindex(render(request, "certificates/verify_form.html", errors, status=status))


def _refuse_huge_bodies(limit: Callable[[], int], field: str, message: str):
    """Answer 413 from the declared length, before the body is read: the CSRF check that
    follows parses the whole upload (to disk) to find its token field. The view behind
    is still CSRF-protected."""

    def decorate(view):
        protected = csrf_protect(view)

        @csrf_exempt
        @wraps(view)
        def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                declared = 0
            if declared > limit() + MULTIPART_OVERHEAD:
                return _form_again(request, 413, **{field: message.format(limit() / 1e6)})
            return protected(request, *args, **kwargs)

        return guarded

    return decorate


@never_cache
@require_POST
@_refuse_huge_bodies(
    lambda: settings.CREDENTIAL_UPLOAD_MAX_BYTES, "document_error",
    "The file is larger than {:g} MB.",
)  # fmt: skip
def verify_document(request: HttpRequest) -> HttpResponse:
    """A board uploads a certificate PDF: is it exactly a document we issued, and what is
    that certificate's status now. Counted against the same budget as code lookups."""
    limited = lookup_refused(request)
    if limited:
        return limited
    try:
        data = checks.upload_bytes(
            request.FILES.get("document"), limit=settings.CREDENTIAL_UPLOAD_MAX_BYTES
        )
        answer = checks.document_check(data)
    except checks.BadUpload as problem:
        return _form_again(request, problem.status, document_error=problem.message)
    return noindex(
        render(
            request,
            "credentials/document_result.html",
            {
                "answer": answer,
                "certificate": answer.certificate,
                "credential": answer.program_credential,
                "checked_at": timezone.now(),
            },
            status=422 if answer.verdict == checks.NOT_OURS else 200,
        )
    )


@never_cache
@require_POST
@_refuse_huge_bodies(lambda: BULK_MAX_BYTES, "bulk_error", "The file is larger than {:g} MB.")
def verify_bulk(request: HttpRequest) -> HttpResponse:
    """A CSV of codes in, a CSV of their statuses out; a few files per hour per client."""
    allowed = verification_allowed(
        client_address(request),
        kind="certificate-bulk-checks",
        limit=settings.CREDENTIAL_BULK_CHECKS_PER_HOUR,
        window=3600,
    )
    if not allowed:
        response = _form_again(
            request, 429, bulk_error="This address has checked many files in the last hour. "
            "Please try again later.",
        )  # fmt: skip
        response["Retry-After"] = "3600"
        return response
    try:
        data = checks.upload_bytes(request.FILES.get("codes"), limit=BULK_MAX_BYTES)
        typed = checks.codes_from_csv(data)
    except checks.BadUpload as problem:
        return _form_again(request, problem.status, bulk_error=problem.message)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="certificate-check-{stamp}.csv"'
    writer = csv.writer(response)
    writer.writerow(checks.BULK_COLUMNS)
    for row in checks.bulk_rows(typed):
        writer.writerow([safe_cell(cell) for cell in row])
    return noindex(response)


# --- Open Badges 3.0: credentials, issuer, keys, status list ------------------------------

JWT_TYPE = "application/vc+jwt"


def _public_json(data: dict, *, max_age: int = 3600) -> JsonResponse:
    response = JsonResponse(data, json_dumps_params={"indent": 2})
    response["Cache-Control"] = f"public, max-age={max_age}"
    response["Access-Control-Allow-Origin"] = "*"  # verifiers run in other sites' pages
    return response


@never_cache
@require_safe
def credential(request: HttpRequest, code: str) -> HttpResponse:
    """The certificate's Open Badges 3.0 credential, as a VC-JWT, at a stable URL next to
    its verification page (public, like that page, and counted against the same budget)."""
    if not verification_allowed(client_address(request)):
        return HttpResponse("Too many lookups; try again in a minute.", status=429,
                            content_type="text/plain", headers={"Retry-After": "60"})  # fmt: skip
    normalized = codes.normalize(code)
    certificate = (
        Certificate.objects.select_related("enrollment__course", "status_entry")
        .filter(code=normalized)
        .first()
        if normalized
        else None
    )
    if certificate is None:
        raise Http404
    response = HttpResponse(openbadges.credential_jwt(certificate), content_type=JWT_TYPE)
    response["Access-Control-Allow-Origin"] = "*"
    if request.GET.get("download"):
        filename = f"credential-{certificate.display_code}.jwt"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return noindex(response)


@require_safe
def issuer(request: HttpRequest) -> JsonResponse:
    return _public_json(openbadges.issuer_profile())


@require_safe
def jwks(request: HttpRequest) -> JsonResponse:
    """The current key and every retired one, so that older credentials still verify."""
    return _public_json(openbadges.public_jwks())


@require_safe
def key(request: HttpRequest, kid: str) -> JsonResponse:
    """One key as a JWK: what a credential's `kid` URL serves."""
    for candidate in keys.credential_public_keys():
        if candidate.kid == kid:
            return _public_json(openbadges.public_jwk(candidate))
    raise Http404


@require_safe
def status_list(request: HttpRequest) -> HttpResponse:
    """The revocation Bitstring Status List credential (VC-JWT); cached only briefly, so a
    revocation reaches verifiers within CREDENTIAL_STATUS_LIST_MAX_AGE seconds."""
    response = HttpResponse(openbadges.status_list_jwt(), content_type=JWT_TYPE)
    response["Cache-Control"] = f"public, max-age={settings.CREDENTIAL_STATUS_LIST_MAX_AGE}"
    response["Access-Control-Allow-Origin"] = "*"
    return response
