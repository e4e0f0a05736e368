"""Every benchmark script still starts: imports resolve and its options parse (a moved helper once broke one)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from guichet_testing import ROOT

SCRIPTS = sorted(p for p in (ROOT / "benchmarks").glob("*.py") if p.name != "baselines.py")


def test_there_are_benchmarks():
    assert {p.name for p in SCRIPTS} >= {"suggest.py", "create_tickets.py", "mixed_storm.py"}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_benchmark_prints_its_usage(script):
    result = subprocess.run([sys.executable, str(script), "--help"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout
