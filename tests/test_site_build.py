"""Real strict MkDocs builds: the fixture KB, a broken KB (K-02), and the project's own kb/, which leaks no
technician-only text (K-04)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from search import load_articles
from search.markdown_text import plain_text

from guichet_testing import ROOT, copy_fixture_project, mkdocs_build
from kb_cases import CASES, write_kb

pytestmark = pytest.mark.slow

BROKEN_MKDOCS = """site_name: Broken KB
docs_dir: kb
site_dir: build/site
theme:
  name: material
  language: fr
plugins:
  - guichet-kb
  - search
"""


def site_text(site: Path) -> str:
    """Return every text file of a built site, concatenated."""
    return "\n".join(
        path.read_text(encoding="utf-8", errors="replace")
        for path in site.rglob("*")
        if path.is_file() and path.suffix in {".html", ".json", ".xml", ".js", ".txt"}
    )


def test_fixture_kb_builds_strictly_without_internal_articles(tmp_path):
    project = copy_fixture_project("kb_good", tmp_path)
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    site = project / "build" / "site"
    assert (site / "messagerie" / "boite-pleine" / "index.html").is_file()
    assert not (site / "reseau-vpn" / "reset-fortigate-interne").exists()
    text = site_text(site)
    assert "Votre boîte aux lettres est pleine" in text
    for canary in ("CANARI", "canari", "fgt-canari-zebulon-42", "Redémarrer le tunnel"):
        assert canary not in text, f"technician-only text {canary!r} leaked into the site"
    assert 'lang="fr"' in (site / "index.html").read_text(encoding="utf-8")


def test_fixture_manifest_maps_ids_to_urls_beside_the_site(tmp_path):
    project = copy_fixture_project("kb_good", tmp_path)
    assert mkdocs_build(project).returncode == 0
    manifest = json.loads((project / "build" / "manifest.json").read_text(encoding="utf-8"))
    articles = manifest["articles"]
    assert articles["boite-pleine"]["url"] == "messagerie/boite-pleine/"
    assert articles["boite-pleine"]["category"] == "messagerie"
    assert articles["reset-fortigate-interne"] == {
        "audience": "technicians", "category": "reseau-vpn", "path": "reseau-vpn/reset-fortigate-interne.md",
        "title": "Redémarrer le tunnel sur le pare-feu", "type": "procedure", "url": None,
    }
    assert not (project / "build" / "site" / "manifest.json").exists()


def test_broken_kb_fails_the_strict_build_naming_each_file(tmp_path):
    write_kb(tmp_path)
    (tmp_path / "mkdocs.yml").write_text(BROKEN_MKDOCS, encoding="utf-8")
    result = mkdocs_build(tmp_path)
    assert result.returncode != 0
    errors = [case for case in CASES if case.severity == "error"]
    missing = [case.path for case in errors if case.path not in result.stderr]
    assert not missing, f"files not named in the build output: {missing}\n{result.stderr[-3000:]}"


def test_unreadable_article_is_never_published(tmp_path):
    project = copy_fixture_project("kb_good", tmp_path)
    secret = project / "kb" / "reseau-vpn" / "broken-internal.md"
    secret.write_text("---\naudience: technicians\n\ttitle: x\n---\n# Mot de passe ZORGLUB-SECRET\n", encoding="utf-8")
    result = mkdocs_build(project)
    assert result.returncode != 0 and "broken-internal.md" in result.stderr
    assert mkdocs_build(project, "--no-strict").returncode == 0
    assert "ZORGLUB-SECRET" not in site_text(project / "build" / "site")


def test_project_kb_builds_and_leaks_no_technician_only_text(built_kb_site):
    site = built_kb_site / "build" / "site"
    articles = load_articles(ROOT / "kb")
    public_text = "\n".join(plain_text(a.body) + a.title for a in articles if a.is_public)
    text = site_text(site)
    internal = [a for a in articles if not a.is_public]
    assert internal, "kb/ must hold technician-only procedures"
    checked = 0
    for article in internal:
        assert article.title not in text, f"title of {article.path} leaked"
        lines = [line.strip() for line in plain_text(article.body).splitlines() if len(line.strip()) > 40]
        for line in lines:
            if line in public_text:
                continue  # shared wording, not unique to the internal article
            fragment = re.sub(r"\s+", " ", line)[:60]
            assert fragment not in text, f"text of {article.path} leaked: {fragment!r}"
            checked += 1
    assert checked >= 10
    manifest = json.loads((built_kb_site / "build" / "manifest.json").read_text(encoding="utf-8"))
    assert {a.id for a in articles} == set(manifest["articles"])
    for article in articles:
        url = manifest["articles"][article.id]["url"]
        if article.is_public:
            assert (site / url / "index.html").is_file(), url
        else:
            assert url is None


def test_project_site_is_french_with_category_navigation(built_kb_site):
    home = (built_kb_site / "build" / "site" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="fr"' in home
    for label in ("Messagerie &amp; agenda", "Réseau &amp; VPN", "Comptes &amp; accès"):
        assert label in home, f"navigation lacks the category label {label!r}"
    search_index = json.loads((built_kb_site / "build" / "site" / "search" / "search_index.json").read_text())
    assert search_index["config"]["lang"] == ["fr"]


def test_site_build_writes_a_loadable_index_outside_the_site(tmp_path):
    from search import load_index

    project = copy_fixture_project("kb_good", tmp_path)
    assert mkdocs_build(project).returncode == 0
    index = load_index(project / "build" / "index")
    assert len(index) == 3
    employee = index.suggest("redémarrer le tunnel sur le pare-feu", audience="employees", k=5)
    assert "reset-fortigate-interne" not in [s.id for s in employee.suggestions]
    technician = index.suggest("redémarrer le tunnel sur le pare-feu", audience="technicians", k=5)
    assert [s.id for s in technician.suggestions][:1] == ["reset-fortigate-interne"]
    assert not any((project / "build" / "site").rglob("arrays.npz"))


def test_index_is_not_rebuilt_from_a_broken_kb(tmp_path):
    project = copy_fixture_project("kb_good", tmp_path)
    broken = project / "kb" / "messagerie" / "broken.md"
    broken.write_text("---\nid: broken\n\ttitle: x\n---\n", encoding="utf-8")
    result = mkdocs_build(project, "--no-strict")
    assert result.returncode == 0
    assert "suggestion index was not rebuilt" in result.stderr
    assert not (project / "build" / "index").exists()
