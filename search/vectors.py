"""Scikit-learn TF-IDF signals: word terms over all fields, character n-grams over short fields.

Both use stateless vectorizers (a fixed vocabulary, or ``HashingVectorizer``) so that the saved
artifact is only arrays: the idf vector and the normalised document matrix.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

CHAR_FEATURES = 2**18
CHAR_NGRAMS = (3, 5)


def char_vectorizer():
    """Return the stateless character n-gram vectorizer (typo tolerance on short fields)."""
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, n_features=CHAR_FEATURES,
                             alternate_sign=False, norm=None, lowercase=False, dtype=np.float32)


def smooth_idf(counts: sparse.spmatrix) -> np.ndarray:
    """Return scikit-learn's smoothed idf ``ln((1 + n) / (1 + df)) + 1`` of a count matrix."""
    counts = sparse.csc_matrix(counts)
    df = np.diff(counts.indptr).astype(np.float64)
    n = counts.shape[0]
    return (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)


def weigh(counts: sparse.spmatrix, idf: np.ndarray) -> sparse.csr_matrix:
    """Return sublinear-tf x idf rows, L2-normalised (scikit-learn's TfidfTransformer recipe)."""
    from sklearn.preprocessing import normalize

    matrix = sparse.csr_matrix(counts, dtype=np.float32, copy=True)
    matrix.data = np.log1p(matrix.data)
    matrix = matrix @ sparse.diags(idf)
    return normalize(matrix, norm="l2", copy=False).astype(np.float32).tocsr()


class TfidfSignal:
    """Cosine similarity between a query vector and L2-normalised document rows."""

    def __init__(self, matrix: sparse.csr_matrix, idf: np.ndarray):
        self.matrix = sparse.csr_matrix(matrix)
        self.matrix_t = self.matrix.T.tocsr()  # feature-major: fast for sparse queries
        self.idf = idf

    @classmethod
    def fit(cls, counts: sparse.spmatrix) -> TfidfSignal:
        """Fit the idf on document counts and keep the weighted rows."""
        idf = smooth_idf(counts)
        return cls(weigh(counts, idf), idf)

    def query_vector(self, counts: sparse.spmatrix) -> sparse.csr_matrix:
        """Return the weighted, normalised vector of one row of query counts.

        Same recipe as ``weigh`` without building a features x features diagonal matrix (the
        char space has 2^18 features): a hot path of every query.
        """
        counts = sparse.csr_matrix(counts)
        if counts.shape[0] != 1:
            return weigh(counts, self.idf)
        data = np.log1p(counts.data.astype(np.float32)) * self.idf[counts.indices]
        norm = float(np.sqrt(np.dot(data, data)))
        if norm > 0:
            data = data / norm
        return sparse.csr_matrix((data.astype(np.float32), counts.indices.copy(), counts.indptr.copy()),
                                 shape=counts.shape)

    def scores(self, vector: sparse.csr_matrix) -> np.ndarray:
        """Return the cosine of every document with the query vector."""
        if vector.nnz == 0:
            return np.zeros(self.matrix.shape[0], dtype=np.float32)
        return column_dot(self.matrix_t, vector.indices, vector.data, self.matrix.shape[0])


def row_entries(matrix_t: sparse.csr_matrix, rows) -> tuple[np.ndarray, np.ndarray]:
    """Return the storage positions of every value of ``rows`` of a CSR matrix, and each row's count.

    Reading ``matrix_t.indices[positions]`` / ``matrix_t.data[positions]`` replaces
    ``matrix_t[rows]`` without building scipy objects (their checks dominated per-query time).
    """
    rows = np.asarray(rows, dtype=np.int64)
    starts = matrix_t.indptr[rows]
    lengths = matrix_t.indptr[rows + 1] - starts
    total = int(lengths.sum())
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return np.arange(total) + offsets, lengths


def column_dot(matrix_t: sparse.csr_matrix, cols, weights, size: int, binary: bool = False) -> np.ndarray:
    """Return ``Σ_c weights[c] · matrix_t[c]`` as a dense vector of ``size`` (feature-major rows).

    The same as ``matrix_t[cols].T @ weights``; ``binary`` counts presence (1) instead of the
    stored values.
    """
    positions, lengths = row_entries(matrix_t, cols)
    if not positions.size:
        return np.zeros(size)
    values = np.repeat(np.asarray(weights, dtype=np.float64), lengths)
    if not binary:
        values = values * matrix_t.data[positions]
    return np.bincount(matrix_t.indices[positions], weights=values, minlength=size)


def term_counts(rows: list[list[str]], vocabulary: dict[str, int],
                weights: list[float] | None = None) -> sparse.csr_matrix:
    """Return a documents x vocabulary count matrix for analysed rows (unknown terms dropped)."""
    indptr, indices, data = [0], [], []
    for i, terms in enumerate(rows):
        w = 1.0 if weights is None else weights[i]
        local: dict[int, float] = {}
        for term in terms:
            col = vocabulary.get(term)
            if col is not None:
                local[col] = local.get(col, 0.0) + w
        indices.extend(local)
        data.extend(local.values())
        indptr.append(len(indices))
    return sparse.csr_matrix((np.asarray(data, dtype=np.float32), np.asarray(indices, dtype=np.int32),
                              np.asarray(indptr, dtype=np.int64)), shape=(len(rows), len(vocabulary)))
