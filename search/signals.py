"""The index's evidence: BM25F and TF-IDF over the articles, k-nearest past requests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .analysis import fold
from .bm25f import WHOOSH_MAX_DOCS, SparseBM25F, WhooshBM25F
from .fields import FIELDS, Options
from .vectors import (TfidfSignal, char_vectorizer, column_dot, row_entries, smooth_idf, term_counts,
                      weigh)

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
    coverage: np.ndarray | None = None  # per article: share of the query's idf mass it contains
    line: np.ndarray | None = None  # per article: best char n-gram cosine with its title or one symptom
    passage: np.ndarray | None = None  # per article: best passage BM25 / the query's passage ceiling
    semantic: np.ndarray | None = None  # per article: pooled passage cosine in the encoder's space (ranks)
    semantic_best: np.ndarray | None = None  # per article: best passage cosine (the confidence's feature)


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
        self.lines: LineSignal | None = None  # set by the index (needs the docs' titles and symptoms)
        self.passages = None  # PassageSignal, set by build_index / load_index (needs the Markdown sections)

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
        line = np.zeros(n)
        if self.options.use_char and folded.strip():
            vector = self.char.query_vector(self._char_vectorizer.transform([folded]))
            char = self.char.scores(vector)
            if self.lines is not None:
                line = self.lines.scores(vector)
        else:
            char = np.zeros(n)
        passage = None
        if self.options.use_passages and self.passages is not None and cols:
            passage = self.passages.scores(cols)
        return Signals(bm25, ceiling, np.asarray(word, dtype=float), np.asarray(char, dtype=float),
                       len(cols), len(terms), self.coverage(cols, len(terms) - len(cols)), line, passage)

    def coverage(self, cols: list[int], unknown: int) -> np.ndarray:
        """Return, per article, the share of the query's idf mass whose terms it contains.

        Terms unknown to the index count with the highest idf (a query made of words no article
        uses is not covered), so the feature reads the same on a 59-article KB and on 1.5k articles.
        """
        idf = self.word.idf
        top = float(np.log(1.0 + self.doc_count) + 1.0)
        total = float(idf[cols].sum()) + unknown * top if cols else unknown * top
        if not cols or total <= 0:
            return np.zeros(self.doc_count)
        unique = sorted(set(cols))
        return column_dot(self.word.matrix_t, unique, idf[unique], self.doc_count, binary=True) / total


class LineSignal:
    """Character n-gram cosine of the query with each *line* (title, each symptom), max-pooled.

    The article-level char cosine dilutes a query that matches one symptom among five; a KB
    written with symptoms must not look less confident than a symptom-less corpus. Rebuilt from
    the titles and symptoms at build time; saved in the artifact (``lines``, ``lines.starts``).
    """

    def __init__(self, matrix: sparse.csr_matrix, starts: np.ndarray, char_idf: np.ndarray):
        self.starts = np.asarray(starts, dtype=np.int64)
        self.signal = TfidfSignal(matrix, char_idf)

    @classmethod
    def build(cls, docs, char_idf: np.ndarray) -> LineSignal:
        """Vectorise every article's title and symptoms (one row per line, in article order)."""
        lines, starts = [], []
        for doc in docs:
            starts.append(len(lines))
            lines.append(fold(doc.title))
            lines.extend(fold(s) for s in doc.symptoms if s.strip())
        return cls(weigh(char_vectorizer().transform(lines), char_idf), np.asarray(starts), char_idf)

    def scores(self, vector) -> np.ndarray:
        """Return per article the best cosine of the (weighted) query vector with one of its lines."""
        sims = np.asarray(self.signal.scores(vector), dtype=float)
        return np.maximum.reduceat(sims, self.starts) if len(self.starts) else sims


@dataclass
class Evidence:
    """What past requests say about one query."""

    votes: np.ndarray  # per article: BM25 of its history field (field idf), raw: fusion scales it
    nearest: np.ndarray  # per article: best similarity of a past request it solved
    no_answer: float  # best similarity of a past request no article solved (0 below the floor)
    pooled: np.ndarray  # per article: BM25 of its history field (article idf) / the query's ceiling
    strength: np.ndarray  # per article: stricter evidence in 0..1, lifts the confidence
    semantic_nearest: np.ndarray | None = None  # per article: best encoder cosine of a past request it solved
    semantic_no_answer: float = 0.0  # best encoder cosine of a past request no article solved


def ramp(values, floor: float, span: float):
    """Return ``clip((values - floor) / span, 0, 1)``."""
    return np.clip((np.asarray(values, dtype=float) - floor) / span, 0.0, 1.0)


class HistorySignal:
    """Reviewed past requests as a per-article *history field*, kept apart from the article text.

    Each article's past request texts are pooled into one bag of terms (a separate sparse
    matrix, articles x terms; the article fields and vocabulary never change). Three readings:

    * **ranking** (``votes``): whoosh's BM25 of the history field with the field's *own* idf
      (``log(N / (df + 1)) + 1``, N = all articles, df = articles whose history holds the term),
      B 0.75, K1 1.2. The fusion divides it by the query's *article* BM25F ceiling, so it lives on
      the article scale and weighs like one more field (``fusion.WEIGHTS["history"]``);
    * **confidence** (``strength``): the same field scored with the *article* collection's idf,
      divided by the query's own ceiling (``pooled``), and it must agree with the **nearest
      past request** (word + char n-gram cosine, max-pooled per article): ``min(ramp(pooled),
      ramp(nearest))``. Stricter, so a history never raises the false-suggestion rate;
    * **no answer**: a close past request that no article solved lowers the confidence.
    """

    SURE_POOLED, SURE_NEAREST = (0.1, 0.4), (0.3, 0.4)  # confidence evidence ramps (floor, span)
    NO_ANSWER_FLOOR = 0.4  # a past request no article solved speaks only when this close
    K1, B = 1.2, 0.75

    def __init__(self, doc_count: int, columns: dict[str, int] | None = None, word=None, char=None,
                 targets: list[list[int]] | None = None, pooled=None, term_idf=None, vectors=None):
        from .bm25f import whoosh_idf

        self.doc_count, self.columns, self.word, self.char = doc_count, columns, word, char
        self.vectors = vectors  # past requests in the encoder's space (rows in pair order), or None
        self.targets = targets or []
        self.pooled, self.term_idf = pooled, term_idf
        self._chars = char_vectorizer()
        if self.targets:
            rows, cols = [], []
            for j, arts in enumerate(self.targets):
                for a in arts:
                    rows.append(a)
                    cols.append(j)
            # articles x past requests, to max-pool request similarities per article
            self.solved_articles = np.asarray(rows, dtype=np.int64)
            self.solved_requests = np.asarray(cols, dtype=np.int64)
            self.unsolved = np.array([not t for t in self.targets], dtype=bool)
            lengths = np.asarray(pooled.sum(axis=1)).ravel()
            self.has = lengths > 0
            avg = float(lengths[self.has].mean()) if self.has.any() else 1.0
            self.norm = self.K1 * (1 - self.B + self.B * lengths / avg)
            self.pooled_t = sparse.csr_matrix(pooled.T)
            self.field_idf = whoosh_idf(doc_count, np.diff(self.pooled_t.indptr).astype(float))

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
        doc_count = len(index.docs)
        link_rows = [a for t in targets for a in t]
        link_cols = [j for j, t in enumerate(targets) for _ in t]
        links = sparse.csr_matrix((np.ones(len(link_rows)), (link_rows, link_cols)),
                                  shape=(doc_count, len(pairs)))
        pooled = sparse.csr_matrix(links @ counts)  # articles x terms: the history field
        top = float(np.log(1.0 + doc_count) + 1.0)
        term_idf = np.full(len(columns), top)
        term_idf[: len(base)] = base
        return cls(doc_count, columns, word, char, targets, pooled, term_idf, past_request_vectors(index, pairs))

    def evidence(self, text: str, terms: list[str], query_vector: np.ndarray | None = None) -> Evidence | None:
        """Return what the past requests say about a query (its encoder vector adds the semantic vote)."""
        if not self.targets:
            return None
        counts = term_counts([terms], self.columns)
        sims = 0.5 * self.word.scores(self.word.query_vector(counts))
        chars = self._chars.transform([fold(text)])
        sims = np.asarray(sims + 0.5 * self.char.scores(self.char.query_vector(chars)), dtype=float)
        nearest = np.zeros(self.doc_count)
        np.maximum.at(nearest, self.solved_articles, np.maximum(sims[self.solved_requests], 0.0))
        no_answer = float(sims[self.unsolved].max()) if self.unsolved.any() else 0.0
        no_answer = no_answer if no_answer >= self.NO_ANSWER_FLOOR else 0.0
        cols = sorted({self.columns[t] for t in terms if t in self.columns})
        unknown = len(set(terms)) - len(cols)
        top = float(np.log(1.0 + self.doc_count) + 1.0)
        ceiling = (float(self.term_idf[cols].sum()) + unknown * top) * (self.K1 + 1)
        pooled, votes = np.zeros(self.doc_count), np.zeros(self.doc_count)
        if cols and ceiling > 0:
            positions, lengths = row_entries(self.pooled_t, cols)
            tf, docs = self.pooled_t.data[positions], self.pooled_t.indices[positions]
            term = np.repeat(np.asarray(cols), lengths)
            saturation = tf * (self.K1 + 1) / (tf + self.norm[docs])
            np.add.at(pooled, docs, self.term_idf[term] * saturation)
            np.add.at(votes, docs, self.field_idf[term] * saturation)
            pooled /= ceiling
        strength = np.minimum(ramp(pooled, *self.SURE_POOLED), ramp(nearest, *self.SURE_NEAREST))
        semantic_nearest = None
        if self.vectors is not None and query_vector is not None:
            cosines = self.vectors @ query_vector.astype(np.float32)
            semantic_nearest = np.zeros(self.doc_count)
            np.maximum.at(semantic_nearest, self.solved_articles, cosines[self.solved_requests].astype(float))
            semantic_no_answer = float(cosines[self.unsolved].max()) if self.unsolved.any() else 0.0
            return Evidence(votes, nearest, no_answer, pooled, strength, semantic_nearest, semantic_no_answer)
        return Evidence(votes, nearest, no_answer, pooled, strength)


def past_request_vectors(index, pairs) -> np.ndarray | None:
    """Embed the reviewed past requests as queries (cached by content), or None when the index has no encoder."""
    if getattr(index, "encoder", None) is None or not index.options.use_semantic:
        return None
    from .embedding_cache import embed

    encoder = index.encoder
    return embed(encoder.queries, encoder.name, "query", [p.text for p in pairs], index.embedding_cache,
                 dim=encoder.dim, progress=False)
