import functools
import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from courses.credits import credit_for_learner
from courses.models import Course, ProgramPolicies

from . import hooks, orders, payments, refunds, states, webhooks
from .models import Enrollment, Gateway, Order, OrderStatus
from .pagecache import cache_learner_page

SESSION_ID = re.compile(r"cs_[A-Za-z0-9_]{1,250}")


@login_required
@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: review the purchase. POST: open an order and go to the payment page."""
    course = get_object_or_404(Course.objects.published(), slug=slug)
    if Enrollment.objects.active_for(request.user).filter(course=course).exists():
        messages.info(request, f"You already have “{course.title}”.")
        return redirect("enrollment:course_home", slug=course.slug)
    if request.method == "GET":
        return render(
            request,
            "enrollment/checkout_review.html",
            {
                "course": course,
                "demo": payments.gateway_for(course) == Gateway.DEMO,
                "credit": credit_for_learner(course, request.user, on=timezone.localdate()),
            },
        )
    order = orders.order_start(user=request.user, course=course)
    try:
        return redirect(orders.checkout_begin(order=order))
    except payments.stripe_gateway.StripeError:
        messages.error(
            request,
            "We could not reach the payment provider. You have not been charged; "
            "please try again in a minute.",
        )
        return redirect(course)


@login_required
@require_safe
def checkout_success(request: HttpRequest) -> HttpResponse:
    """Stripe sends the learner here; fulfil now rather than wait for the webhook."""
    session_id = request.GET.get("session_id", "")
    if not SESSION_ID.fullmatch(session_id):
        raise Http404
    # One session may pay several orders (a program's courses); they are fulfilled together.
    order = (
        Order.objects.filter(stripe_checkout_session_id=session_id, user=request.user)
        .order_by("pk")
        .first()
    )
    if order is None:
        raise Http404
    if order.status == OrderStatus.PENDING:
        try:
            session = payments.stripe_gateway.checkout_session_retrieve(session_id)
        except payments.stripe_gateway.StripeError:
            session = None
        if session is not None:
            orders.checkout_session_fulfil(session=session, actor=states.Actor.LEARNER)
        order.refresh_from_db()
    together = Order.objects.filter(
        stripe_checkout_session_id=session_id, user=request.user
    ).order_by("pk")
    return render(request, "enrollment/checkout_success.html", {"order": order, "orders": together})


@login_required
@require_safe
def checkout_cancel(request: HttpRequest, number: str) -> HttpResponse:
    order = get_object_or_404(Order, number=number, user=request.user)
    messages.info(request, "Payment cancelled. You have not been charged.")
    return redirect(order.course)


@login_required
@require_http_methods(["GET", "POST"])
def demo_checkout(request: HttpRequest, number: str) -> HttpResponse:
    """The demo's test-payment page; absent unless DEBUG is on and Stripe has no key."""
    if not payments.demo_enabled():
        raise Http404
    order = get_object_or_404(Order, number=number, user=request.user, gateway=Gateway.DEMO)
    owned = Enrollment.objects.active_for(request.user).filter(course=order.course).exists()
    if owned and not order.is_paid:
        messages.info(request, f"You already have “{order.course_title}”; nothing was charged.")
        return redirect("enrollment:my_courses")
    if request.method == "POST":
        orders.demo_payment_complete(order=order)
        titles = "”, “".join(o.course_title for o in orders.demo_session_orders(order))
        messages.success(request, f"Test payment received. You are enrolled in “{titles}”.")
        return redirect("enrollment:my_courses")
    return render(
        request,
        "enrollment/demo_checkout.html",
        {"order": order, "orders": orders.demo_session_orders(order)},
    )


@functools.cache
def _with_progress():
    """Active enrollments newest first with their course and progress (active_for without
    the user), annotated once per process (see models.learner_state_queryset); filtered
    per request."""
    return (
        Enrollment.objects.active().select_related("course").order_by("-created_at").with_progress()
    )


@login_required
@require_safe
@cache_learner_page(reads=("page",))
def my_courses(request: HttpRequest) -> HttpResponse:
    # A finished course offers its certificate instead of "Continue". Certificates live in
    # an app to the right (enrollment never imports it), so it is reached by the relation.
    # The rows (with progress) in one query, counted in Python; the certificates of the
    # shown page only, in a second.
    certificate = Enrollment._meta.get_field("certificates").related_model
    enrollments = list(_with_progress().filter(user=request.user))
    page = Paginator(enrollments, settings.LEARNER_PAGE_SIZE).get_page(request.GET.get("page"))
    prefetch_related_objects(
        page.object_list,
        Prefetch(
            "certificates",
            queryset=certificate.objects.filter(status=certificate.Status.VALID),
            to_attr="valid_certificates",
        ),
    )
    return render(
        request,
        "enrollment/my_courses.html",
        {
            "enrollments": page.object_list,
            "page": page,
            "panels": hooks.my_courses_extras(request.user),
        },
    )


@login_required
@require_safe
@cache_learner_page(reads=("page",))
def order_list(request: HttpRequest) -> HttpResponse:
    orders = Order.objects.for_user(request.user).exclude(status=OrderStatus.PENDING)
    page = Paginator(orders, settings.LEARNER_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "enrollment/order_list.html", {"orders": page.object_list, "page": page})


@login_required
@require_safe
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    """The receipt, printable, with the refund request form and its status."""
    order = get_object_or_404(
        Order.objects.select_related("course", "user").prefetch_related(
            "refunds", "refund_requests"
        ),
        number=number,
        user=request.user,
    )
    open_request = next((r for r in order.refund_requests.all() if r.status == r.Status.OPEN), None)
    return render(
        request,
        "enrollment/order_detail.html",
        {
            "order": order,
            "open_request": open_request,
            "policies": ProgramPolicies.current(),
            "seller_address": settings.SELLER_ADDRESS,
            "refund_rule": refunds.refund_rule_text(),
        },
    )


@login_required
@require_POST
def refund_request(request: HttpRequest, number: str) -> HttpResponse:
    """The receipt's form lands on a confirmation page first, saying what a refund ends;
    only its "Yes" (confirmed=yes) asks for the refund."""
    order = get_object_or_404(Order, number=number, user=request.user)
    if request.POST.get("confirmed") != "yes":
        reason = request.POST.get("reason", "").strip()[:2000]
        if not reason:
            messages.error(request, "Please tell us briefly why you want a refund.")
            return redirect(order)
        return render(
            request,
            "enrollment/refund_confirm.html",
            {
                "order": order,
                "reason": reason,
                "at_once": settings.REFUND_REQUESTS_AUTO_APPROVE,
            },
        )
    try:
        requested = refunds.refund_request_create(
            order=order, user=request.user, reason=request.POST.get("reason", "")[:2000]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(order)
    if requested.status == requested.Status.APPROVED and order.gateway == Gateway.DEMO:
        messages.success(request, "Your order was refunded (test payment: no money moves).")
    elif requested.status == requested.Status.APPROVED:
        messages.success(
            request, "Your order was refunded. The refund reaches your card in 5 to 10 days."
        )
    else:
        messages.success(
            request, "We received your refund request and will answer within two business days."
        )
    return redirect(order)


@login_required
@require_POST
def refund_request_withdraw(request: HttpRequest, number: str) -> HttpResponse:
    """The learner takes back an open refund request; the course stays theirs."""
    order = get_object_or_404(Order, number=number, user=request.user)
    try:
        refunds.refund_request_withdraw(order=order, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "You withdrew your refund request. The course stays yours.")
    return redirect(order)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's events: verified, stored once, dispatched by type (webhooks.EVENT_HANDLERS)."""
    try:
        event = payments.stripe_gateway.webhook_event_construct(
            request.body, request.headers.get("Stripe-Signature")
        )
    except payments.stripe_gateway.SignatureVerificationError:
        return HttpResponseBadRequest("Invalid signature.")
    except ValueError:
        return HttpResponseBadRequest("Invalid payload.")
    return JsonResponse({"received": True, "outcome": webhooks.stripe_event_process(event)})
