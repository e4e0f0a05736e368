"""Turn articles into the weighted fields the index reads: title, symptoms, tags, headings, body."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field

from .analysis import analyze, detect_language
from .markdown_text import plain_text

FIELDS = ("title", "symptoms", "tags", "headings", "body")
SHORT_FIELDS = ("title", "symptoms", "tags", "headings")
_HTML_TAG = re.compile(r"<[^>\n]{1,300}>")
_SPACES = re.compile(r"[ \t]+")


@dataclass
class Options:
    """Tunable parameters of the index (stored in the artifact)."""

    boosts: dict = field(default_factory=lambda: {
        "title": 1.5, "symptoms": 3.0, "tags": 1.5, "headings": 0.5, "body": 1.0})
    b_values: dict = field(default_factory=lambda: {
        "title": 0.6, "symptoms": 0.5, "tags": 0.3, "headings": 0.6, "body": 0.75})
    k1: float = 1.2
    backend: str = "auto"  # "auto", "whoosh" or "sparse"
    use_bm25: bool = True
    use_word: bool = True
    use_char: bool = True
    use_history: bool = True
    use_passages: bool = True  # best-section BM25 of long articles (passages.py)
    use_semantic: bool = True  # the encoder's passage cosines (semantic.py), when an encoder can load
    spelling: bool = True  # correct unknown query terms against the index vocabulary
    threshold: float | None = None  # abstention threshold on the top confidence

    def to_json(self) -> dict:
        """Return the options as a JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Options:
        """Rebuild options saved by ``to_json`` (unknown keys ignored)."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def clean(text: str) -> str:
    """Return Markdown-derived text without HTML tags and runs of blanks."""
    return _SPACES.sub(" ", _HTML_TAG.sub(" ", text))


def field_texts(article) -> dict[str, str]:
    """Return the raw text of each field of ``article``."""
    title = clean(article.title).strip()
    heads = [clean(h.text).strip() for h in article.headings]
    heads = [h for h in heads if h and h.lower() != title.lower()]
    return {
        "title": title,
        "symptoms": "\n".join(article.symptoms),
        "tags": " ".join(article.tags),
        "headings": "\n".join(heads),
        "body": clean(plain_text(article.body)),
    }


def article_language(texts: dict[str, str], default: str = "fr") -> str:
    """Detect an article's language from its title, symptoms and the start of its body."""
    return detect_language(" ".join([texts["title"], texts["symptoms"], texts["body"][:3000]]), default)


def short_text(texts: dict[str, str]) -> str:
    """Return the text the character n-grams see: title, symptoms, tags (folded later)."""
    return "\n".join(texts[f] for f in ("title", "symptoms", "tags") if texts[f])


def analyzed_fields(texts: dict[str, str], lang: str) -> dict[str, list[str]]:
    """Return the analysed terms of each field."""
    return {name: analyze(texts[name], lang) for name in FIELDS}


def majority(languages: list[str], default: str = "fr") -> str:
    """Return the most common language, ``default`` on an empty list or a tie."""
    counts = Counter(languages).most_common()
    if not counts or (len(counts) > 1 and counts[0][1] == counts[1][1]):
        return default
    return counts[0][0]
