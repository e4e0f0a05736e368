"""« Rédiger une fiche »: turn a resolved ticket into a KB article draft, personal data removed, checked like a PR."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from search import check_kb, load_kb_config, slug_from_title

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# French numbers (06 12 34 56 78, 06.12.34.56.78, +33 6 12 34 56 78) and short internal extensions said as such.
PHONE = re.compile(r"(?:\+33\s?|0033\s?|\b0)[1-9](?:[\s.-]?\d{2}){4}\b|\b(?:poste|ext\.?)\s*\d{3,5}\b", re.IGNORECASE)
# Machine names: Windows defaults (DESKTOP-7F3K2Q, LAPTOP-…) and inventory-style names with a number (PC-LYON-042).
MACHINE = re.compile(r"\b(?:DESKTOP|LAPTOP|PC|PF|LT|WS|NB)-[A-Z0-9-]*[A-Z0-9]\b|\b[A-Z]{2,}(?:-[A-Z0-9]+)*-\d{2,}\b")
URL = re.compile(r"https?://\S+")


@dataclass
class Draft:
    """A generated article: where it goes in the KB, its Markdown, and what the check said."""

    article_id: str
    category: str
    text: str
    problems: list

    @property
    def path(self) -> str:
        return f"kb/{self.category}/{self.article_id}.md"

    @property
    def valid(self) -> bool:
        return not any(p.is_error for p in self.problems)


def scrub(text: str, names: list[str]) -> str:
    """Remove e-mails, phone numbers, machine names, links and the given people's names (full, first or last)."""
    text = EMAIL.sub("[adresse e-mail]", text)
    text = URL.sub("[lien]", text)
    text = PHONE.sub("[téléphone]", text)
    text = MACHINE.sub("[poste]", text)
    parts = sorted({p for name in names for p in [name, *name.split()] if len(p) >= 3}, key=len, reverse=True)
    for part in parts:
        text = re.sub(rf"(?<!\w){re.escape(part)}(?!\w)", "[personne]", text, flags=re.IGNORECASE)
    # No HTML in a draft: the KB check refuses anything able to run script, and none is needed.
    return text.replace("<", "‹").replace(">", "›").strip()


def _quote(text: str) -> str:
    """Return text as a double-quoted YAML scalar (one line)."""
    return '"' + " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?;])\s+|\n+|\s+(?:puis|ensuite)\s+", text)
    return [p.strip(" -•*\t").rstrip(".") for p in parts if len(p.strip(" -•*\t")) >= 3]


def unique_id(base: str, taken: set[str]) -> str:
    """Return base, or base-2, base-3… when an article already uses it."""
    base = (base or "fiche")[:80].strip("-") or "fiche"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def build_draft(*, title: str, description: str, requester_words: list[str], resolution: str, category: str,
                owner: str, names: list[str], taken_ids: set[str], today: dt.date | None = None) -> tuple[str, str]:
    """Return (article id, Markdown) of a solution article made from a ticket's words and its resolution note."""
    today = today or dt.date.today()
    clean_title = scrub(title, names)[:150] or "Fiche à titrer"
    article_id = unique_id(slug_from_title(clean_title), taken_ids)
    symptoms = [clean_title] + [scrub(s, names) for w in [description, *requester_words] for s in _sentences(w)]
    symptoms = [s[:200] for s in dict.fromkeys(symptoms) if s][:6]
    steps = [scrub(s, names) for s in _sentences(resolution)] or ["À compléter."]
    front = "\n".join([
        "---", f"id: {article_id}", f"title: {_quote(clean_title)}", "type: solution", f"category: {category}",
        "audience: employees", "tags: []", "symptoms:", *[f"  - {_quote(s)}" for s in symptoms],
        f"owner: {_quote(owner)}", f"reviewed: {today.isoformat()}", "review_every: 365", "---",
    ])
    body = "\n".join([
        f"# {clean_title}", "", "## Symptômes", "", *[f"- {s}" for s in symptoms], "",
        "## Cause", "", "À compléter par le technicien avant la relecture.", "",
        "## Résolution", "", *[f"{i}. {s}." for i, s in enumerate(steps, 1)], "",
    ])
    return article_id, f"{front}\n{body}"


def check_draft(article_id: str, category: str, text: str, helpdesk_yml: Path) -> list:
    """Run the KB check on a temporary KB holding only the draft; return its problems."""
    folder = Path(tempfile.mkdtemp(prefix="guichet-draft-"))
    try:
        kb = folder / "kb"
        (kb / category).mkdir(parents=True)
        (kb / category / f"{article_id}.md").write_text(text, encoding="utf-8")
        return check_kb(kb, load_kb_config(helpdesk_yml))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def branch_commands(draft: Draft) -> str:
    """Return the shell commands that put the downloaded draft into a branch, checked."""
    return "\n".join([
        f"git switch -c fiche/{draft.article_id}",
        f"mkdir -p kb/{draft.category}",
        f"mv ~/Téléchargements/{draft.article_id}.md {draft.path}",
        "python -m search check kb/",
        f"git add {draft.path} && git commit -m \"Fiche : {draft.article_id}\"",
    ])
