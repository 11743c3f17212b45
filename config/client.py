"""The client's address, one way for every per-client limit and the access log.

Each trusted proxy in front of the app (nginx, a load balancer) appends the address it
saw to X-Forwarded-For, so the client is the TRUSTED_PROXY_COUNT-th entry from the right;
anything further left was sent by the client and is ignored. With no trusted proxy the
TCP peer (REMOTE_ADDR) is the client and the header changes nothing. allauth's limits
(accounts.adapters), the certificate lookup limit and gunicorn's access log
(config/gunicorn.conf.py) all read the address from here.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def address_from(remote_addr: str, forwarded_for: str, trusted_proxies: int) -> str:
    """The client address from the TCP peer and X-Forwarded-For (pure; gunicorn uses it)."""
    if trusted_proxies <= 0 or not forwarded_for:
        return remote_addr
    hops = [hop.strip() for hop in forwarded_for.split(",")]
    if len(hops) < trusted_proxies:
        # Fewer entries than proxies: someone reached the app past a proxy. Trust only
        # the peer, whose address at least cannot be forged.
        return remote_addr
    candidate = hops[-trusted_proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote_addr


def client_address(request: HttpRequest) -> str:
    return address_from(
        request.META.get("REMOTE_ADDR", ""),
        request.META.get("HTTP_X_FORWARDED_FOR", ""),
        settings.TRUSTED_PROXY_COUNT,
    )
