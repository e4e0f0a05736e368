"""Ticket text as light Markdown (lists, emphasis, code, links), raw HTML shown as text, sanitised with nh3.

People paste error messages (``<DOMAINE>\\utilisateur``), commands and numbered steps into tickets. Markdown makes
steps and code readable; raw HTML is never interpreted (it appears as typed), and the HTML Markdown produces still
goes through nh3 with a small allow-list (no images, no styles, http/https/mailto links only), so a bug in one layer
is not an XSS.
"""

from __future__ import annotations

import re

import markdown
import nh3
from markupsafe import Markup

TAGS = {"p", "br", "strong", "em", "code", "pre", "ul", "ol", "li", "a", "blockquote", "hr"}
ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}
MAX_LENGTH = 100_000  # the longest stored text is a description or comment of 10,000 characters
_LIST_ITEM = re.compile(r"^\s{0,3}(?:\d{1,3}[.)]|[-*+])\s+\S")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")


class _NoRawHtml(markdown.Extension):
    """Python-Markdown extension: raw HTML in the source is escaped and shown, never passed through."""

    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's API name)
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")


def _lists_may_interrupt(text: str) -> str:
    """Start a list on the line after a sentence, as people type it (« Étapes :\\n1. … »).

    Python-Markdown, like the original Markdown, needs a blank line before a list; CommonMark and the editors
    people know do not. Fenced code is left alone.
    """
    out, fenced, previous = [], False, ""
    for line in text.split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and _LIST_ITEM.match(line) and previous.strip() and not _LIST_ITEM.match(previous):
            out.append("")
        out.append(line)
        previous = line
    return "\n".join(out)


def _converter() -> markdown.Markdown:
    return markdown.Markdown(extensions=["fenced_code", "sane_lists", "nl2br", _NoRawHtml()], output_format="html")


def render(text: str | None) -> Markup:
    """Return ``text`` as sanitised HTML, safe to insert in a page."""
    if not text:
        return Markup("")
    html = _converter().convert(_lists_may_interrupt(text[:MAX_LENGTH]))
    return Markup(nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                            link_rel="noopener noreferrer nofollow"))
