"""Write the skeleton of a new article with valid front matter."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path

from .errors import SearchError
from .kbconfig import KBConfig
from .schema import ARTICLE_TYPES, AUDIENCES

_SECTION_HINTS = {
    "Symptômes": "Ce que voit la personne, avec le message d'erreur exact.",
    "Cause": "Pourquoi cela arrive.",
    "Résolution": "1. Première étape.\n2. Deuxième étape.",
    "Contournement": "1. Ce qu'il faut faire en attendant la correction.",
    "Étapes": "1. Première étape.\n2. Deuxième étape.",
    "Règles": "- Première règle.",
}


def slug_from_title(title: str) -> str:
    """Return a kebab-case ASCII id made from ``title``."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:80].strip("-")


def scaffold_article(
    kb_dir: Path,
    config: KBConfig,
    *,
    title: str,
    category: str,
    article_type: str = "solution",
    audience: str = "employees",
    owner: str = "Équipe support N1",
    article_id: str | None = None,
    today: dt.date | None = None,
) -> Path:
    """Create ``kb_dir/<category>/<id>.md`` with valid front matter and the required sections.

    Returns:
        The path of the new file.

    Raises:
        SearchError: for an unknown category, type or audience, or an existing file.
    """
    if category not in config.categories:
        raise SearchError(f"unknown category '{category}'; choose one of: {', '.join(config.categories)}")
    if article_type not in ARTICLE_TYPES:
        raise SearchError(f"unknown type '{article_type}'; choose one of: {', '.join(ARTICLE_TYPES)}")
    if audience not in AUDIENCES:
        raise SearchError(f"unknown audience '{audience}'; choose one of: {', '.join(AUDIENCES)}")
    article_id = article_id or slug_from_title(title)
    if not article_id:
        raise SearchError("the title gives an empty id; pass --id")
    path = kb_dir / category / f"{article_id}.md"
    if path.exists():
        raise SearchError(f"{path} already exists; choose another title or --id")
    today = today or dt.date.today()
    sections = config.required_sections.get(article_type, ())
    body = "\n\n".join(f"## {name}\n\n{_SECTION_HINTS.get(name, 'À compléter.')}" for name in sections)
    quoted_title = _quote(title)
    text = (
        "---\n"
        f"id: {article_id}\n"
        f"title: {quoted_title}\n"
        f"type: {article_type}\n"
        f"category: {category}\n"
        f"audience: {audience}\n"
        "tags: []\n"
        "symptoms:\n"
        "  - ce que dit la personne quand elle appelle (à remplacer)\n"
        f"owner: {_quote(owner)}\n"
        f"reviewed: {today.isoformat()}\n"
        "---\n\n"
        f"# {title}\n\n{body}\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _quote(text: str) -> str:
    """Return ``text`` as a double-quoted YAML scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
