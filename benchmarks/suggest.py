"""Benchmark Guichet's suggestions against the baselines, with ablations, our own KB and a 20k scale run.

Usage: ``.venv/bin/python benchmarks/suggest.py [--eval DIR] [--scale N] [--skip-scale]``.
Prints Markdown tables (paste them into benchmarks/RESULTS.md).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from baselines import BASELINES, BM25S  # noqa: E402

from search import build_index, evaluate, load_articles  # noqa: E402
from search.articles import Article  # noqa: E402
from search.evaluate import oos_auc, query_metrics, read_queries  # noqa: E402
from search.history import read_history  # noqa: E402

COLUMNS = ["hit@1", "hit@5", "mrr@10", "ndcg@10", "oos_auc", "answered_hit@5",
           "false_suggestion_rate", "latency_ms_p50", "latency_ms_p95", "build_s"]


def eval_baseline(engine, queries, build_s) -> dict:
    """Return ranking metrics, OOS AUC and latency of a baseline (it never abstains)."""
    sums, latencies, correct, oos = {}, [], [], []
    for q in queries:
        start = time.perf_counter()
        hits = engine.rank(q["query"], 10)
        latencies.append((time.perf_counter() - start) * 1000)
        ranked = [doc for doc, _ in hits]
        top = hits[0][1] if hits else 0.0
        if q["relevant"]:
            m = query_metrics(ranked, set(q["relevant"]))
            for k, v in m.items():
                sums[k] = sums.get(k, 0) + v
            if m["hit@1"]:
                correct.append(top)
        else:
            oos.append(top)
    n = sum(bool(q["relevant"]) for q in queries)
    report = {k: v / n for k, v in sums.items()}
    report.update({"oos_auc": oos_auc(correct, oos), "answered_hit@5": report["hit@5"],
                   "false_suggestion_rate": 1.0 if oos else None,
                   "latency_ms_p50": float(np.percentile(latencies, 50)),
                   "latency_ms_p95": float(np.percentile(latencies, 95)), "build_s": build_s})
    return report


def timed(factory):
    """Return ``(object, seconds)``."""
    start = time.perf_counter()
    value = factory()
    return value, time.perf_counter() - start


def row(lang, name, report) -> str:
    """Format one Markdown table row."""
    cells = []
    for col in COLUMNS:
        value = report.get(col)
        cells.append("–" if value is None else (f"{value:.1f}" if col.startswith(("latency", "build"))
                                                 else f"{value:.2f}"))
    return f"| {lang} | {name} | " + " | ".join(cells) + " |"


def parent(query_id: str) -> str:
    """Return the dev query id a history line belongs to (``en-dev-001-h1`` -> ``en-dev-001``)."""
    return query_id.rsplit("-h", 1)[0]


def kb_runs() -> list[str]:
    """Run every engine on our own KB (``kb/``) with fresh employee phrasings (``benchmarks/kb-queries-*.jsonl``).

    The phrasings were written without running the index and never used for tuning; technician-only articles
    are left out of ``relevant`` (employees are never shown them), so a request only they solve is out of scope.
    """
    here = Path(__file__).resolve().parent
    articles = load_articles(here.parent / "kb")
    visible = [a for a in articles if a.audience == "employees"]
    index, build_s = timed(lambda: build_index(articles))
    rows = []
    for lang in ("fr", "en"):
        queries = read_queries(here / f"kb-queries-{lang}.jsonl")
        for cls in BASELINES:
            engine, seconds = timed(lambda: cls(visible, "fr"))  # the KB is French whatever the request
            rows.append(row(lang, cls.name, eval_baseline(engine, queries, seconds)))
        rows.append(row(lang, "**Guichet**", evaluate(index, queries, build_s=build_s)))
    return rows


def dev_runs(eval_dir: Path, lang: str) -> list[str]:
    """Run every engine on one language's dev set; return table rows."""
    articles = load_articles(eval_dir / f"corpus-{lang}", lenient=True)
    queries = read_queries(eval_dir / f"queries-{lang}-dev.jsonl")
    history = read_history(eval_dir / f"history-{lang}-dev.jsonl")
    rows = []
    for cls in BASELINES:
        engine, build_s = timed(lambda: cls(articles, lang))
        rows.append(row(lang, cls.name, eval_baseline(engine, queries, build_s)))
    index, build_s = timed(lambda: build_index(articles))
    rows.append(row(lang, "**Guichet**", evaluate(index, queries, build_s=build_s)))
    for off in ("use_bm25", "use_word", "use_char", "use_passages"):
        ablated, seconds = timed(lambda: build_index(articles, **{off: False}))
        rows.append(row(lang, f"Guichet − {off[4:]}", evaluate(ablated, queries, build_s=seconds)))
    learned = index.with_history(history)
    rows.append(row(lang, "**Guichet + history**", evaluate(learned, queries, build_s=build_s)))
    first = {q["id"] for q in queries[: len(queries) // 2]}
    second = queries[len(queries) // 2:]
    others = [h for h in history if parent(h.source.removeprefix("eval:")) in first]
    rows.append(row(lang, "Guichet, 2nd half, no history", evaluate(index, second)))
    rows.append(row(lang, "Guichet, 2nd half, 1st-half history", evaluate(index.with_history(others), second)))
    # A larger check of the ranking alone: the history lines (other employees' phrasings, never used for tuning)
    # asked as queries, without history.
    phrasings = read_queries(eval_dir / f"history-{lang}-dev.jsonl")
    rows.append(row(lang, "Guichet, history lines as queries", evaluate(index, phrasings)))
    no_passages = build_index(articles, use_passages=False)
    rows.append(row(lang, "Guichet − passages, history lines as queries", evaluate(no_passages, phrasings)))
    return rows


def synthetic_kb(eval_dir: Path, size: int, seed: int = 7) -> list[Article]:
    """Make ``size`` articles by mixing titles and paragraphs of both shared corpora."""
    rng = random.Random(seed)
    pool = load_articles(eval_dir / "corpus-en", lenient=True) + load_articles(eval_dir / "corpus-fr", lenient=True)
    out = list(pool)
    while len(out) < size:
        a, b = rng.sample(pool, 2)
        paras = a.body.split("\n\n")
        extra = b.body.split("\n\n")
        body = "\n\n".join(paras[: max(1, len(paras) // 2)] + extra[len(extra) // 2:])
        out.append(Article(id=f"synthetic/{len(out)}.md", title=f"{a.title} ({b.title.split()[0]})",
                           path=f"synthetic/{len(out)}.md", body=body, headings=a.headings[:3]))
    return out[:size]


def rss_mb() -> float:
    """Return this process's resident memory in MB, after handing freed memory back to the system.

    Without the collection and glibc's ``malloc_trim`` the memory a previous engine freed stays resident
    until some later allocation, and the next engine's growth came out negative.
    """
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the figure is rougher, not wrong
        pass
    with open(f"/proc/{os.getpid()}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def scale_run(eval_dir: Path, size: int) -> list[str]:
    """Build Guichet and bm25s over a synthetic KB; return table rows with latency ratio."""
    articles = synthetic_kb(eval_dir, size)
    queries = [q["query"] for q in read_queries(eval_dir / "queries-en-dev.jsonl")]
    queries += [q["query"] for q in read_queries(eval_dir / "queries-fr-dev.jsonl")]
    rows, latency = [], {}
    for name, factory in (("Guichet (sparse BM25F)", lambda: build_index(articles)),
                          ("bm25s", lambda: BM25S(articles, "en"))):
        before = rss_mb()
        engine, build_s = timed(factory)
        memory = rss_mb() - before
        call = (lambda t: engine.suggest(t, audience="technicians")) if name.startswith("Guichet") else (
            lambda t: engine.rank(t, 10))
        call(queries[0])
        times = []
        for text in queries:
            start = time.perf_counter()
            call(text)
            times.append((time.perf_counter() - start) * 1000)
        p50, p95 = np.percentile(times, 50), np.percentile(times, 95)
        latency[name] = p95
        rows.append(f"| {name} | {len(articles):,} | {build_s:.1f} | {memory:.0f} | {p50:.1f} | {p95:.1f} |")
        del engine
    ratio = latency["Guichet (sparse BM25F)"] / latency["bm25s"]
    rows.append(f"\nGuichet p95 / bm25s p95 = {ratio:.1f}×")
    return rows


def main() -> None:
    """Run the whole benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", default=str(Path(__file__).resolve().parents[2] / "shared" / "eval"),
                        help="folder of the shared corpora and dev queries (default: ../shared/eval)")
    parser.add_argument("--scale", type=int, default=20_000, help="articles of the synthetic scale run")
    parser.add_argument("--skip-scale", action="store_true", help="skip the synthetic scale run")
    args = parser.parse_args()
    eval_dir = Path(args.eval)
    print("## Dev sets (shared/eval), single thread, warm\n")
    print("| lang | engine | " + " | ".join(COLUMNS) + " |")
    print("|---|---|" + "---|" * len(COLUMNS))
    for lang in ("en", "fr"):
        for line in dev_runs(eval_dir, lang):
            print(line, flush=True)
    print("\n## Our own KB (kb/), fresh employee phrasings (benchmarks/kb-queries-*.jsonl)\n")
    print("| lang | engine | " + " | ".join(COLUMNS) + " |")
    print("|---|---|" + "---|" * len(COLUMNS))
    for line in kb_runs():
        print(line, flush=True)
    if not args.skip_scale:
        print(f"\n## Scale: synthetic KB of {args.scale:,} articles (EN+FR dev queries)\n")
        print("| engine | articles | build s | memory MB | p50 ms | p95 ms |\n|---|---|---|---|---|---|")
        for line in scale_run(eval_dir, args.scale):
            print(line, flush=True)


if __name__ == "__main__":
    main()
