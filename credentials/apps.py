from django.apps import AppConfig


class CredentialsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "credentials"
    verbose_name = "Signed documents and digital credentials"

    def ready(self) -> None:
        from certificates.hooks import issued_hooks

        from .status import on_certificate_issued

        if on_certificate_issued not in issued_hooks:
            issued_hooks.append(on_certificate_issued)
