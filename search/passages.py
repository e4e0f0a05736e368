"""Passage-level BM25: the best-matching section of each article, for long articles that dilute a match.

A long troubleshooting article (Symptoms, Cause, Resolution, More information…) answers a short request in
one section; article-level BM25F divides that match by the whole article's length. Each article is cut
into passages (its Markdown sections, long ones into chunks of ``MAX_TERMS`` analysed terms), scored with
whoosh's BM25 formula over the passage collection, and the best passage per article (max-pooled, "MaxP"),
divided by the query's own ceiling, is one more fused signal (``fusion.WEIGHTS["passage"]``).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from .analysis import analyze
from .fields import clean
from .markdown_text import plain_text
from .vectors import row_entries, term_counts

MAX_TERMS = 120  # analysed terms per passage: a section of a support article, not the whole article
K1, B = 1.2, 0.75


def sections(body: str, heading_lines: list[int]) -> list[str]:
    """Return the Markdown of each section of ``body`` (the text before the first heading counts as one)."""
    lines = body.split("\n")
    cuts = sorted({0, *(n - 1 for n in heading_lines if 0 < n <= len(lines)), len(lines)})
    return ["\n".join(lines[start:end]) for start, end in zip(cuts, cuts[1:])]


def article_passages(article, lang: str, max_terms: int = MAX_TERMS) -> list[list[str]]:
    """Return an article's passages as analysed terms: its sections, long ones cut into chunks."""
    found = []
    for markdown in sections(article.body, [h.line for h in article.headings]):
        terms = analyze(clean(plain_text(markdown)), lang)
        found.extend(terms[i:i + max_terms] for i in range(0, len(terms), max_terms))
    return found or [[]]


class PassageSignal:
    """Best passage BM25 per article, over a passages x terms count matrix (rows in article order)."""

    def __init__(self, counts: sparse.csr_matrix, starts: np.ndarray):
        self.counts = sparse.csr_matrix(counts)
        self.starts = np.asarray(starts, dtype=np.int64)
        self.passage_count = self.counts.shape[0]
        lengths = np.asarray(self.counts.sum(axis=1)).ravel()
        average = float(lengths.mean()) if lengths.size and lengths.mean() > 0 else 1.0
        self.norm = K1 * (1 - B + B * lengths / average)
        self.counts_t = sparse.csr_matrix(self.counts.T)
        from .bm25f import whoosh_idf

        self.idf = whoosh_idf(self.passage_count, np.diff(self.counts_t.indptr).astype(float))

    @classmethod
    def build(cls, passages_per_article: list[list[list[str]]], columns: dict[str, int]) -> PassageSignal:
        """Count the passages' terms with the index vocabulary; remember where each article starts."""
        rows, starts = [], []
        for passages in passages_per_article:
            starts.append(len(rows))
            rows.extend(passages or [[]])
        return cls(term_counts(rows, columns), np.asarray(starts))

    def scores(self, cols: list[int]) -> np.ndarray:
        """Return per article its best passage's BM25 divided by the query's ceiling (0..1)."""
        articles = len(self.starts)
        cols = sorted(set(cols))
        if not cols or not articles:
            return np.zeros(articles)
        positions, lengths = row_entries(self.counts_t, cols)
        tf, rows = self.counts_t.data[positions], self.counts_t.indices[positions]
        term = np.repeat(np.asarray(cols), lengths)
        per_passage = np.bincount(rows, weights=self.idf[term] * tf * (K1 + 1) / (tf + self.norm[rows]),
                                  minlength=self.passage_count)
        ceiling = float(self.idf[cols].sum()) * (K1 + 1)
        return np.maximum.reduceat(per_passage, self.starts) / ceiling if ceiling > 0 else np.zeros(articles)
