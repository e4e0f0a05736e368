"""The KB check reads the catalogue's item ids from helpdesk.yml and reports links naming an unknown item."""

from __future__ import annotations

import subprocess
import sys

import pytest

from guichet_testing import ROOT
from kb_cases import HELPDESK, SECTIONS, article
from search import ConfigError, check_kb, load_kb_config

CATALOGUE = """catalogue:
  acces-dossier:
    label: Accès à un dossier partagé
    type: access_request
  materiel:
    label: Nouvel ordinateur
"""

BODY = SECTIONS + """
Demandez l'accès : [le formulaire](../demander-de-l-aide.md?item=acces-dossier).
Ou bien [ceci](../demander-de-l-aide.md?item=acces-dosier#demander-de-laide) et [cela](/aide?item=ecran).
Le formulaire simple : [ici](/aide/formulaire?item=materiel&titre=PC).
Ailleurs : [un autre site](https://example.org/?item=nimportequoi), et en code : `[x](/aide?item=code)`.
"""


def write(root, helpdesk: str):
    kb = root / "kb"
    (kb / "messagerie").mkdir(parents=True)
    (kb / "demander-de-l-aide.md").write_text("---\ntitle: Demander de l'aide\ntemplate: help.html\n---\n"
                                              "# Demander de l'aide\n\nTexte.\n",
                                              encoding="utf-8")
    (kb / "messagerie" / "fiche.md").write_text(article("fiche", body=BODY), encoding="utf-8")
    (root / "helpdesk.yml").write_text(helpdesk, encoding="utf-8")
    return kb


def test_links_to_unknown_items_are_reported_with_path_and_line(tmp_path):
    kb = write(tmp_path, HELPDESK + CATALOGUE)
    check = subprocess.run([sys.executable, "-m", "search", "check", "kb"], cwd=tmp_path, capture_output=True, text=True,
                           timeout=60)
    assert check.returncode == 1, check.stderr
    lines = [line for line in check.stderr.splitlines() if "catalogue item" in line]
    text = (kb / "messagerie" / "fiche.md").read_text(encoding="utf-8").splitlines()
    line = next(n for n, t in enumerate(text, 1) if "acces-dosier" in t)
    assert lines == [
        f"kb/messagerie/fiche.md:{line}: link '../demander-de-l-aide.md?item=acces-dosier#demander-de-laide' names the catalogue item "
        "'acces-dosier', which helpdesk.yml's catalogue does not have; use one of: acces-dossier, materiel",
        f"kb/messagerie/fiche.md:{line}: link '/aide?item=ecran' names the catalogue item 'ecran', which helpdesk.yml's "
        "catalogue does not have; use one of: acces-dossier, materiel",
    ]
    assert "kb: 2 error(s)" in check.stderr


def test_without_a_catalogue_every_item_link_is_unknown(tmp_path):
    kb = write(tmp_path, HELPDESK)
    problems = [p for p in check_kb(kb, load_kb_config(tmp_path / "helpdesk.yml")) if "catalogue item" in p.message]
    assert sorted(p.message.split("'")[3] for p in problems) == ["acces-dosier", "acces-dossier", "ecran", "materiel"]
    assert all(p.message.endswith("use one of: none") for p in problems)


def test_a_catalogue_that_is_not_a_mapping_names_the_key(tmp_path):
    write(tmp_path, HELPDESK + "catalogue: [acces-dossier]\n")
    with pytest.raises(ConfigError, match=r"helpdesk.yml:\d+: `catalogue` must map item ids to items — fix:"):
        load_kb_config(tmp_path / "helpdesk.yml")


def test_the_project_kb_links_only_to_items_of_helpdesk_yml():
    config = load_kb_config(ROOT / "helpdesk.yml")
    assert {"acces-dossier", "materiel", "installation-logiciel"} <= config.catalogue_items
    problems = [p for p in check_kb(ROOT / "kb", config) if "catalogue item" in p.message]
    assert problems == []
    linking = [p.name for p in (ROOT / "kb").rglob("*.md") if "demander-de-l-aide.md?item=" in p.read_text(encoding="utf-8")]
    assert len(linking) >= 9
    stale = [p.name for p in (ROOT / "kb").rglob("*.md")
             if "catégorie «" in p.read_text(encoding="utf-8") or "type « Demande d'accès »" in p.read_text(encoding="utf-8")]
    assert stale == []  # the form proposes the category; requests link to their item
