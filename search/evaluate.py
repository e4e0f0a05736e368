"""Relevance and abstention metrics of the suggestion index on labelled queries (hit@k, MRR, nDCG, abstention)."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np

from .analysis import LANGUAGES
from .errors import SearchError


def read_queries(path: Path | str) -> list[dict]:
    """Read eval query lines ``{"id", "query", "relevant": [ids], "lang"}``.

    Raises:
        SearchError: when a line is not JSON, lacks ``query``/``relevant``, or names a language the index
            does not analyse.
    """
    queries = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            queries.append({"id": data.get("id", str(number)), "query": str(data["query"]),
                            "relevant": [str(r) for r in data["relevant"]], "lang": data.get("lang")})
        except (ValueError, KeyError, TypeError) as exc:
            raise SearchError(f"{path}:{number}: not a query line ({exc})") from None
        lang = queries[-1]["lang"]
        if lang is not None and lang not in LANGUAGES:
            raise SearchError(f"{path}:{number}: unknown language {lang!r}; use one of {', '.join(LANGUAGES)} "
                              "or leave \"lang\" out to detect it")
    return queries


def unknown_articles(index, queries) -> list[str]:
    """Return the relevant ids of ``queries`` that are not articles of ``index`` (a wrong ``--kb`` or a typo)."""
    return sorted({r for q in queries for r in q["relevant"]} - set(index.ids))


def ndcg(ranked: list[str], relevant: set[str], k: int = 10) -> float:
    """Return nDCG@k with binary gains and the ideal over min(|relevant|, k) positions."""
    dcg = sum(1 / math.log2(i + 2) for i, doc in enumerate(ranked[:k]) if doc in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


def query_metrics(ranked: list[str], relevant: set[str]) -> dict:
    """Return the per-query ranking metrics of one in-scope query."""
    first = next((i for i, doc in enumerate(ranked[:10]) if doc in relevant), None)
    return {
        "hit@1": float(bool(set(ranked[:1]) & relevant)),
        "hit@5": float(bool(set(ranked[:5]) & relevant)),
        "recall@1": len(set(ranked[:1]) & relevant) / len(relevant),
        "recall@5": len(set(ranked[:5]) & relevant) / len(relevant),
        "mrr@10": 0.0 if first is None else 1 / (first + 1),
        "ndcg@10": ndcg(ranked, relevant),
    }


def oos_auc(correct_scores: list[float], oos_scores: list[float]) -> float | None:
    """Return P(top score of a correct in-scope query > that of an out-of-scope one), ties ½."""
    if not correct_scores or not oos_scores:
        return None
    a, b = np.asarray(correct_scores)[:, None], np.asarray(oos_scores)[None, :]
    return float(((a > b) + 0.5 * (a == b)).mean())


def evaluate(index_or_builder, queries, *, audience: str = "employees", k: int = 5,
             build_s: float | None = None) -> dict:
    """Evaluate a suggestion index on labelled queries.

    Args:
        index_or_builder: a ``SuggestionIndex``, or a zero-argument callable returning one
            (then timed as ``build_s``).
        queries: dicts ``{"id", "query", "relevant", "lang"}`` (``relevant: []`` = out of scope).
        audience: the audience the queries are asked as.
        k: suggestions shown (``answered_hit@k`` uses it).
        build_s: build time to report when an index is given.

    Returns:
        A dict with ``queries``, ``in_scope``, ``out_of_scope``, ``hit@1``, ``hit@5``,
        ``recall@1``, ``recall@5``, ``mrr@10``, ``ndcg@10``, ``answered@5``, ``answered_hit@5``,
        ``correct@1``, ``false_suggestion_rate``, ``oos_auc``, ``threshold`` (per language), ``latency_ms_p50``,
        ``latency_ms_p95``, ``build_s`` and ``per_query`` details.

    Raises:
        SearchError: when there is no query.
    """
    if not queries:
        raise SearchError("no query to evaluate")
    if callable(index_or_builder) and not hasattr(index_or_builder, "suggest"):
        start = time.perf_counter()
        index = index_or_builder()
        build_s = time.perf_counter() - start
    else:
        index = index_or_builder
    index.suggest(queries[0]["query"], audience=audience, k=k)  # warm caches
    sums: dict[str, float] = {}
    latencies, per_query, correct_scores, oos_scores = [], [], [], []
    answered = answered_hit = correct_top = false = 0
    for q in queries:
        start = time.perf_counter()
        result = index.suggest(q["query"], lang=q.get("lang"), audience=audience, k=k)
        latencies.append((time.perf_counter() - start) * 1000)
        ranking = index.rank(q["query"], audience=audience)
        ranked = [index.docs[num].id for num, _, _ in ranking.top(10)]
        relevant = set(q["relevant"])
        shown = not result.abstained
        row = {"id": q["id"], "ranked": ranked, "confidence": ranking.confidence, "shown": shown}
        if relevant:
            metrics = query_metrics(ranked, relevant)
            for name, value in metrics.items():
                sums[name] = sums.get(name, 0.0) + value
            answered += shown
            answered_hit += shown and bool(metrics["hit@5"])
            correct_top += shown and bool(metrics["hit@1"])
            if metrics["hit@1"]:
                correct_scores.append(ranking.confidence)
            row.update(metrics)
        else:
            false += shown
            oos_scores.append(ranking.confidence)
        per_query.append(row)
    n_in = sum(bool(q["relevant"]) for q in queries)
    n_out = len(queries) - n_in
    report = {"queries": len(queries), "in_scope": n_in, "out_of_scope": n_out}
    for name in ("hit@1", "hit@5", "recall@1", "recall@5", "mrr@10", "ndcg@10"):
        report[name] = round(sums.get(name, 0.0) / n_in, 4) if n_in else None
    report.update({
        "answered@5": round(answered / n_in, 4) if n_in else None,
        "answered_hit@5": round(answered_hit / n_in, 4) if n_in else None,
        "correct@1": round(correct_top / n_in, 4) if n_in else None,
        "false_suggestion_rate": round(false / n_out, 4) if n_out else None,
        "oos_auc": oos_auc(correct_scores, oos_scores),
        "threshold": index.thresholds,
        "latency_ms_p50": round(float(np.percentile(latencies, 50)), 2),
        "latency_ms_p95": round(float(np.percentile(latencies, 95)), 2),
        "build_s": None if build_s is None else round(build_s, 2),
        "per_query": per_query,
    })
    return report
