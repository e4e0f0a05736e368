"""The service benchmarks run end to end on a tiny load and print their tables; the others still start.

A tiny run catches what ``--help`` cannot: a moved test helper, a page the benchmark reads that now answers 500, a
server that no longer starts the way the benchmark launches it. The figures themselves are not judged here.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys

import pytest

from guichet_testing import ROOT

SCRIPTS = sorted(p.stem for p in (ROOT / "benchmarks").glob("*.py") if p.name != "baselines.py")

# name → (arguments of a tiny run, table header it prints)
TINY_RUNS = {
    "big_data": (["--tickets", "300", "--comments", "300", "--people", "30", "--help-events", "100", "--runs", "2"],
                 "| page | who | p50 ms | p95 ms | budget p95 | met | full scans |"),
    "create_tickets": (["--clients", "2", "--requests", "3"], "clients  requests  errors"),
    "mixed_storm": (["--seconds", "2", "--suggest-rate", "5", "--create-rate", "2"],
                    "| kind | requests | errors | p50 ms | p95 ms | budget p95 ms | ratio to budget |"),
}


def run(name: str, *args: str) -> subprocess.CompletedProcess:
    """Run a benchmark as a module from the project folder, the way its usage line says."""
    return subprocess.run([sys.executable, "-m", f"benchmarks.{name}", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def pages_of_big_data() -> list:
    """Return the benchmark's PAGES table, read from its source (importing it would load the test helpers twice)."""
    tree = ast.parse((ROOT / "benchmarks" / "big_data.py").read_text(encoding="utf-8"))
    node = next(n for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", None) == "PAGES")
    return ast.literal_eval(node.value)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TINY_RUNS))
def test_service_benchmark_runs_a_tiny_load_without_errors(name):
    args, header = TINY_RUNS[name]
    result = run(name, *args)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    starts = [i for i, line in enumerate(lines) if header in line]
    assert starts, result.stdout
    rows = lines[starts[0] + 1:]
    if name == "big_data":
        timed = [line for line in rows if line.startswith("| ") and "`" in line]
        assert len(timed) == len(pages_of_big_data()), result.stdout  # each answered 200 (the benchmark asserts it)
    elif name == "create_tickets":
        clients, requests, errors = (int(x) for x in rows[0].split()[:3])
        assert (clients, requests, errors) == (2, 6, 0), result.stdout
    else:
        kinds = {cells[1]: cells for cells in (re.split(r"\s*\|\s*", line) for line in rows[1:]) if len(cells) > 3}
        assert set(kinds) == {"suggest", "create"} and all(k[3] == "0" for k in kinds.values()), result.stdout
        assert kinds["suggest"][6] == "150" and kinds["create"][6] == "500"  # compared with the catalogue's budgets


@pytest.mark.parametrize("name", [n for n in SCRIPTS if n not in TINY_RUNS])
def test_other_benchmark_starts(name):
    # The relevance benchmark takes a minute and the browser one needs Chromium: here, only that they start.
    result = run(name, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage:")
