from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from courses.templatetags.catalog import money
from records.admin import StatusHistoryInline

from . import refunds, states
from .models import (
    Enrollment,
    EnrollmentStatusChange,
    Order,
    OrderStatusChange,
    Refund,
    RefundRequest,
    StripeEvent,
)


class RefundConfirmForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), help_text="Recorded on the refund."
    )
    amount = forms.DecimalField(
        required=False,
        min_value=0.01,
        decimal_places=2,
        help_text="Leave empty for a full refund of what remains. A smaller amount is a "
        "partial refund.",
    )
    revoke_access = forms.BooleanField(
        required=False,
        help_text="Also end access on a partial refund. A full refund always ends access.",
    )


def refund_with_confirmation(
    modeladmin: admin.ModelAdmin, request: HttpRequest, orders: list[Order]
) -> HttpResponse | None:
    """Admin action body: a confirmation page, then refunds.order_refund for each order."""
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


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = [
        "created_at",
        "amount_cents",
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


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
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
    readonly_fields = [
        f.name for f in Order._meta.fields if f.name not in {"needs_attention", "attention_note"}
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="paid", ordering="amount_paid_cents")
    def amount(self, obj: Order) -> str:
        return money(obj.amount_paid_cents, obj.currency)

    @admin.action(description="Refund selected orders…", permissions=["change"])
    def refund_orders(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return refund_with_confirmation(self, request, list(queryset.select_related("user")))


@admin.register(RefundRequest)
class RefundRequestAdmin(admin.ModelAdmin):
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
        "created_at",
    ]
    actions = ["approve_and_refund", "decline"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="learner")
    def learner(self, obj: RefundRequest) -> str:
        return obj.order.user.email

    @admin.action(description="Approve and refund…", permissions=["change"])
    def approve_and_refund(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        open_requests = queryset.filter(status=RefundRequest.Status.OPEN).select_related(
            "order__user"
        )
        return refund_with_confirmation(self, request, [r.order for r in open_requests])

    @admin.action(description="Decline selected requests", permissions=["change"])
    def decline(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.filter(status=RefundRequest.Status.OPEN).update(
            status=RefundRequest.Status.DECLINED, decided_by=request.user, decided_at=timezone.now()
        )
        self.message_user(request, f"{count} request(s) declined.", messages.SUCCESS)


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
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

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
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
