"""Static checks of the help page's theme overrides: no innerHTML, French texts, the wiring Material needs."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
OVERRIDES = ROOT / "site_plugins" / "overrides"
SCRIPTS = sorted((OVERRIDES / "assets" / "javascripts").glob("*.js"))


def test_scripts_never_use_innerhtml_or_eval():
    assert SCRIPTS, "no theme scripts found"
    for path in SCRIPTS + [OVERRIDES / "partials" / "integrations" / "analytics" / "custom.html"]:
        text = path.read_text(encoding="utf-8")
        for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert forbidden not in text, f"{path.name} uses {forbidden}: build nodes and set textContent"


def test_scripts_follow_instant_navigation_and_send_csrf():
    text = "\n".join(p.read_text(encoding="utf-8") for p in SCRIPTS)
    assert "document$.subscribe" in text and "X-CSRFToken" in text and "Idempotency-Key" in text
    assert "sessionStorage" in text and 'aria-live' in (OVERRIDES / "help.html").read_text(encoding="utf-8")


def test_mkdocs_config_enables_instant_navigation_and_our_feedback_provider():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8").replace("!!python", "#"))
    assert "navigation.instant" in config["theme"]["features"]
    analytics = config["extra"]["analytics"]
    assert analytics["provider"] == "custom" and analytics["feedback"]["title"] == "Cette fiche vous a-t-elle aidé ?"
    assert [r["data"] for r in analytics["feedback"]["ratings"]] == [1, 0]


def test_help_page_front_matter_selects_the_template():
    text = (ROOT / "kb" / "demander-de-l-aide.md").read_text(encoding="utf-8")
    meta = yaml.safe_load(text.split("---")[1])
    assert meta["template"] == "help.html" and (OVERRIDES / meta["template"]).is_file()
    assert set(meta) <= {"title", "template", "hide"}


def test_ui_texts_are_french():
    help_page = (OVERRIDES / "help.html").read_text(encoding="utf-8")
    for text in ("Créer la demande", "Quel est le problème ?", "Pièce jointe", "Suivre ma demande"):
        assert text in help_page
    scripts = "\n".join(p.read_text(encoding="utf-8") for p in SCRIPTS)
    for text in ("Ça a résolu mon problème", "Finalement c'est résolu", "Je suis aussi concerné", "Je suis concerné",
                 "Se connecter"):
        assert text in scripts
    assert not re.search(r'textContent = "(Loading|Error|Submit)', scripts)
