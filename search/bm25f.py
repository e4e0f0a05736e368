"""Whoosh BM25F over the article fields: whoosh's own searcher, or its formula on sparse matrices.

Whoosh's ``BM25F`` model sums, over fields and query terms, ``boost * bm25(idf, tf, fl, avgfl,
B, K1)`` with ``idf = log(N / (df + 1)) + 1`` per field. ``SparseBM25F`` applies exactly that
(``whoosh.scoring.bm25`` evaluated on numpy arrays) to per-field term-frequency matrices, which
is what the saved artifact holds; ``WhooshBM25F`` runs a real whoosh index in RAM built from the
same terms. Both give the same scores (tests check it). Whoosh's searcher is used for small KBs
(``WHOOSH_MAX_DOCS``); above that its pure-Python indexing (about 4 s for 1.5k long articles) and
posting-list walk (20-50 ms per query) break the load-time and latency budgets, so the sparse
form is used (documented in ``search/README.md``).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

WHOOSH_MAX_DOCS = 300
DEFAULT_K1 = 1.2


def whoosh_idf(doc_count: int, df: np.ndarray) -> np.ndarray:
    """Return whoosh's BM25F idf ``log(N / (df + 1)) + 1`` for document frequencies ``df``."""
    return np.log(max(doc_count, 1) / (df + 1.0)) + 1.0


class SparseBM25F:
    """BM25F scores from per-field term-frequency matrices (documents x vocabulary)."""

    def __init__(self, matrices: dict[str, sparse.csc_matrix], boosts: dict[str, float],
                 b_values: dict[str, float], k1: float = DEFAULT_K1):
        self.fields = list(matrices)
        self.matrices = {f: sparse.csc_matrix(m) for f, m in matrices.items()}
        self.boosts, self.b_values, self.k1 = boosts, b_values, k1
        self.doc_count = next(iter(self.matrices.values())).shape[0]
        self.lengths = {f: np.asarray(m.sum(axis=1)).ravel() for f, m in self.matrices.items()}
        self.avg = {f: (float(v.mean()) if v.size else 0.0) or 1.0 for f, v in self.lengths.items()}
        self.idf = {f: whoosh_idf(self.doc_count, np.diff(m.indptr).astype(float))
                    for f, m in self.matrices.items()}

    def scores(self, columns: list[int]) -> np.ndarray:
        """Return the BM25F score of every document for the query term columns (deduplicated)."""
        from whoosh.scoring import bm25

        total = np.zeros(self.doc_count)
        for field in self.fields:
            boost = self.boosts.get(field, 1.0)
            if not boost:
                continue
            matrix, idf = self.matrices[field], self.idf[field]
            for col in columns:
                start, end = matrix.indptr[col], matrix.indptr[col + 1]
                if start == end:
                    continue
                rows = matrix.indices[start:end]
                tf = matrix.data[start:end]
                total[rows] += boost * bm25(idf[col], tf, self.lengths[field][rows],
                                            self.avg[field], self.b_values.get(field, 0.75), self.k1)
        return total

    def ceiling(self, columns: list[int]) -> float:
        """Return a query's best possible score scale: boosted idf sum times (K1 + 1)."""
        best = 0.0
        for col in columns:
            best += max(self.boosts.get(f, 1.0) * self.idf[f][col] for f in self.fields)
        return best * (self.k1 + 1) or 1.0


class WhooshBM25F:
    """The same BM25F computed by a whoosh index held in RAM (small KBs)."""

    def __init__(self, field_terms: dict[str, list[list[str]]], boosts: dict[str, float],
                 b_values: dict[str, float], k1: float = DEFAULT_K1):
        from whoosh import analysis, fields, scoring
        from whoosh.filedb.filestore import RamStorage

        names = list(field_terms)
        self.boosts = boosts
        self.doc_count = len(next(iter(field_terms.values()), []))
        tokenizer = analysis.SpaceSeparatedTokenizer()
        schema = fields.Schema(num=fields.NUMERIC(stored=True, numtype=int),
                               **{f: fields.TEXT(analyzer=tokenizer, phrase=False) for f in names})
        self.index = RamStorage().create_index(schema)
        writer = self.index.writer()
        for num in range(self.doc_count):
            writer.add_document(num=num, **{f: " ".join(field_terms[f][num]) for f in names})
        writer.commit()
        model = scoring.BM25F(K1=k1, **{f"{f}_B": b for f, b in b_values.items()})
        self.searcher = self.index.searcher(weighting=model)
        self.names = names

    def scores(self, terms: list[str]) -> np.ndarray:
        """Return the BM25F score of every document for the (deduplicated) query terms."""
        from whoosh import query

        total = np.zeros(self.doc_count)
        clauses = [query.Term(f, t, boost=self.boosts.get(f, 1.0))
                   for t in dict.fromkeys(terms) for f in self.names if self.boosts.get(f, 1.0)]
        if not clauses:
            return total
        for hit in self.searcher.search(query.Or(clauses), limit=None):
            total[hit["num"]] = hit.score
        return total

    def close(self) -> None:
        """Release the searcher."""
        self.searcher.close()

