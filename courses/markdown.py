"""Markdown written by the director, rendered to sanitised HTML (Python-Markdown + nh3)."""

import re
from functools import lru_cache

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote",
    "em", "strong", "code", "pre", "a", "sup", "sub", "table", "thead", "tbody", "tr",
    "th", "td", "div", "abbr", "dl", "dt", "dd",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "id", "class"},
    "sup": {"id"},
    "li": {"id"},
    "div": {"class"},
    "th": {"align", "scope"},
    "td": {"align"},
    "abbr": {"title"},
}
_H1 = re.compile(r"<(/?)h1(\b[^>]*)>")


@lru_cache(maxsize=1024)
def render_markdown(text: str) -> SafeString:
    """Markdown to safe HTML. Cached per process: a section is rendered once, not per view.

    `#` headings become h2, since the section title is the page's h1. Scripts, event
    handlers, styles and javascript: links are removed by nh3's allow-list.
    """
    html = markdown.markdown(
        text, extensions=["tables", "footnotes", "sane_lists", "abbr", "def_list"]
    )
    html = _H1.sub(r"<\1h2\2>", html)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 above
