from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    """allauth customisation point: emails name the site and link to SITE_URL."""

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        public_site = SimpleNamespace(
            name=settings.SITE_NAME, domain=urlsplit(settings.SITE_URL).netloc
        )
        super().send_mail(template_prefix, email, {**context, "current_site": public_site})

    def get_email_confirmation_url(self, request, emailconfirmation):
        url = super().get_email_confirmation_url(request, emailconfirmation)
        return _rebase(url)

    def get_reset_password_from_key_url(self, key):
        return _rebase(super().get_reset_password_from_key_url(key))


def _rebase(url: str) -> str:
    # allauth builds links from the request host; behind a proxy the public URL is the
    # one configured, so links in emails never point at an internal address.
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return f"{settings.SITE_URL}{path}"
