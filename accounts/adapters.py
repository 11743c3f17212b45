from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    """allauth customisation point: absolute links in emails use SITE_URL."""

    def get_email_confirmation_url(self, request, emailconfirmation):
        url = super().get_email_confirmation_url(request, emailconfirmation)
        return _rebase(url)

    def get_reset_password_from_key_url(self, key):
        return _rebase(super().get_reset_password_from_key_url(key))


def _rebase(url: str) -> str:
    # allauth builds links from the request host; behind a proxy the public URL is the
    # one configured, so links in emails never point at an internal address.
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return f"{settings.SITE_URL}{path}"
