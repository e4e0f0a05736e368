"""The command lines: `python -m search check` and `guichet kb check|new`."""

from __future__ import annotations

import re
import subprocess
import sys

from click.testing import CliRunner

from guichet_testing import ROOT
from kb_cases import CASES, write_kb
from ticket_service.cli import main as guichet


def run_search_check(kb_dir, cwd):
    return subprocess.run([sys.executable, "-m", "search", "check", str(kb_dir)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_project_kb_passes_the_check():
    result = run_search_check("kb/", ROOT)
    assert result.returncode == 0, result.stderr
    assert "0 error(s)" in result.stdout


def test_broken_kb_exits_non_zero_listing_every_problem_as_path_line_message(tmp_path):
    write_kb(tmp_path)
    result = run_search_check("kb", tmp_path)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    for case in CASES:
        expected = f"kb/{case.path}:{case.line}: "
        assert any(line.startswith(expected) for line in lines), f"{case.name}: no line {expected!r}"
    problem_lines = [line for line in lines if not line.startswith("kb:")]
    assert all(re.match(r"^kb/[\w/.-]+\.md:\d+: .+", line) for line in problem_lines), problem_lines


def test_guichet_kb_new_scaffolds_an_article_that_passes_the_check(tmp_path):
    kb = write_kb(tmp_path, [])
    runner = CliRunner()
    result = runner.invoke(guichet, ["kb", "new", "--kb", str(kb), "Outlook : « Erreur 0x8004010F »",
                                     "--category", "messagerie"])
    assert result.exit_code == 0, result.output
    created = kb / "messagerie" / "outlook-erreur-0x8004010f.md"
    assert created.is_file()
    text = created.read_text(encoding="utf-8")
    assert "## Résolution" in text and "category: messagerie" in text
    check = runner.invoke(guichet, ["kb", "check", "--kb", str(kb)])
    assert check.exit_code == 0, check.output


def test_guichet_kb_new_refuses_unknown_category_and_existing_file(tmp_path):
    kb = write_kb(tmp_path, [])
    runner = CliRunner()
    bad = runner.invoke(guichet, ["kb", "new", "--kb", str(kb), "Titre", "--category", "cuisine"])
    assert bad.exit_code == 2 and "unknown category 'cuisine'" in bad.output
    runner.invoke(guichet, ["kb", "new", "--kb", str(kb), "Titre", "--category", "messagerie"])
    again = runner.invoke(guichet, ["kb", "new", "--kb", str(kb), "Titre", "--category", "messagerie"])
    assert again.exit_code == 2 and "already exists" in again.output


def test_guichet_kb_check_fails_on_broken_kb(tmp_path):
    kb = write_kb(tmp_path)
    result = CliRunner().invoke(guichet, ["kb", "check", "--kb", str(kb)])
    assert result.exit_code == 1
