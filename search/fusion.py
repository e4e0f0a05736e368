"""Fuse calibrated signal scores into one ranking, a confidence and an abstention decision."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

WEIGHTS = {"bm25": 0.5, "word": 0.1, "char": 0.1, "passage": 0.2, "history": 0.5, "nearest": 0.3}
# With the encoder: the centred pooled passage cosine (search/semantic.py) weighs 3, BM25F half as much as alone and
# the best passage a tenth; the nearest past request in e5's space votes 0.1, and only by a clear margin (below:
# looser margins let other problems' history lower English mrr@10 by more than 0.01 once the pooled cosine ranks). Chosen by
# 5-fold cross-validation on the EN+FR dev queries from a fixed grid, where history about other problems may not
# lower either language's hit@5 or mrr@10 by more than 0.01 (benchmarks/fusion_cv.py; search/README.md, Fusion
# with the semantic signal).
SEMANTIC_WEIGHTS = {**WEIGHTS, "bm25": 0.25, "passage": 0.1, "history": 0.5, "semantic": 3.0, "semantic_nearest": 0.1}
# A request nearly identical to one reviewed past request (word + char cosine from 0.55, full at 0.8) goes to that
# request's article even when the article text and the pooled history field say little (a KB written with symptoms
# dwarfs the history field). Below 0.55 it stays silent: neutral on every dev split (search/README.md).
NEAREST_RAMP = (0.55, 0.25)
# The same vote in the encoder's space, by margin: e5 puts every helpdesk request near every other (a request's
# own paraphrases at a median cosine of 0.93, the nearest request about another problem at 0.91), so the nearest
# past request votes for its article(s) only by how much it beats the nearest request about anything else
# (from 0.02, full 0.03 above that): an absolute floor let other problems' history pull their articles up
# (search/README.md, History in the same space).
SEMANTIC_VOTE = (0.02, 0.03)
# Confidence = logistic(char, best line, matched, coverage): a logistic regression fitted on the
# pooled EN+FR dev queries *and* the relevance phrasings of our own KB
# (tests/test_search_relevance.py), in-scope answered vs out-of-scope; see search/README.md for
# the split-half figures. The character n-gram cosines (whole short text, best single line) are
# the best out-of-scope separators; the idf coverage of the query by the article carries over
# from symptom-less corpora to a KB written with symptoms.
CALIBRATION = {"char": 4.26, "line": 4.57, "word": 0.0, "matched": 1.67, "coverage": 4.36,
               "intercept": -6.08}
# With the semantic signal: the same features plus the article's semantic cosine, the query's semantic margin
# (first minus second article) and the cosine above the query's mean, all of its best passage; a logistic regression (C 10 on standardised
# features) chosen by cross-validation and fitted on the pooled EN+FR dev queries with our KB's relevance phrasings
# (benchmarks/fusion_cv.py; search/README.md, Fusion with the semantic signal).
SEMANTIC_CALIBRATION = {"char": -3.757, "line": 7.339, "word": 0.0, "matched": 2.982, "coverage": 2.106,
                        "intercept": -70.248, "semantic": 75.144, "semantic_margin": -39.027,
                        "semantic_centred": 12.447}
NO_ANSWER_PENALTY = 4.0
# A suggestion scoring under this share of the first one is not shown: on the dev sets and their history lines,
# no relevant article in ranks 2-5 fell under 0.48 of the first (145 cases) while 9 % of the others did, e.g.
# « Règles du télétravail » (matched on « hors ») under « imprimante hors ligne » at 0.19.
TAIL_RATIO = 0.4
# Abstention threshold on the top confidence, one for every KB and language: the threshold that maximises
# answered − false over the languages with each within a 0.10 false-suggestion budget, chosen on the dev queries'
# training folds (benchmarks/fusion_cv.py). Without the encoder the lexical confidence keeps its threshold, 0.6
# (the English one, the stricter of the two it had per language).
THRESHOLD = 0.81
LEXICAL_THRESHOLD = 0.6


@dataclass
class Ranking:
    """Articles ordered by fused score, with per-article and top confidences."""

    order: np.ndarray
    scores: np.ndarray
    confidences: np.ndarray
    confidence: float

    def top(self, k: int):
        """Yield ``(article number, score, confidence)`` for the first ``k`` articles."""
        for num in self.order[:k]:
            yield int(num), float(self.scores[num]), float(self.confidences[num])


def logistic(x):
    """Return the logistic function of ``x`` (scalar or array)."""
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def centred(semantic: np.ndarray) -> np.ndarray:
    """Return each article's semantic cosine above the query's mean over the KB (e5's cosines sit near 0.8)."""
    return semantic - float(semantic.mean()) if semantic.size else semantic


def semantic_vote(nearest: np.ndarray, no_answer: float = 0.0, vote=SEMANTIC_VOTE) -> np.ndarray:
    """Return 0..1 per article: the nearest past request's margin over the nearest one about anything else.

    Args:
        nearest: per article, the best encoder cosine of a past request it solved.
        no_answer: the best cosine of a past request no article solved (it counts as « anything else »).
        vote: (margin floor, span) of the ramp.
    """
    if not nearest.size:
        return nearest
    top = float(nearest.max())
    same = nearest >= top - 1e-6  # the articles the nearest request was solved with share its cosine
    second = max(float(nearest[~same].max()) if (~same).any() else 0.0, no_answer)
    out = np.zeros_like(nearest)
    out[same] = np.clip((top - second - vote[0]) / vote[1], 0.0, 1.0)
    return out


def combine(signals, evidence, options, weights=WEIGHTS) -> np.ndarray:
    """Return the fused score of every article (query-comparable scale, about 0..1)."""
    bm25 = signals.bm25 / signals.bm25_ceiling
    fused = weights["bm25"] * bm25 + weights["word"] * signals.word + weights["char"] * signals.char
    if signals.semantic is not None and "semantic" in weights:  # the encoder's best passage, above its mean
        fused = fused + weights["semantic"] * centred(signals.semantic)
    if signals.passage is not None:  # the best section of a long article, on its own 0..1 scale
        fused = fused + weights["passage"] * signals.passage
    if evidence is not None:  # the history field, on the article BM25F scale, and near-identical past requests
        fused = fused + weights["history"] * evidence.votes / signals.bm25_ceiling
        fused = fused + weights["nearest"] * np.clip((evidence.nearest - NEAREST_RAMP[0]) / NEAREST_RAMP[1], 0.0, 1.0)
        if evidence.semantic_nearest is not None and weights.get("semantic_nearest"):
            fused = fused + weights["semantic_nearest"] * semantic_vote(evidence.semantic_nearest,
                                                                        evidence.semantic_no_answer)
    return fused


def fuse(signals, evidence, mask, options, weights=WEIGHTS, calibration=None) -> Ranking:
    """Return the ranking and confidence of one query.

    Args:
        signals: the query's ``Signals``.
        evidence: history ``Evidence`` or None.
        mask: boolean array of visible articles, or None for all.
        options: the index ``Options``.

    Returns:
        A ``Ranking`` of the visible articles.
    """
    calibration = calibration or CALIBRATION
    if signals.semantic is not None and weights is WEIGHTS:
        weights = SEMANTIC_WEIGHTS
    fused = combine(signals, evidence, options, weights)
    if mask is not None:
        fused = np.where(mask, fused, -np.inf)
    count = int(mask.sum()) if mask is not None else fused.size
    order = np.argsort(-fused, kind="stable")[:count]
    matched = signals.matched / max(signals.terms, 1)
    coverage = signals.coverage if signals.coverage is not None else 0.0
    line = signals.line if signals.line is not None else signals.char
    if signals.semantic is not None and calibration is CALIBRATION:
        calibration = SEMANTIC_CALIBRATION
    logit = (calibration["char"] * signals.char + calibration["line"] * line + calibration["word"] * signals.word
             + calibration["matched"] * matched + calibration["coverage"] * coverage + calibration["intercept"])
    if signals.semantic is not None and "semantic" in calibration:
        best = signals.semantic_best if signals.semantic_best is not None else signals.semantic
        ranked = np.sort(best)[::-1]
        margin = float(ranked[0] - ranked[1]) if ranked.size > 1 else 0.0
        logit = (logit + calibration["semantic"] * best + calibration["semantic_margin"] * margin
                 + calibration["semantic_centred"] * centred(best))
    confidences = logistic(logit)
    if evidence is not None:
        confidences = 1.0 - (1.0 - confidences) * (1.0 - 0.95 * evidence.strength)
    top = float(confidences[order[0]]) if count else 0.0
    if evidence is not None and evidence.no_answer > 0 and count:
        best_vote = float(evidence.nearest[order[0]])
        if evidence.no_answer > best_vote:
            top *= math.exp(-NO_ANSWER_PENALTY * (evidence.no_answer - best_vote))
    return Ranking(order, fused, confidences, top)
