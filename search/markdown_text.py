"""Light Markdown reading: headings, links and anchors, outside code blocks."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_ATTR_ID = re.compile(r"\{\s*#([\w-]+)[^}]*\}\s*$")
_INLINE_CODE = re.compile(r"`[^`]*`")
_LINK = re.compile(r"(?<!!)\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_MARKUP = re.compile(r"[*_`~]|\[([^\]]*)\]\([^)]*\)")


@dataclass(frozen=True)
class Heading:
    """A Markdown heading: level, text, anchor slug and line (1-based, in the body)."""

    level: int
    text: str
    slug: str
    line: int


def slugify(text: str, separator: str = "-") -> str:
    """Return the anchor Python-Markdown's toc extension makes of a heading by default."""
    value = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^\w\s-]", "", value).strip().lower()
    return re.sub(rf"[{separator}\s]+", separator, value)


def prose_lines(body: str):
    """Yield ``(line_number, line)`` for lines outside fenced code blocks."""
    fence = None
    for number, line in enumerate(body.split("\n"), start=1):
        match = _FENCE.match(line)
        if match:
            marker = match.group(1)[0]
            if fence is None:
                fence = marker
            elif fence == marker:
                fence = None
            continue
        if fence is None:
            yield number, line


def headings(body: str) -> list[Heading]:
    """Return the ATX headings of ``body`` with the anchors MkDocs gives them."""
    found, used = [], {}
    for number, line in prose_lines(body):
        match = _HEADING.match(line)
        if not match:
            continue
        text = match.group(2)
        explicit = _ATTR_ID.search(text)
        text = _ATTR_ID.sub("", text).strip()
        plain = _MARKUP.sub(lambda m: m.group(1) or "", text)
        slug = explicit.group(1) if explicit else slugify(plain)
        if slug in used:  # Python-Markdown de-duplicates anchors as slug_1, slug_2...
            used[slug] += 1
            slug = f"{slug}_{used[slug]}"
        else:
            used[slug] = 0
        found.append(Heading(len(match.group(1)), plain, slug, number))
    return found


def links(body: str) -> list[tuple[int, str]]:
    """Return ``(line, target)`` for each inline Markdown link outside code."""
    found = []
    for number, line in prose_lines(body):
        for match in _LINK.finditer(_INLINE_CODE.sub("", line)):
            found.append((number, match.group(1)))
    return found


def plain_text(body: str) -> str:
    """Return ``body`` without code fences' markers, link targets and emphasis marks."""
    lines = [line for _, line in prose_lines(body)]
    text = "\n".join(lines)
    text = _MARKUP.sub(lambda m: m.group(1) or "", text)
    text = re.sub(r"^\s{0,3}(#{1,6}|[-*+]|\d+[.)]|>|!!!|\?\?\?\+?)\s*", "", text, flags=re.M)
    return text
