"""The help page and the article pages as the real site build renders them, and the scripts' one static rule.

What the scripts do (CSRF and Idempotency-Key headers, the draft kept across instant navigation, the French texts
of the buttons they add) is checked by driving them in Chromium: tests/browser/test_help_page_browser.py.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OVERRIDES = ROOT / "site_plugins" / "overrides"
SCRIPTS = sorted((OVERRIDES / "assets" / "javascripts").glob("*.js"))


class Page(HTMLParser):
    """The parts of a built page the tests read: elements by id, label texts, buttons, scripts, Material's config."""

    def __init__(self, path: Path):
        super().__init__()
        self.ids: dict[str, dict] = {}
        self.labels: dict[str, str] = {}  # control id → label text
        self.buttons: list[dict] = []  # attributes and text of each <button>
        self.scripts: list[str] = []
        self.config: dict = {}
        self.legends: list[str] = []
        self._open: list[tuple[str, dict, list[str]]] = []
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids[attrs["id"]] = {"tag": tag, **attrs}
        if tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])
        if tag in ("label", "button", "legend", "script"):
            self._open.append((tag, attrs, []))

    def handle_data(self, data):
        for _, _, texts in self._open:
            texts.append(data)

    def handle_endtag(self, tag):
        if not self._open or self._open[-1][0] != tag:
            return
        _, attrs, texts = self._open.pop()
        text = " ".join("".join(texts).split())
        if tag == "label" and attrs.get("for"):
            self.labels[attrs["for"]] = text
        elif tag == "button":
            self.buttons.append({**attrs, "text": text})
        elif tag == "legend":
            self.legends.append(text)
        elif tag == "script" and attrs.get("id") == "__config":
            self.config = json.loads(text)


def test_scripts_never_use_innerhtml_or_eval():
    # A rule on the source, not a behaviour: no test input could show that a code path never builds HTML from text.
    assert SCRIPTS, "no theme scripts found"
    for path in SCRIPTS + [OVERRIDES / "partials" / "integrations" / "analytics" / "custom.html"]:
        text = path.read_text(encoding="utf-8")
        for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert forbidden not in text, f"{path.name} uses {forbidden}: build nodes and set textContent"


def test_the_built_help_page_is_the_request_form_in_french(built_kb_site):
    page = Page(built_kb_site / "build" / "site" / "demander-de-l-aide" / "index.html")
    assert page.ids["gh-form"]["tag"] == "form" and page.ids["gh-live"]["aria-live"] == "polite"
    assert page.labels["gh-title"].startswith("Quel est le problème ?")
    assert page.labels["gh-file"].startswith("Pièce jointe")
    assert "Créer la demande" in [b["text"] for b in page.buttons if b.get("type") == "submit"]
    assert {"Est-ce urgent pour vous ?", "Qui est touché ?"} <= set(page.legends)
    assert any(src.endswith("guichet-help.js") for src in page.scripts)


def test_built_article_pages_navigate_instantly_and_ask_for_feedback(built_kb_site):
    page = Page(built_kb_site / "build" / "site" / "impression" / "imprimante-hors-connexion" / "index.html")
    # instant navigation keeps the scripts alive between pages: the help-session id and the draft survive
    assert "navigation.instant" in page.config["features"]
    assert "Cette fiche vous a-t-elle aidé ?" in page.legends
    ratings = {b["data-md-value"]: b["title"] for b in page.buttons if "data-md-value" in b}
    assert ratings == {"1": "Oui, elle m'a aidé", "0": "Non, pas vraiment"}  # the page_feedback event's `helpful`
    assert {Path(src).name for src in page.scripts} >= {"guichet-core.js", "guichet-pages.js"}
