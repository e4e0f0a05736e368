"""Broken-article cases shared by the schema, CLI and site-build tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

GOOD_FRONT = """id: {id}
title: Une fiche
type: solution
category: messagerie
audience: employees
symptoms: [ma boite est pleine]
owner: Équipe support N1
reviewed: 2026-10-01"""

SECTIONS = "# Une fiche\n\n## Symptômes\n\nTexte.\n\n## Cause\n\nTexte.\n\n## Résolution\n\nTexte.\n"

HELPDESK = """categories:
  messagerie: Messagerie & agenda
  reseau-vpn: Réseau & VPN
kb:
  required_sections:
    solution: [Symptômes, Cause, Résolution]
    known-error: [Symptômes, Cause, Contournement]
    procedure: [Étapes]
    faq: []
    policy: [Règles]
  default_review_every: 365
"""


def article(article_id: str, front: str | None = None, body: str = SECTIONS) -> str:
    """Return a complete article text, with ``front`` replacing the good front matter."""
    front = GOOD_FRONT.format(id=article_id) if front is None else front
    return f"---\n{front}\n---\n\n{body}"


def replace(article_id: str, old: str, new: str) -> str:
    """Return the good front matter of ``article_id`` with one line replaced."""
    front = GOOD_FRONT.format(id=article_id)
    assert old in front
    return front.replace(old, new)


@dataclass(frozen=True)
class Case:
    """A broken file, the line we expect, and words the message must contain."""

    name: str
    path: str
    text: str | bytes
    line: int
    words: tuple[str, ...]
    severity: str = "error"


ALIAS_BOMB = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n" for i in range(8))
)

CASES = [
    Case("tab indentation", "messagerie/tab.md", article("tab", GOOD_FRONT.format(id="tab") + "\ntags:\n\t- outlook"), 11, ("tab",)),
    Case("unclosed quote", "messagerie/quote.md", article("quote", replace("quote", "title: Une fiche", 'title: "Une fiche')), 3, ("quote", "not closed")),
    Case("colon in title", "messagerie/colon.md", article("colon", replace("colon", "title: Une fiche", "title: Outlook: erreur")), 3, ("': '", "quotes")),
    Case("byte-order mark", "messagerie/bom.md", "\ufeff" + article("bom"), 1, ("byte-order mark",)),
    Case("non-mapping front matter", "messagerie/list.md", article("list", "- id: list\n- title: x"), 2, ("mapping",)),
    Case("duplicate key", "messagerie/dupkey.md", article("dupkey", GOOD_FRONT.format(id="dupkey") + "\ntitle: Encore"), 10, ("duplicate key 'title'",)),
    Case("alias bomb", "messagerie/bomb.md", article("bomb", ALIAS_BOMB), 3, ("aliases",)),
    Case("python tag", "messagerie/tag.md", article("tag", GOOD_FRONT.format(id="tag") + "\ntags: !!python/object/apply:os.system [echo]"), 10, ("tag",)),
    Case("front matter not closed", "messagerie/open.md", "---\nid: open\ntitle: x\n\n# Titre\n", 1, ("not closed",)),
    Case("no front matter", "messagerie/nofront.md", SECTIONS, 1, ("no front matter",)),
    Case("not UTF-8", "messagerie/latin1.md", article("latin1").encode("utf-8").replace("Équipe".encode(), "Équipe".encode("latin-1")), 8, ("UTF-8",)),
    Case("missing field", "messagerie/missing.md", article("missing", replace("missing", "owner: Équipe support N1\n", "")), 1, ("missing required field 'owner'",)),
    Case("unknown field", "messagerie/unknown.md", article("unknown", GOOD_FRONT.format(id="unknown") + "\nsymptomes: [x]"), 10, ("unknown field 'symptomes'", "symptoms")),
    Case("wrong type: tags", "messagerie/tagsstr.md", article("tagsstr", GOOD_FRONT.format(id="tagsstr") + "\ntags: outlook"), 10, ("'tags'", "list")),
    Case("wrong type: reviewed", "messagerie/baddate.md", article("baddate", replace("baddate", "reviewed: 2026-10-01", "reviewed: le 3 mars")), 9, ("'reviewed'", "YYYY-MM-DD")),
    Case("wrong type: review_every", "messagerie/badevery.md", article("badevery", GOOD_FRONT.format(id="badevery") + "\nreview_every: -3"), 10, ("'review_every'", "positive")),
    Case("bad enum: type", "messagerie/badtype.md", article("badtype", replace("badtype", "type: solution", "type: tutoriel")), 4, ("'type'", "procedure")),
    Case("bad enum: audience", "messagerie/badaud.md", article("badaud", replace("badaud", "audience: employees", "audience: everyone")), 6, ("'audience'", "technicians")),
    Case("bad id", "messagerie/badid.md", article("Bad_Id", None), 2, ("kebab-case",)),
    Case("duplicate id", "reseau-vpn/twin.md", article("dup-target"), 1, ("duplicate id 'dup-target'", "messagerie/dup-target.md")),
    Case("unknown category", "messagerie/unkcat.md", article("unkcat", replace("unkcat", "category: messagerie", "category: imprimantes")), 5, ("unknown category 'imprimantes'", "helpdesk.yml")),
    Case("category not the folder", "messagerie/wrongdir.md", article("wrongdir", replace("wrongdir", "category: messagerie", "category: reseau-vpn")), 5, ("does not match the folder",)),
    Case("missing section", "messagerie/nosection.md", article("nosection", body="# Une fiche\n\n## Symptômes\n\nTexte.\n"), 11, ("'## Cause'",)),
    Case("missing symptoms", "messagerie/nosymptoms.md", article("nosymptoms", replace("nosymptoms", "symptoms: [ma boite est pleine]\n", "")), 1, ("symptoms",)),
    Case("broken link", "messagerie/badlink.md", article("badlink", body=SECTIONS + "\nVoir [la fiche](absente.md).\n"), 26, ("broken link 'absente.md'",)),
    Case("broken anchor", "messagerie/badanchor.md", article("badanchor", body=SECTIONS + "\nVoir [la cause](dup-target.md#causes).\n"), 26, ("broken anchor '#causes'",)),
    Case("link to internal article", "messagerie/leaky.md", article("leaky", body=SECTIONS + "\nVoir [la procédure](../reseau-vpn/interne.md).\n"), 26, ("technician-only",)),
    Case("raw script", "messagerie/script.md", article("script", body=SECTIONS + "\n<script>alert(1)</script>\n"), 26, ("raw HTML",)),
    Case("javascript link", "messagerie/jslink.md", article("jslink", body=SECTIONS + "\n[clic](javascript:alert(1))\n"), 26, ("raw HTML",)),
    Case("future review date", "messagerie/future.md", article("future", replace("future", "reviewed: 2026-10-01", "reviewed: 2030-01-01")), 9, ("future",)),
    Case("stale review", "messagerie/stale.md", article("stale", replace("stale", "reviewed: 2026-10-01", "reviewed: 2024-01-01")), 9, ("stale",), "warning"),
]

SUPPORT_FILES = {
    "messagerie/dup-target.md": article("dup-target"),
    "reseau-vpn/interne.md": article(
        "interne",
        replace("interne", "audience: employees", "audience: technicians").replace("category: messagerie", "category: reseau-vpn"),
    ),
}


def write_kb(root: Path, cases: list[Case] = CASES) -> Path:
    """Write a KB holding ``cases`` plus the files they refer to, and its helpdesk.yml; return kb/."""
    kb = root / "kb"
    for relative, text in [*SUPPORT_FILES.items(), *((case.path, case.text) for case in cases)]:
        path = kb / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
    (root / "helpdesk.yml").write_text(HELPDESK, encoding="utf-8")
    return kb
