from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings

from background.mail import email_enqueue
from config.client import client_address


class AccountAdapter(DefaultAccountAdapter):
    """allauth customisation point: emails name the site, link to SITE_URL and go out from
    the worker; rate limits count per client address as config.client sees it."""

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # Rendered here, where the request is (allauth's templates may use it); sent by
        # the worker, so a slow or broken mail server never fails sign-up or a reset.
        public_site = SimpleNamespace(
            name=settings.SITE_NAME, domain=urlsplit(settings.SITE_URL).netloc
        )
        context = {
            "request": self.request,
            "email": email,
            **context,
            "current_site": public_site,
        }
        email_enqueue(self.render_mail(template_prefix, email, context))

    def get_client_ip(self, request) -> str:
        return client_address(request)

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
