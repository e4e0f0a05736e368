"""Generic text similarity over (key, text) pairs, e.g. to spot duplicate tickets."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .analysis import analyze, detect_language, fold


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
