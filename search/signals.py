"""The index's evidence: BM25F and TF-IDF over the articles, k-nearest past requests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .analysis import fold
from .bm25f import WHOOSH_MAX_DOCS, SparseBM25F, WhooshBM25F
from .fields import FIELDS, Options
from .vectors import TfidfSignal, char_vectorizer, smooth_idf, term_counts, weigh

WORD_WEIGHTS = {"title": 2.0, "symptoms": 2.0, "tags": 1.0, "headings": 1.0, "body": 1.0}


@dataclass
class Signals:
    """Per-article scores of one query, before fusion."""

    bm25: np.ndarray  # raw BM25F
    bm25_ceiling: float  # the query's BM25F scale, for a query-independent normalisation
    word: np.ndarray  # TF-IDF cosine over all fields
    char: np.ndarray  # character n-gram TF-IDF cosine over short fields
    matched: int  # query terms found in the vocabulary
    terms: int  # query terms


class Parts:
    """The article-side matrices and the scorers built on them."""

    def __init__(self, vocabulary: list[str], field_tf: dict[str, sparse.csr_matrix],
                 word: TfidfSignal, char: TfidfSignal, options: Options):
        self.vocabulary = vocabulary
        self.columns = {t: i for i, t in enumerate(vocabulary)}
        self.field_tf, self.word, self.char, self.options = field_tf, word, char, options
        self.doc_count = word.matrix.shape[0]
        self.sparse_bm25 = SparseBM25F(field_tf, options.boosts, options.b_values, options.k1)
        self.whoosh = None
        if options.backend == "whoosh" or (options.backend == "auto" and self.doc_count <= WHOOSH_MAX_DOCS):
            self.whoosh = WhooshBM25F(self.field_terms(), options.boosts, options.b_values, options.k1)
        self._char_vectorizer = char_vectorizer()

    @classmethod
    def build(cls, fields: dict[str, list[list[str]]], shorts: list[str], options: Options) -> Parts:
        """Build the vocabulary, per-field counts, TF-IDF rows and char n-gram rows."""
        vocab: dict[str, int] = {}
        for rows in fields.values():
            for terms in rows:
                for term in terms:
                    vocab.setdefault(term, len(vocab))
        field_tf = {f: term_counts(fields[f], vocab) for f in FIELDS}
        combined = sum(WORD_WEIGHTS[f] * field_tf[f] for f in FIELDS)
        word = TfidfSignal.fit(combined)
        char = TfidfSignal.fit(char_vectorizer().transform(shorts))
        return cls(list(vocab), field_tf, word, char, options)

    def field_terms(self) -> dict[str, list[list[str]]]:
        """Rebuild each field's bag of terms from the counts (for the whoosh backend)."""
        out = {}
        for name, matrix in self.field_tf.items():
            matrix = sparse.csr_matrix(matrix)
            rows = []
            for i in range(matrix.shape[0]):
                start, end = matrix.indptr[i], matrix.indptr[i + 1]
                rows.append([self.vocabulary[c] for c, n in zip(matrix.indices[start:end],
                                                                 matrix.data[start:end])
                             for _ in range(int(n))])
            out[name] = rows
        return out

    def scores(self, text: str, terms: list[str], folded: str) -> Signals:
        """Return every signal's per-article scores for one query."""
        cols = [self.columns[t] for t in terms if t in self.columns]
        n = self.doc_count
        if self.options.use_bm25 and cols:
            if self.whoosh is not None:
                bm25 = self.whoosh.scores([self.vocabulary[c] for c in cols])
            else:
                bm25 = self.sparse_bm25.scores(cols)
            ceiling = self.sparse_bm25.ceiling(cols)
        else:
            bm25, ceiling = np.zeros(n), 1.0
        if self.options.use_word and cols:
            counts = term_counts([terms], self.columns)
            word = self.word.scores(self.word.query_vector(counts))
        else:
            word = np.zeros(n)
        if self.options.use_char and folded.strip():
            char = self.char.scores(self.char.query_vector(self._char_vectorizer.transform([folded])))
        else:
            char = np.zeros(n)
        return Signals(bm25, ceiling, np.asarray(word, dtype=float), np.asarray(char, dtype=float),
                       len(cols), len(terms))


@dataclass
class Evidence:
    """What past requests say about one query."""

    votes: np.ndarray  # per article: best similarity of a past request it solved
    no_answer: float  # best similarity of a past request no article solved


class HistorySignal:
    """K nearest reviewed past requests (their own TF-IDF space), voting for their articles."""

    K = 3
    FLOOR = 0.4  # below this similarity a past request says nothing (chosen so that unrelated history never hurts)
    RELATIVE = 0.8  # neighbours much further than the nearest one do not vote

    def __init__(self, doc_count: int, columns: dict[str, int] | None = None, word=None, char=None,
                 targets: list[list[int]] | None = None):
        self.doc_count, self.columns, self.word, self.char = doc_count, columns, word, char
        self.targets = targets or []
        self._chars = char_vectorizer()

    @classmethod
    def fit(cls, index, pairs) -> HistorySignal:
        """Index the reviewed pairs of ``index`` (an empty signal when there are none)."""
        if not pairs:
            return cls(len(index.docs))
        rows = [index.query_terms(p.text) for p in pairs]
        columns = dict(index.parts.columns)
        for terms in rows:
            for term in terms:
                columns.setdefault(term, len(columns))
        counts = term_counts(rows, columns)
        base = index.parts.word.idf
        hist_idf = smooth_idf(counts)
        idf = np.concatenate([base, hist_idf[len(base):]]) if len(base) else hist_idf
        word = TfidfSignal(weigh(counts, idf), idf)
        char_counts = char_vectorizer().transform([fold(p.text) for p in pairs])
        char = TfidfSignal(weigh(char_counts, index.parts.char.idf), index.parts.char.idf)
        targets = [[index.ids[a] for a in p.articles] for p in pairs]
        return cls(len(index.docs), columns, word, char, targets)

    def evidence(self, text: str, terms: list[str]) -> Evidence | None:
        """Return the votes of the nearest past requests, or None without history."""
        if not self.targets:
            return None
        counts = term_counts([terms], self.columns)
        sims = 0.5 * self.word.scores(self.word.query_vector(counts))
        chars = self._chars.transform([fold(text)])
        sims = sims + 0.5 * self.char.scores(self.char.query_vector(chars))
        votes, no_answer = np.zeros(self.doc_count), 0.0
        order = np.argsort(-sims)[: self.K]
        floor = max(self.FLOOR, self.RELATIVE * float(sims[order[0]]))
        for j in order:
            sim = float(sims[j])
            if sim < floor:
                break
            if not self.targets[j]:
                no_answer = max(no_answer, sim)
            for num in self.targets[j]:
                votes[num] = max(votes[num], sim)
        return Evidence(votes, no_answer)
