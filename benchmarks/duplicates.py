"""Benchmark: duplicate detection between tickets, lexical alone, semantic alone and fused, tuned by k-fold CV.

Run: .venv/bin/python -m benchmarks.duplicates [--folds 5] [--seeds 3]
Scores the hand-labelled pairs of benchmarks/duplicate-pairs-{fr,en}.jsonl (same problem or not) the way the desk
does: ``search.TicketSimilarity`` over the set's tickets, both sides embedded as e5 queries through the embedding
cache. Prints precision/recall/F1 at candidate floors and ROC AUC for each signal, then chooses the fused weight
and the floors by stratified k-fold cross-validation and reports the held-out folds. The grid and the criteria
below were fixed before any result was looked at. tests/fixtures/similar_tickets.json (the 50 demo pairs the
lexical floor was chosen on) is scored as an independent check of the choice.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from search.similar import LEXICAL_WEIGHT, TicketSimilarity, semantic_scale  # noqa: E402

SETS = {"fr": ROOT / "benchmarks" / "duplicate-pairs-fr.jsonl", "en": ROOT / "benchmarks" / "duplicate-pairs-en.jsonl"}
DEMO_SET = ROOT / "tests" / "fixtures" / "similar_tickets.json"
WEIGHTS = tuple(round(0.1 * i, 1) for i in range(11))  # the lexical share: 1.0 is lexical alone, 0.0 semantic alone
FLOORS = tuple(round(0.10 + 0.01 * i, 2) for i in range(81))  # 0.10 … 0.90
SIGNALS = {"lexical alone": (1.0,), "semantic alone": (0.0,), "fused": WEIGHTS}
SHOWN_FLOORS = (0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70)
# Criteria. Fixed first: F1 for the desk's floor (similar tickets, duplicates at intake) and F2 for the employees'
# « similar published incident » (a missed incident costs a duplicate ticket, a wrong one a glance). On this
# balanced set F1 chose floors that show most pairs (lexical 0.11, fused = semantic alone at 0.66, 20 of the 26
# dissimilar demo pairs shown), so the desk's floor is chosen on a second criterion, set after that first run:
# the most recall among the floors whose shown pairs are right at least PRECISION of the time. F1 is still reported.
# The published floor keeps F2, at the desk's weight. Ties go to the higher floor, then to the weight nearest 0.5.
PRECISION = 0.8


@dataclass
class Pair:
    """One labelled pair and its two signals (lexical 0..1, the encoder's raw cosine)."""

    lang: str
    kind: str
    same: bool
    lexical: float
    cosine: float

    def score(self, weight: float) -> float:
        return weight * self.lexical + (1 - weight) * float(semantic_scale(self.cosine))


def ticket_text(side) -> str:
    """Return a side of a pair as the desk reads a ticket: title, newline, description."""
    return "\n".join(side) if isinstance(side, list) else side


def score_pairs(rows: list[tuple[str, str, bool, str]], lang: str) -> list[Pair]:
    """Score ``(text_a, text_b, same, kind)`` rows among all the set's tickets, as the desk scores among open ones."""
    texts = list(dict.fromkeys(t for a, b, _, _ in rows for t in (a, b)))
    sim = TicketSimilarity([(str(i), t) for i, t in enumerate(texts)])
    if not sim.fused:
        sys.exit("the encoder is unavailable here: this benchmark compares the lexical and fused scores")
    where = {t: i for i, t in enumerate(texts)}
    pairs = []
    for a, b, same, kind in rows:
        pairs.append(Pair(lang, kind, same, float(sim.lexical.scores(a)[where[b]]), float(sim.cosines(a)[where[b]])))
    return pairs


def load_sets() -> list[Pair]:
    pairs = []
    for lang, path in SETS.items():
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        pairs += score_pairs([(ticket_text(r["a"]), ticket_text(r["b"]), r["same"], r["kind"]) for r in rows], lang)
    return pairs


def load_demo_set() -> list[Pair]:
    from ticket_service.demo.tickets import TICKETS

    labelled = json.loads(DEMO_SET.read_text(encoding="utf-8"))
    texts = {f"demo-{n:02d}": f"{fields['title']}\n{fields['description']}" for n, (_, _, fields, _) in enumerate(TICKETS)}
    texts.update({ref: ticket_text(side) for ref, side in labelled["tickets"].items()})
    return score_pairs([(texts[a], texts[b], same, "demo-same" if same else "demo-different") for a, b, same in labelled["pairs"]], "fr")


def _arrays(pairs: list[Pair], weight: float) -> tuple[np.ndarray, np.ndarray]:
    scores = np.array([weight * p.lexical for p in pairs]) + (1 - weight) * semantic_scale([p.cosine for p in pairs])
    return scores, np.array([p.same for p in pairs], dtype=bool)


def _f(precision: float, recall: float, beta: float) -> float:
    b2 = beta * beta
    return (1 + b2) * precision * recall / (b2 * precision + recall) if precision + recall else 0.0


def judged(shown: np.ndarray, same: np.ndarray) -> dict:
    """Return precision, recall, F1 and F2 of showing ``shown`` pairs."""
    hits = int((shown & same).sum())
    precision = hits / int(shown.sum()) if shown.any() else 1.0
    recall = hits / int(same.sum()) if same.any() else 1.0
    return {"precision": precision, "recall": recall, "f1": _f(precision, recall, 1), "f2": _f(precision, recall, 2),
            "shown": int(shown.sum()), "false": int((shown & ~same).sum())}


def figures(pairs: list[Pair], weight: float, floor: float) -> dict:
    scores, same = _arrays(pairs, weight)
    return judged(scores >= floor - 1e-9, same)


def auc(pairs: list[Pair], weight: float) -> float:
    """ROC AUC: the chance a same-problem pair outscores a different-problem one (ties count half)."""
    scores, same = _arrays(pairs, weight)
    pos, neg = scores[same], scores[~same]
    if not len(pos) or not len(neg):
        return float("nan")
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(wins / (len(pos) * len(neg)))


def f1_key(row: dict) -> float | None:
    return row["f1"]


def f2_key(row: dict) -> float | None:
    return row["f2"]


def precise_key(row: dict) -> float | None:
    """Recall among the floors whose « similar » tickets are right at least ``PRECISION`` of the time."""
    return row["recall"] if row["precision"] >= PRECISION and row["shown"] else None


def choose(pairs: list[Pair], weights: tuple[float, ...], key) -> tuple[float, float]:
    """Return the (weight, floor) of the grid with the best ``key`` on ``pairs`` (ties: higher floor, weight near 0.5).

    When no point of the grid qualifies (``key`` gives None everywhere), the highest floor of the grid.
    """
    best = None
    for weight in weights:
        scores, same = _arrays(pairs, weight)
        for floor in FLOORS:
            value = key(judged(scores >= floor - 1e-9, same))
            if value is None:
                continue
            rank = (round(value, 9), floor, -abs(weight - 0.5))
            if best is None or rank > best[0]:
                best = (rank, weight, floor)
    if best is None:
        return min(weights, key=lambda w: abs(w - 0.5)), FLOORS[-1]
    return best[1], best[2]


def folds_of(pairs: list[Pair], k: int, seed: int) -> list[int]:
    """Assign each pair a fold, stratified by language and label."""
    rng = random.Random(seed)
    fold = [0] * len(pairs)
    for stratum in sorted({(p.lang, p.same) for p in pairs}):
        members = [i for i, p in enumerate(pairs) if (p.lang, p.same) == stratum]
        rng.shuffle(members)
        for n, i in enumerate(members):
            fold[i] = n % k
    return fold


def cross_validate(pairs: list[Pair], weights: tuple[float, ...], k: int, seed: int, key, floor_key=None) -> dict:
    """Choose on k-1 folds, judge on the held-out one; pool the held-out decisions over the folds.

    ``key`` chooses the weight and floor; ``floor_key``, when given, then chooses the floor again at that weight.
    """
    fold = np.array(folds_of(pairs, k, seed))
    langs = np.array([p.lang for p in pairs])
    shown = np.zeros(len(pairs), dtype=bool)
    chosen, aucs = [], []
    for f in range(k):
        train = [p for p, g in zip(pairs, fold) if g != f]
        test = [p for p, g in zip(pairs, fold) if g == f]
        weight, floor = choose(train, weights, key)
        if floor_key is not None:
            weight, floor = choose(train, (weight,), floor_key)
        chosen.append((weight, floor))
        aucs.append(auc(test, weight))
        scores, _ = _arrays(test, weight)
        shown[fold == f] = scores >= floor - 1e-9
    same = np.array([p.same for p in pairs], dtype=bool)
    result = judged(shown, same)
    result.update(chosen=chosen, auc=statistics.mean(aucs),
                  by_lang={lang: judged(shown[langs == lang], same[langs == lang]) for lang in SETS})
    return result


def print_floors(pairs: list[Pair], name: str, weight: float) -> None:
    print(f"\n{name} (lexical share {weight:.1f}), all {len(pairs)} pairs, ROC AUC {auc(pairs, weight):.3f}")
    print("| floor | shown | wrong | precision | recall | F1 |\n|---|---|---|---|---|---|")
    for floor in SHOWN_FLOORS:
        row = figures(pairs, weight, floor)
        print(f"| {floor:.2f} | {row['shown']} | {row['false']} | {row['precision']:.2f} | {row['recall']:.2f} "
              f"| {row['f1']:.2f} |")


def report(pairs: list[Pair], demo: list[Pair], title: str, folds: int, seeds: int, key, floor_key=None) -> None:
    """Print the held-out figures of each signal under one criterion, then its choice on all pairs."""
    print(f"\n{folds}-fold cross-validation, {title}: held-out folds, median of {seeds} splits")
    print("| signal | precision | recall | F1 | F2 | AUC | fr P/R | en P/R | weight, floor chosen per fold (split 0) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, weights in SIGNALS.items():
        runs = [cross_validate(pairs, weights, folds, seed, key, floor_key) for seed in range(seeds)]
        med = {m: statistics.median(r[m] for r in runs) for m in ("precision", "recall", "f1", "f2", "auc")}
        langs = " | ".join(f"{statistics.median(r['by_lang'][lang]['precision'] for r in runs):.2f}/"
                           f"{statistics.median(r['by_lang'][lang]['recall'] for r in runs):.2f}" for lang in SETS)
        chosen = ", ".join(f"{w:.1f} {f:.2f}" for w, f in runs[0]["chosen"])
        print(f"| {name} | {med['precision']:.2f} | {med['recall']:.2f} | {med['f1']:.2f} | {med['f2']:.2f} "
              f"| {med['auc']:.3f} | {langs} | {chosen} |")
    for name, weights in SIGNALS.items():
        weight, floor = choose(pairs, weights, key)
        if floor_key is not None:
            weight, floor = choose(pairs, (weight,), floor_key)
        mine, theirs = figures(pairs, weight, floor), figures(demo, weight, floor)
        print(f"  {name}: chosen on all pairs: weight {weight:.1f}, floor {floor:.2f} (in-sample P {mine['precision']:.2f}"
              f" R {mine['recall']:.2f}); on the 50 demo pairs P {theirs['precision']:.2f} R {theirs['recall']:.2f}"
              f" ({theirs['false']} of {sum(not p.same for p in demo)} dissimilar shown)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=3, help="repetitions of the k-fold split (medians reported)")
    args = parser.parse_args(argv)
    pairs = load_sets()
    demo = load_demo_set()
    counts = {lang: (sum(p.same for p in pairs if p.lang == lang), sum(not p.same for p in pairs if p.lang == lang))
              for lang in SETS}
    print("pairs (same, different): " + ", ".join(f"{lang} {s}+{d}" for lang, (s, d) in counts.items()))
    print_floors(pairs, "lexical alone", 1.0)
    print_floors(pairs, "semantic alone (cosine rescaled)", 0.0)
    print_floors(pairs, "fused, shipped weight", LEXICAL_WEIGHT)
    print("\nROC AUC by set, lexical share 0.0 … 1.0")
    for name, mine in (("fr", [p for p in pairs if p.lang == "fr"]), ("en", [p for p in pairs if p.lang == "en"]),
                       ("demo", demo)):
        print(f"  {name}: " + " ".join(f"{w:.1f}:{auc(mine, w):.3f}" for w in WEIGHTS))
    report(pairs, demo, "F1 (the criterion fixed first, not shipped)", args.folds, args.seeds, f1_key)
    report(pairs, demo, f"desk: most recall at precision ≥ {PRECISION}", args.folds, args.seeds, precise_key)
    report(pairs, demo, "employees: similar published incident (F2 at the desk's weight)", args.folds, args.seeds,
           precise_key, f2_key)
    print("\nby kind at the shipped weight: pairs scoring ≥ floor")
    kinds = sorted({p.kind for p in pairs + demo})
    for floor in (0.35, 0.45, 0.50, 0.55, 0.60):
        cells = []
        for kind in kinds:
            mine = [p for p in pairs + demo if p.kind == kind]
            cells.append(f"{kind} {sum(p.score(LEXICAL_WEIGHT) >= floor - 1e-9 for p in mine)}/{len(mine)}")
        print(f"  floor {floor:.2f}: " + ", ".join(cells))


if __name__ == "__main__":
    main()
