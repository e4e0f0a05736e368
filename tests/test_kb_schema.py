"""Table-driven tests of the KB check: every broken fixture gives its path, line and message (K-02); alias bombs
and oversized front matter are refused within bounded time and memory (K-03)."""

from __future__ import annotations

import datetime as dt
import os
import resource
import subprocess
import sys

import pytest

from search import check_kb, load_kb_config
from search.markdown_text import slugify

from kb_cases import CASES, HELPDESK, SUPPORT_FILES, write_kb

TODAY = dt.date(2026, 11, 28)


def problems_for(tmp_path, case):
    kb = write_kb(tmp_path, [case])
    config = load_kb_config(tmp_path / "helpdesk.yml")
    return check_kb(kb, config, today=TODAY)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_each_broken_article_is_reported_with_path_line_and_reason(tmp_path, case):
    problems = [p for p in problems_for(tmp_path, case) if p.path.endswith(case.path)]
    assert problems, f"{case.name}: no problem reported"
    matching = [p for p in problems if all(word in p.message for word in case.words)]
    assert matching, f"{case.name}: expected {case.words} in {[str(p) for p in problems]}"
    assert matching[0].line == case.line, str(matching[0])
    assert matching[0].severity == case.severity


def test_support_files_alone_are_valid(tmp_path):
    kb = write_kb(tmp_path, [])
    assert check_kb(kb, load_kb_config(tmp_path / "helpdesk.yml"), today=TODAY) == []


def test_all_problems_are_reported_in_one_run(tmp_path):
    kb = write_kb(tmp_path)
    problems = check_kb(kb, load_kb_config(tmp_path / "helpdesk.yml"), today=TODAY)
    reported = {p.path.split("kb/", 1)[1] for p in problems}
    assert reported >= {case.path for case in CASES}


def test_problem_prints_as_path_line_message():
    from search import Problem

    assert str(Problem("kb/a.md", 3, "boom")) == "kb/a.md:3: boom"
    assert str(Problem("kb/a.md", 3, "old", "warning")) == "kb/a.md:3: warning: old"


def test_anchor_slugs_match_python_markdown():
    from markdown.extensions.toc import slugify as markdown_slugify

    for heading in ["Résolution", "Si le problème persiste", "Erreur 0x8004010F : Outlook", "Étapes (N1)"]:
        assert slugify(heading) == markdown_slugify(heading, "-")


def test_alias_bomb_is_refused_within_bounded_memory_and_time(tmp_path):
    case = next(c for c in CASES if c.name == "alias bomb")
    write_kb(tmp_path, [case])
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
        "from search import check_kb, load_kb_config\n"
        f"problems = check_kb({str(tmp_path / 'kb')!r}, load_kb_config({str(tmp_path / 'helpdesk.yml')!r}))\n"
        "print([str(p) for p in problems])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "aliases" in result.stdout


def test_oversized_front_matter_is_refused(tmp_path):
    huge = "---\nid: huge\ntitle: x\nsymptoms:\n" + "  - ligne de symptôme assez longue\n" * 3000 + "---\n# x\n"
    path = tmp_path / "kb" / "messagerie" / "huge.md"
    path.parent.mkdir(parents=True)
    path.write_text(huge, encoding="utf-8")
    (tmp_path / "helpdesk.yml").write_text(HELPDESK, encoding="utf-8")
    problems = check_kb(tmp_path / "kb", load_kb_config(tmp_path / "helpdesk.yml"), today=TODAY)
    assert any("larger than" in p.message for p in problems)


def test_unreadable_helpdesk_config_names_file_and_key(tmp_path):
    from search import ConfigError

    path = tmp_path / "helpdesk.yml"
    path.write_text("categories: []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"helpdesk.yml:1: `categories` .* — fix: "):
        load_kb_config(path)
