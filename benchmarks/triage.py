"""Benchmark: triage from history (category and group with a confidence) against the majority-class baseline.

Run: .venv/bin/python -m benchmarks.triage [--folds 5] [--seeds 3] [--c 10]
Scores ``search.train_triage`` on benchmarks/data/triage_tickets.jsonl (built by
benchmarks/data/make_triage_tickets.py: 420 French tickets, 28 topics, 3 hand-written templates each) by grouped
cross-validation: every ticket is predicted by a model that never saw its *template* (unseen wording of a known
kind of request), then, harsher, never saw its *topic* (a kind of request no past ticket was about). Prints the
held-out accuracy of each target beside the majority-class baseline (the most frequent label outside the ticket's
own template or topic, what a model blind to the text would say), then, at several confidence thresholds, the coverage
(share of tickets answered) and the accuracy of the answered ones: what ``triage.auto_apply_confidence`` would do.
Medians over ``--seeds`` fold shuffles.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from search.triage import C, TARGETS, cross_validate, held_out_accuracy, ticket_text, train_triage  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "triage_tickets.jsonl"
THRESHOLDS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9)


def load(path: Path) -> list[dict]:
    """Return the labelled tickets, each with the text the model reads."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for row in rows:
        row["text"] = ticket_text(row["title"], row["description"])
    return rows


def majority_accuracy(rows: list[dict], target: str, clusters: list[str]) -> float:
    """Return the accuracy of answering, for each ticket, the most frequent label of the tickets outside its cluster."""
    right = 0
    for row, cluster in zip(rows, clusters):
        training = Counter(r[target] for r, k in zip(rows, clusters) if k != cluster and r[target])
        right += training.most_common(1)[0][0] == row[target]
    return right / len(rows)


def run(rows: list[dict], key: str, folds: int, seeds: int, c: float) -> dict:
    """Return median figures over ``seeds`` shuffles, holding out by ``key`` (template or topic)."""
    clusters = [r[key] for r in rows]
    figures: dict = {t: {th: ([], []) for th in THRESHOLDS} for t in TARGETS}
    for seed in range(seeds):
        results = cross_validate(rows, TARGETS, folds=folds, clusters=clusters, c=c, seed=seed)
        for target in TARGETS:
            for threshold in THRESHOLDS:
                accuracy, coverage = held_out_accuracy(results, target, threshold)
                figures[target][threshold][0].append(accuracy)
                figures[target][threshold][1].append(coverage)
    out = {}
    for target in TARGETS:
        baseline = majority_accuracy(rows, target, clusters)
        out[target] = {"baseline": baseline,
                       "thresholds": {th: (statistics.median(a), statistics.median(cv))
                                      for th, (a, cv) in figures[target].items()}}
    return out


def latency(rows: list[dict], c: float) -> tuple[float, float, float]:
    """Return the median milliseconds of a training on the whole set, of one ticket's prediction (what each create
    pays), and of the same ticket's TF-IDF features alone (the share the vectorizers take)."""
    trainings = []
    for _ in range(3):
        start = time.perf_counter()
        model = train_triage(rows, TARGETS, c=c)
        trainings.append(time.perf_counter() - start)
    texts = [r["text"] for r in rows[:200]]
    predict, features = [], []
    for text in texts:
        start = time.perf_counter()
        model.predict(text)
        predict.append(time.perf_counter() - start)
        start = time.perf_counter()
        model.features([text])
        features.append(time.perf_counter() - start)
    return (1000 * statistics.median(trainings), 1000 * statistics.median(predict), 1000 * statistics.median(features))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=3, help="fold shuffles; the table shows medians")
    parser.add_argument("--c", type=float, default=C, help="the logistic regression's inverse regularisation")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)
    rows = load(args.data)
    print(f"{len(rows)} tickets, {len({r['topic'] for r in rows})} topics, {len({r['template'] for r in rows})} "
          f"templates; {args.folds}-fold grouped CV, median of {args.seeds} shuffles, C={args.c:g}")
    for target in TARGETS:
        counts = Counter(r[target] for r in rows)
        print(f"  {target}: {len(counts)} labels, most frequent {counts.most_common(1)[0][0]} "
              f"({counts.most_common(1)[0][1] / len(rows):.1%})")
    print()
    print("| held out by | target | majority baseline | model accuracy | "
          + " | ".join(f"cov / acc ≥ {th:.1f}" for th in THRESHOLDS[1:]) + " |")
    print("|---|---|---|---|" + "---|" * (len(THRESHOLDS) - 1))
    for key in ("template", "topic"):
        figures = run(rows, key, args.folds, args.seeds, args.c)
        for target in TARGETS:
            f = figures[target]
            cells = " | ".join(f"{cov:.0%} / {acc:.0%}" for acc, cov in
                               (f["thresholds"][th] for th in THRESHOLDS[1:]))
            print(f"| {key} | {target} | {f['baseline']:.1%} | {f['thresholds'][0.0][0]:.1%} | {cells} |")
    train_ms, predict_ms, features_ms = latency(rows, args.c)
    print()
    print(f"training on all {len(rows)} tickets: median {train_ms:.0f} ms; one ticket's prediction (paid by each "
          f"create): median {predict_ms:.2f} ms, of which features {features_ms:.2f} ms")


if __name__ == "__main__":
    main()
