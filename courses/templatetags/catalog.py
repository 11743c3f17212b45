import json
import re

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html, linebreaks
from django.utils.safestring import SafeString, mark_safe

from accounts.choices import jurisdiction_name

register = template.Library()

CURRENCY_SYMBOLS = {"USD": "$", "CAD": "CA$", "EUR": "€", "GBP": "£"}

_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def money(cents: int | None, currency: str = "USD") -> str:
    """The one place money is formatted: 11900, "USD" -> "$119.00"."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(int(cents)), 100)
    symbol = CURRENCY_SYMBOLS.get(currency)
    amount = f"{whole:,}.{part:02d}"
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {currency}"


@register.filter
def credits(value) -> str:
    """8.0 -> "8", 1.5 -> "1.5"."""
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def jurisdiction(code: str) -> str:
    """ "CA" -> "California": jurisdictions are stored as codes and shown by name."""
    return jurisdiction_name(code or "")


@register.filter
def duration(seconds: int | None) -> str:
    """95 -> "1:35"."""
    if seconds is None:
        return ""
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


@register.filter
def review_item(text: str) -> str:
    """An objective written as part of a sentence ("list x, and"), as a list item ("List x")."""
    text = re.sub(r"[\s,;.]*(\band)?[\s,;.]*$", "", text.strip())
    return text[:1].upper() + text[1:]


@register.filter
def paragraphs(text: str) -> SafeString:
    """Plain text from admin, escaped, with blank lines as paragraphs."""
    return mark_safe(linebreaks(text or "", autoescape=True))  # noqa: S308 - input escaped


@register.simple_tag
def json_ld(data: dict) -> SafeString:
    """Structured data for search engines, escaped so it cannot close the script tag."""
    payload = json.dumps(data, cls=DjangoJSONEncoder).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (for pagination links)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        params[key] = value
    return params.urlencode()
