"""``python -m search compare``: a base KB against a head where one article's symptoms change and one is removed."""

import functools
import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from search_kb import write_kb

from guichet_testing import ROOT
from search import SearchError, build_index, load_articles
from search import compare
from search.cli import main

QUERIES = [
    {"id": "q1", "query": "mes impressions restent en attente", "relevant": ["imprimante-file-bloquee"], "lang": "fr"},
    {"id": "q2", "query": "outlook me redemande mon mot de passe", "relevant": ["outlook-demande-mot-de-passe"],
     "lang": "fr"},
    {"id": "q3", "query": "ma chaise de bureau est cassée", "relevant": [], "lang": "fr"},
    {"id": "q4", "query": "la liaison saute depuis la maison", "relevant": ["vpn-se-deconnecte"], "lang": "fr"},
    {"id": "q5", "query": "mes impressions sont bloquées", "relevant": [], "lang": "fr"},
]
NEW_SYMPTOMS = ["le vpn coupe tout le temps en télétravail", "la liaison saute sans arrêt depuis la maison",
                "ça ne marche pas"]  # the last one says nothing an index can find
ADDED = """---
id: teams-micro-muet
title: Teams, on ne m'entend pas en réunion
type: solution
category: messagerie
audience: employees
symptoms:
  - on ne m'entend pas en réunion teams
---
# Teams, on ne m'entend pas en réunion

## Résolution
Choisissez le bon micro dans les paramètres de périphériques de Teams.
"""


@pytest.fixture(scope="module")
def kbs(tmp_path_factory):
    """Write the base KB and its head: the printer article removed, the VPN one with new symptoms, one added."""
    root = tmp_path_factory.mktemp("compare")
    base, head = write_kb(root / "base"), write_kb(root / "head")
    (head / "impression" / "imprimante-bloquee.md").unlink()
    vpn = head / "reseau-vpn" / "vpn-deconnexion.md"
    lines = "".join(f"  - {line}\n" for line in NEW_SYMPTOMS)
    vpn.write_text(vpn.read_text(encoding="utf-8").replace("  - le vpn coupe tout le temps en télétravail\n", lines),
                   encoding="utf-8")
    (head / "messagerie" / "teams-micro.md").write_text(ADDED, encoding="utf-8")
    queries = root / "q.jsonl"
    queries.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in QUERIES), encoding="utf-8")
    floors = root / "floors.json"
    floors.write_text(json.dumps({"q.jsonl": {"hit@5": 0.9, "false_suggestion_rate_max": 0.5}}), encoding="utf-8")
    return {"root": root, "base": base, "head": head, "queries": queries, "floors": floors}


@pytest.fixture(scope="module")
def report(kbs):
    return compare.run_compare(kbs["base"], kbs["head"], [kbs["queries"]], kbs["floors"], encoder=None)


def test_the_articles_added_removed_and_with_other_symptoms(report):
    assert report["articles"] == {"base": 6, "head": 6, "added": ["teams-micro-muet"],
                                  "removed": ["imprimante-file-bloquee"], "symptoms_changed": ["vpn-se-deconnecte"]}


def test_requests_gained_and_lost(report):
    result = report["queries"]["q.jsonl"]
    # q4 is now said in the VPN article's own words; q5 is no longer answered with the removed article
    assert [c["id"] for c in result["gained"]] == ["q4", "q5"]
    assert [c["id"] for c in result["lost"]] == ["q1"]
    lost = result["lost"][0]
    assert lost["before"] == "rank 1" and lost["after"].startswith("abstained")
    assert result["unknown_relevant"] == ["imprimante-file-bloquee"]
    assert result["before"]["hit@5"] == 1.0 and result["after"]["hit@5"] == pytest.approx(2 / 3, abs=1e-4)
    assert result["after"]["false_suggestion_rate"] == 0.0


def test_a_request_abstained_on_both_sides_moves_without_being_lost(monkeypatch):
    """hit@5 counts the ranking even under an abstention: such a move is listed apart, or the figure would drop
    with no request lost to explain it."""
    rows = {"base": [{"id": "q1", "ranked": ["a", "b"], "confidence": 0.3, "shown": False, "hit@5": 1.0}],
            "head": [{"id": "q1", "ranked": ["b"] * 5 + ["a"], "confidence": 0.3, "shown": False, "hit@5": 0.0}]}
    figures = dict.fromkeys(("queries", "in_scope", "out_of_scope", *compare.FIGURES), 0)
    monkeypatch.setattr(compare, "evaluate", lambda index, queries: {**figures, "per_query": rows[index]})
    monkeypatch.setattr(compare, "unknown_articles", lambda index, queries: [])
    result = compare.compare_queries("q.jsonl", [{"id": "q1", "query": "x", "relevant": ["a"]}], "base", "head")
    assert result["gained"] == result["lost"] == []
    assert [(c["id"], c["before"], c["after"]) for c in result["moved"]] == [
        ("q1", "abstained (confidence 0.3000), rank 1", "abstained (confidence 0.3000), rank 6")]


def test_each_symptom_line_of_an_added_or_changed_article_is_asked(report):
    by_id = {a["id"]: a for a in report["symptoms"]}
    assert [(a["id"], a["change"]) for a in report["symptoms"]] == [("teams-micro-muet", "added"),
                                                                    ("vpn-se-deconnecte", "changed")]
    vpn = by_id["vpn-se-deconnecte"]["lines"]
    assert [line["text"] for line in vpn] == NEW_SYMPTOMS
    assert [line["found"] for line in vpn] == [True, True, False]
    assert vpn[2]["abstained"]
    assert by_id["teams-micro-muet"]["lines"][0]["found"]
    text = "\n".join(compare.format_report(report))
    assert "vpn-se-deconnecte (changed): 2 of 3 found" in text
    assert "« ça ne marche pas »: NOT FOUND: abstained" in text


def test_floors_are_checked_on_the_head(report):
    checks = report["floors"]["checks"]
    assert [(c["metric"], c["kind"], c["ok"]) for c in checks] == [("hit@5", "min", False),
                                                                  ("false_suggestion_rate", "max", True)]
    assert report["floors"]["broken"] == ["q.jsonl: hit@5 0.6667 is under its floor 0.9"]


def test_the_command_end_to_end_exits_1_on_a_broken_floor(kbs, tmp_path):
    """The real command with the default encoder (a cache of its own): the floor and the removed article are named."""
    env = {**os.environ, "GUICHET_CACHE_DIR": str(tmp_path / "cache")}
    result = subprocess.run([sys.executable, "-m", "search", "compare", "--base", str(kbs["base"]),
                             "--kb", str(kbs["head"]), "--queries", str(kbs["queries"]),
                             "--floors", str(kbs["floors"])],
                            capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "before → after" in result.stdout and "hit@5                  1.0000 → 0.6667" in result.stdout
    assert "lost (1):\n    q1 « mes impressions restent en attente » [imprimante-file-bloquee]" in result.stdout
    assert "BROKEN q.jsonl: hit@5 0.6667 is under its floor 0.9" in result.stdout
    assert "Error: floor broken on" in result.stderr and "hit@5 0.6667 is under its floor 0.9" in result.stderr
    assert "1 relevant id(s) are not articles of" in result.stderr and "imprimante-file-bloquee" in result.stderr


def test_json_output(kbs, monkeypatch):
    monkeypatch.setattr(compare, "run_compare", functools.partial(compare.run_compare, encoder=None))
    floors = kbs["root"] / "loose.json"
    floors.write_text(json.dumps({"q.jsonl": {"hit@5": 0.5}, "other.jsonl": {"hit@5": 0.5}}), encoding="utf-8")
    args = ["compare", "--base", str(kbs["base"]), "--kb", str(kbs["head"]), "--queries", str(kbs["queries"]),
            "--floors", str(floors), "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"base", "head", "articles", "queries", "symptoms", "floors", "floors_file", "semantic"} <= set(data)
    q = data["queries"]["q.jsonl"]
    assert set(q) == {"before", "after", "gained", "lost", "moved", "unknown_relevant"}
    assert set(q["after"]) == {"queries", "in_scope", "out_of_scope", *compare.FIGURES}
    assert set(q["lost"][0]) == {"id", "query", "relevant", "before", "after"}
    assert set(data["symptoms"][0]["lines"][0]) == {"text", "found", "rank", "abstained", "confidence"}
    assert data["floors"]["broken"] == [] and data["floors"]["unused"] == ["other.jsonl"]
    assert "floors for other.jsonl, but no --queries file of that name" in result.stderr


def test_a_bad_floors_file_is_a_clean_error(tmp_path):
    path = tmp_path / "floors.json"
    path.write_text(json.dumps({"q.jsonl": {"hit@50": 0.9}}), encoding="utf-8")
    with pytest.raises(SearchError, match="unknown metric 'hit@50'"):
        compare.read_floors(path)
    path.write_text("[1]", encoding="utf-8")
    with pytest.raises(SearchError, match="floors.json: expected"):
        compare.read_floors(path)


def test_the_shared_floors_file_reads():
    floors = compare.read_floors(ROOT / "benchmarks" / "kb-relevance-floors.json")
    assert set(floors["kb-queries-fr.jsonl"]) == {"hit@5", "mrr@10", "answered_hit@5", "false_suggestion_rate_max"}


def test_lexical_indexes_compare_alike(kbs):
    """compare_kbs takes ready indexes: the same KB on both sides gains and loses nothing."""
    articles = load_articles(kbs["base"])
    index = build_index(articles, encoder=None)
    report = compare.compare_kbs(articles, index, articles, index, [("q.jsonl", QUERIES)])
    assert report["queries"]["q.jsonl"]["gained"] == report["queries"]["q.jsonl"]["lost"] == []
    assert report["symptoms"] == [] and report["floors"]["checks"] == []
