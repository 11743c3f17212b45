from django.contrib import admin

from .models import SignedDocument


@admin.register(SignedDocument)
class SignedDocumentAdmin(admin.ModelAdmin):
    """What was signed, read-only: the record the document check matches uploads with."""

    list_display = ["document", "sha256", "signer", "self_signed_demo", "signed_at"]
    list_select_related = ["certificate", "program_credential"]
    search_fields = [
        "sha256", "unsigned_sha256", "certificate__code", "certificate__holder_name",
        "program_credential__code", "program_credential__holder_name",
    ]  # fmt: skip
    readonly_fields = [f.name for f in SignedDocument._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
