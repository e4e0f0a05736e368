"""The semantic signal: an article scores by a soft maximum of its passages' cosines with the request.

An article is embedded as a few passages, each well within the model's 512 tokens: its title with its
symptoms (how employees say it), then its sections, long ones cut into chunks. Reviewed past requests are
embedded in the same space, so a new request close to a past one can vote for the article that solved it.
"""

from __future__ import annotations

import re

import numpy as np

from .embedding_cache import EmbeddingCache, embed
from .fields import clean
from .markdown_text import plain_text
from .passages import sections

MAX_WORDS = 120  # words per passage: ~200 model tokens, far from the 512 the model reads
MAX_PASSAGES = 8  # per article: the first sections of a long article carry its subject
# An article scores τ·log Σ exp(cosine / τ) over its passages: its best passage, plus up to τ·log 8 when several
# passages answer alike (an article *about* the request rather than one mentioning it); chosen by cross-validation
# against the plain maximum (see search/README.md). The confidence keeps the best passage's cosine: the pooled one
# answered no more requests and lost the calibration's footing on a small KB.
POOL_TEMPERATURE = 0.01
_WORDS = re.compile(r"\S+")


def semantic_passages(article) -> list[str]:
    """Return the texts an article is embedded as: title + symptoms, then its sections in chunks."""
    title = clean(article.title).strip()
    head = " ; ".join([title, *[clean(s).strip() for s in article.symptoms if s.strip()]])
    found = [head] if head else []
    for markdown in sections(article.body, [h.line for h in article.headings]):
        words = _WORDS.findall(clean(plain_text(markdown)))
        for start in range(0, len(words), MAX_WORDS):
            chunk = " ".join(words[start:start + MAX_WORDS])
            if len(chunk) >= 20:  # a heading alone or a stray line says nothing the title does not
                found.append(f"{title} : {chunk}" if title else chunk)
            if len(found) >= MAX_PASSAGES:
                return found
    return found or [title or article.id]


class SemanticSignal:
    """Passage vectors (rows in article order) and what each article's best passage scores for a query."""

    def __init__(self, vectors: np.ndarray, starts: np.ndarray, model: str):
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.starts = np.asarray(starts, dtype=np.int64)
        self.model = model

    @classmethod
    def build(cls, encoder, passages_per_article: list[list[str]], cache: EmbeddingCache | None,
              progress: bool = True) -> SemanticSignal:
        """Embed every article's passages (cached by content) and remember where each article starts."""
        texts, starts, owners = [], [], []
        for number, passages in enumerate(passages_per_article):
            starts.append(len(texts))
            texts.extend(passages or [""])
            owners.extend([number] * max(len(passages), 1))
        vectors = embed(encoder.passages, encoder.name, "passage", texts, cache, dim=encoder.dim, progress=progress,
                        owners=owners)
        return cls(vectors, np.asarray(starts), encoder.name)

    def scores(self, query_vector: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return each article's pooled passage cosine with the query (what ranks) and its best one (what is sure)."""
        if not len(self.starts):
            return np.zeros(0), np.zeros(0)
        cosines = (self.vectors @ query_vector.astype(np.float32)).astype(float)
        best = np.maximum.reduceat(cosines, self.starts)
        owner = np.repeat(np.arange(len(self.starts)), np.diff(np.append(self.starts, len(cosines))))
        spread = np.add.reduceat(np.exp((cosines - best[owner]) / POOL_TEMPERATURE), self.starts)
        return best + POOL_TEMPERATURE * np.log(spread), best

    def best_passage(self, query_vector: np.ndarray, article: int) -> int:
        """Return the index (within the article) of one article's best passage: only the shown ones need it."""
        start = int(self.starts[article])
        end = int(self.starts[article + 1]) if article + 1 < len(self.starts) else len(self.vectors)
        return int(np.argmax(self.vectors[start:end] @ query_vector.astype(np.float32)))
