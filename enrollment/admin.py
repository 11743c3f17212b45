from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from courses.templatetags.catalog import money
from records.admin import AuditRecordAdmin, StatusHistoryInline

from . import refunds, states
from .models import (
    Enrollment,
    EnrollmentStatusChange,
    Order,
    OrderStatusChange,
    Refund,
    RefundRequest,
    RefundRequestStatusChange,
    RefundStatusChange,
    StripeEvent,
)

REFUND_ORDER = "enrollment.refund_order"
DECIDE_REFUND_REQUEST = "enrollment.decide_refund_request"


def can_refund(request: HttpRequest) -> bool:
    return request.user.has_perm(REFUND_ORDER)


def can_decide(request: HttpRequest) -> bool:
    return request.user.has_perm(DECIDE_REFUND_REQUEST)


def can_approve(request: HttpRequest) -> bool:
    """Approving a request moves money, so it takes both permissions."""
    return can_decide(request) and can_refund(request)


class DeclineForm(forms.Form):
    note = forms.CharField(
        label="Note to the learner",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text="Shown on the learner's order page with the decision.",
    )


class RefundConfirmForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), help_text="Recorded on the refund."
    )
    amount = forms.DecimalField(
        required=False,
        # A Decimal: the float 0.01 is a hair above one cent, so it refused $0.01.
        min_value=Decimal("0.01"),
        decimal_places=2,
        help_text="Leave empty for a full refund of what remains. A smaller amount is a "
        "partial refund.",
    )
    revoke_access = forms.BooleanField(
        required=False,
        help_text="Also end access on a partial refund. A full refund always ends access.",
    )


def refund_with_confirmation(
    modeladmin: admin.ModelAdmin, request: HttpRequest, orders: list[Order], cancel_url: str = "."
) -> HttpResponse | None:
    """Admin action body: a confirmation page, then refunds.order_refund for each order."""
    if not can_refund(request):
        raise PermissionDenied
    form = RefundConfirmForm(request.POST if "confirm" in request.POST else None)
    if form.is_bound and form.is_valid() and form.cleaned_data["amount"]:
        for order in orders:
            if form.cleaned_data["amount"] * 100 > order.refundable_cents:
                left = money(order.refundable_cents, order.currency)
                form.add_error("amount", f"{order.number} has {left} left to refund.")
    if form.is_bound and form.is_valid():
        amount = form.cleaned_data["amount"]
        for order in orders:
            try:
                refund = refunds.order_refund(
                    order=order,
                    reason=form.cleaned_data["reason"],
                    actor=states.Actor.DIRECTOR,
                    amount_cents=int(amount * 100) if amount else None,
                    approved_by=request.user,
                    revoke_access=form.cleaned_data["revoke_access"] or None,
                )
            except refunds.RefundError as error:
                modeladmin.message_user(request, str(error), messages.ERROR)
                continue
            modeladmin.message_user(
                request,
                f"{order.number}: refund of {money(refund.amount_cents, order.currency)} "
                f"{refund.get_status_display().lower()}.",
                messages.SUCCESS,
            )
        return None
    return TemplateResponse(
        request,
        "admin/enrollment/refund_confirmation.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": f"Refund {len(orders)} order{'s' if len(orders) != 1 else ''}",
            "orders": orders,
            "form": form,
            "cancel_url": cancel_url,
            "action": request.POST.get("action"),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "opts": modeladmin.model._meta,
        },
    )


class OrderStatusChangeInline(StatusHistoryInline):
    model = OrderStatusChange
    fields = ["at", "from_status", "to_status", "actor", "actor_user", "stripe_event_id", "note"]
    readonly_fields = fields


class EnrollmentStatusChangeInline(StatusHistoryInline):
    model = EnrollmentStatusChange


class RefundStatusChangeInline(StatusHistoryInline):
    model = RefundStatusChange
    fields = ["at", "from_status", "to_status", "actor", "actor_user", "stripe_event_id", "note"]
    readonly_fields = fields


class RefundRequestStatusChangeInline(StatusHistoryInline):
    model = RefundRequestStatusChange


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    show_change_link = True
    fields = [
        "created_at",
        "amount",
        "status",
        "stripe_refund_id",
        "reason",
        "requested_by",
        "approved_by",
        "revoke_access",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="amount")
    def amount(self, obj: Refund) -> str:
        return money(obj.amount_cents, obj.order.currency)


MONEY_FIELDS = {
    "price_cents": "price",
    "amount_paid_cents": "amount",
    "amount_refunded_cents": "refunded",
}


@admin.register(Order)
class OrderAdmin(AuditRecordAdmin):
    list_display = [
        "number",
        "user",
        "course_title",
        "status",
        "amount",
        "gateway",
        "paid_at",
        "needs_attention",
    ]
    list_filter = ["status", "gateway", "needs_attention", "course"]
    search_fields = [
        "number",
        "user__email",
        "user__certificate_name",
        "stripe_checkout_session_id",
        "stripe_payment_intent_id",
    ]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    inlines = [RefundInline, OrderStatusChangeInline]
    actions = ["refund_orders"]
    view_on_site = False  # the receipt page is the buyer's own
    change_form_template = "admin/enrollment/order/change_form.html"
    # Money in dollars: each *_cents field shows as its formatted amount.
    fields = [
        MONEY_FIELDS.get(f.name, f.name)
        for f in Order._meta.fields
        if f.name not in {"id", "currency"}
    ]
    readonly_fields = [name for name in fields if name not in {"needs_attention", "attention_note"}]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_refund_permission(self, request: HttpRequest) -> bool:
        return can_refund(request)

    @admin.display(description="paid", ordering="amount_paid_cents")
    def amount(self, obj: Order) -> str:
        return money(obj.amount_paid_cents, obj.currency)

    @admin.display(description="price")
    def price(self, obj: Order) -> str:
        return money(obj.price_cents, obj.currency)

    @admin.display(description="refunded")
    def refunded(self, obj: Order) -> str:
        return money(obj.amount_refunded_cents, obj.currency)

    @admin.action(description="Refund selected orders…", permissions=["refund"])
    def refund_orders(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return refund_with_confirmation(self, request, list(queryset.select_related("user")))

    def get_urls(self):
        view = self.admin_site.admin_view(self.refund_view)
        return [
            path("<path:object_id>/refund/", view, name="enrollment_order_refund"),
            *super().get_urls(),
        ]

    def refund_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """ "Refund…" on one order's page: the same confirmation as the list action."""
        if not can_refund(request):
            raise PermissionDenied
        order = get_object_or_404(Order.objects.select_related("user"), pk=object_id)
        back = reverse("admin:enrollment_order_change", args=[order.pk])
        return refund_with_confirmation(self, request, [order], back) or HttpResponseRedirect(back)

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["may_refund"] = bool(obj and obj.refundable_cents and can_refund(request))
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)


@admin.register(Refund)
class RefundAdmin(AuditRecordAdmin):
    """Every refund with its status history, as Stripe reported it. Read-only."""

    list_display = ["__str__", "order", "amount", "status", "created_at", "updated_at"]
    list_filter = ["status"]
    search_fields = ["order__number", "order__user__email", "stripe_refund_id"]
    list_select_related = ["order"]
    readonly_fields = [
        "amount" if f.name == "amount_cents" else f.name
        for f in Refund._meta.fields
        if f.name != "id"
    ]
    fields = readonly_fields
    inlines = [RefundStatusChangeInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="amount", ordering="amount_cents")
    def amount(self, obj: Refund) -> str:
        return money(obj.amount_cents, obj.order.currency)


@admin.register(RefundRequest)
class RefundRequestAdmin(AuditRecordAdmin):
    list_display = ["order", "learner", "status", "created_at", "decided_at"]
    list_filter = ["status"]
    search_fields = ["order__number", "order__user__email", "reason"]
    list_select_related = ["order__user"]
    readonly_fields = [
        "order",
        "reason",
        "status",
        "refund",
        "decided_by",
        "decided_at",
        "decision_note",
        "created_at",
    ]
    inlines = [RefundRequestStatusChangeInline]
    actions = ["approve_and_refund", "decline"]
    change_form_template = "admin/enrollment/refundrequest/change_form.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return can_approve(request)

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return can_decide(request)

    @admin.display(description="learner")
    def learner(self, obj: RefundRequest) -> str:
        return obj.order.user.email

    @admin.action(description="Approve and refund…", permissions=["approve"])
    def approve_and_refund(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        open_requests = queryset.filter(status=RefundRequest.Status.OPEN).select_related(
            "order__user"
        )
        return refund_with_confirmation(self, request, [r.order for r in open_requests])

    @admin.action(description="Decline selected requests…", permissions=["decide"])
    def decline(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._decline_with_confirmation(
            request, list(queryset.filter(status=RefundRequest.Status.OPEN))
        )

    def _decline_with_confirmation(
        self, request: HttpRequest, requests: list[RefundRequest], cancel_url: str = "."
    ) -> HttpResponse | None:
        if not can_decide(request):
            raise PermissionDenied
        form = DeclineForm(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            declined = sum(
                refunds.refund_request_decline(
                    request=refund_request, director=request.user, note=form.cleaned_data["note"]
                )
                for refund_request in requests
            )
            self.message_user(request, f"{declined} request(s) declined.", messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "admin/enrollment/decline_confirmation.html",
            {
                **self.admin_site.each_context(request),
                "title": "Decline refund requests",
                "requests": requests,
                "form": form,
                "cancel_url": cancel_url,
                "action": request.POST.get("action"),
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
                "opts": self.model._meta,
            },
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/approve/",
                self.admin_site.admin_view(self.approve_view),
                name="enrollment_refundrequest_approve",
            ),
            path(
                "<path:object_id>/decline/",
                self.admin_site.admin_view(self.decline_view),
                name="enrollment_refundrequest_decline",
            ),
            *super().get_urls(),
        ]

    def _open_request(self, object_id: str) -> RefundRequest:
        return get_object_or_404(
            RefundRequest.objects.select_related("order__user"),
            pk=object_id,
            status=RefundRequest.Status.OPEN,
        )

    def approve_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not can_approve(request):
            raise PermissionDenied
        refund_request = self._open_request(object_id)
        back = reverse("admin:enrollment_refundrequest_change", args=[refund_request.pk])
        response = refund_with_confirmation(self, request, [refund_request.order], back)
        return response or HttpResponseRedirect(back)

    def decline_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not can_decide(request):
            raise PermissionDenied
        refund_request = self._open_request(object_id)
        back = reverse("admin:enrollment_refundrequest_change", args=[refund_request.pk])
        response = self._decline_with_confirmation(request, [refund_request], back)
        return response or HttpResponseRedirect(back)

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        is_open = bool(obj and obj.status == RefundRequest.Status.OPEN)
        context["may_approve"] = is_open and can_approve(request)
        context["may_decline"] = is_open and can_decide(request)
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)


@admin.register(Enrollment)
class EnrollmentAdmin(AuditRecordAdmin):
    list_display = ["user", "course", "status", "created_at", "revoked_at"]
    list_filter = ["status", "course"]
    search_fields = ["user__email", "user__certificate_name", "course__title", "order__number"]
    list_select_related = ["user", "course"]
    readonly_fields = [
        "user",
        "course",
        "order",
        "status",
        "created_at",
        "revoked_at",
        "revoke_reason",
    ]
    inlines = [EnrollmentStatusChangeInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(StripeEvent)
class StripeEventAdmin(AuditRecordAdmin):
    list_display = ["event_id", "type", "received_at", "processed_at", "outcome"]
    list_filter = ["type"]
    search_fields = ["event_id", "outcome"]
    readonly_fields = [
        "event_id",
        "type",
        "payload",
        "received_at",
        "processed_at",
        "outcome",
        "deferred_payment_intent",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
