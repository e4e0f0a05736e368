"""Baseline engines a Guichet user would otherwise have, behind one ``rank(text)`` interface."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod

import numpy as np

from search.fields import field_texts


class Baseline(ABC):
    """An engine returning ``[(id, score), ...]`` best first."""

    name = "baseline"

    @abstractmethod
    def rank(self, text: str, k: int = 10) -> list[tuple[str, float]]:
        """Return the ``k`` best article ids for ``text`` with their scores."""


class Lunr(Baseline):
    """lunr.py configured like MkDocs' search plugin: title boost 10, text, the language's pipeline."""

    name = "lunr (MkDocs search)"
    _SPECIAL = re.compile(r"[:~^+\-*]")

    def __init__(self, articles, lang: str):
        from lunr import lunr

        docs = [{"id": a.id, "title": a.title, "text": field_texts(a)["body"]} for a in articles]
        builder = french_lunr_builder() if lang == "fr" else None  # None: lunr's English defaults
        self.index = lunr(ref="id", fields=[{"field_name": "title", "boost": 10}, "text"], documents=docs,
                          builder=builder)

    def rank(self, text, k=10):
        hits = self.index.search(self._SPECIAL.sub(" ", text))
        return [(h["ref"], h["score"]) for h in hits[:k]]


def french_lunr_builder():
    """Return a lunr builder with lunr-languages' French pipeline: trimmer, stop words, Snowball stemmer.

    MkDocs' search (``lang: fr``) loads lunr.fr in the browser. lunr.py's own language support would
    download NLTK's stop word lists at run time, which this machine cannot, so the same three steps are
    assembled here: Snowball's French stop words (the list lunr.fr uses; ours minus the accents and our
    « son » exception) and the French Snowball stemmer (PyStemmer, the same algorithm as NLTK's).
    """
    import Stemmer
    from lunr.builder import Builder
    from lunr.languages.trimmer import generate_trimmer
    from lunr.pipeline import Pipeline

    from search.analysis import FRENCH_STOP, fold

    stemmer = Stemmer.Stemmer("french")
    stop_words = FRENCH_STOP | {"son"}

    def stem(token, i=None, tokens=None):
        return token.update(lambda s, metadata=None: stemmer.stemWord(s))

    def stop_word_filter(token, i=None, tokens=None):  # folded: lunr.fr's list also has the accented forms
        return token if token and fold(str(token)) not in stop_words else None

    trimmer = generate_trimmer(r"\w")
    for function, label in ((trimmer, "trimmer-fr"), (stop_word_filter, "stopWordFilter-fr"), (stem, "stemmer-fr")):
        Pipeline.register_function(function, label)
    builder = Builder()
    builder.pipeline.add(trimmer, stop_word_filter, stem)
    builder.search_pipeline.add(stem)
    return builder


class WhooshAlone(Baseline):
    """Whoosh BM25F alone with its stemming analyzer over title (x2) and body."""

    name = "whoosh BM25F"

    def __init__(self, articles, lang: str):
        from whoosh import analysis, fields, qparser, scoring
        from whoosh.filedb.filestore import RamStorage

        analyzer = analysis.LanguageAnalyzer("fr" if lang == "fr" else "en")
        schema = fields.Schema(id=fields.ID(stored=True),
                               title=fields.TEXT(analyzer=analyzer, field_boost=2.0),
                               body=fields.TEXT(analyzer=analyzer))
        self.index = RamStorage().create_index(schema)
        writer = self.index.writer()
        for a in articles:
            writer.add_document(id=a.id, title=a.title, body=field_texts(a)["body"])
        writer.commit()
        self.searcher = self.index.searcher(weighting=scoring.BM25F())
        self.parser = qparser.MultifieldParser(["title", "body"], schema, group=qparser.OrGroup)

    def rank(self, text, k=10):
        query = self.parser.parse(re.sub(r"[^\w\s]", " ", text))
        return [(h["id"], h.score) for h in self.searcher.search(query, limit=k)]


class TfidfAlone(Baseline):
    """Scikit-learn TF-IDF, word and char_wb n-grams, cosine."""

    name = "tfidf"

    def __init__(self, articles, lang: str):
        from scipy import sparse
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = [a.title + "\n" + field_texts(a)["body"] for a in articles]
        self.ids = [a.id for a in articles]
        self.word = TfidfVectorizer(sublinear_tf=True, strip_accents="unicode")
        self.char = TfidfVectorizer(sublinear_tf=True, analyzer="char_wb", ngram_range=(3, 5),
                                    strip_accents="unicode", max_features=300_000)
        self.matrix = sparse.hstack([self.word.fit_transform(texts), self.char.fit_transform(texts)]).tocsr()
        self._hstack = sparse.hstack

    def rank(self, text, k=10):
        q = self._hstack([self.word.transform([text]), self.char.transform([text])]).tocsr()
        scores = (self.matrix @ q.T).toarray().ravel() / 2
        order = np.argsort(-scores)[:k]
        return [(self.ids[i], float(scores[i])) for i in order]


class BM25S(Baseline):
    """bm25s with its stop words and a Snowball stemmer."""

    name = "bm25s"

    def __init__(self, articles, lang: str):
        import bm25s
        import Stemmer

        self.bm25s = bm25s
        self.stemmer = Stemmer.Stemmer("french" if lang == "fr" else "english")
        self.stop = "fr" if lang == "fr" else "en"
        self.ids = [a.id for a in articles]
        corpus = [a.title + "\n" + field_texts(a)["body"] for a in articles]
        tokens = bm25s.tokenize(corpus, stopwords=self.stop, stemmer=self.stemmer, show_progress=False)
        self.retriever = bm25s.BM25()
        self.retriever.index(tokens, show_progress=False)

    def rank(self, text, k=10):
        tokens = self.bm25s.tokenize([text], stopwords=self.stop, stemmer=self.stemmer,
                                     show_progress=False)
        if not tokens.vocab:
            return []
        docs, scores = self.retriever.retrieve(tokens, k=min(k, len(self.ids)), show_progress=False,
                                               n_threads=1)
        return [(self.ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0])]


BASELINES = [Lunr, WhooshAlone, TfidfAlone, BM25S]
