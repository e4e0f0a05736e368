"""The shipped knowledge base meets its brief: size, coverage, internal procedures, known errors."""

from __future__ import annotations

from collections import Counter

from search import load_articles, load_kb_config

from guichet_testing import ROOT


def articles():
    return load_articles(ROOT / "kb")


def test_kb_has_enough_articles_in_every_category():
    found = articles()
    assert len(found) >= 40
    per_category = Counter(a.category for a in found)
    categories = load_kb_config(ROOT / "helpdesk.yml").categories
    assert set(per_category) == set(categories)
    assert min(per_category.values()) >= 4, per_category


def test_kb_has_internal_procedures_known_errors_and_a_home_page():
    found = articles()
    internal = [a for a in found if a.audience == "technicians"]
    assert len(internal) >= 5 and all(a.type == "procedure" for a in internal)
    assert sum(a.type == "known-error" for a in found) >= 3
    home = (ROOT / "kb" / "index.md").read_text(encoding="utf-8")
    assert "title: Accueil" in home and "4444" in home


def test_solutions_carry_employee_symptoms():
    for article in articles():
        if article.type in ("solution", "known-error"):
            assert len(article.symptoms) >= 3, article.path
            assert all(s == s.lower() or any(c.isdigit() for c in s) for s in article.symptoms), article.path
