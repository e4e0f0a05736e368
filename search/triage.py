"""Triage from history: predict a ticket's category and group, with a confidence, from resolved tickets.

One linear model per target (``category``, ``group``): TF-IDF of the analysed French words (unigrams and
bigrams, ``analysis.analyze``) beside TF-IDF of character 3-5-grams of the folded text (typos, glued words),
fed to a multinomial logistic regression. The confidence is the predicted probability of the best label; below
``min_confidence`` the model abstains.

Saved without pickle, like the index (``store.py``)::

    manifest.json    format, version, training date, counts, labels per target, min_confidence
    vocabulary.json  word and char n-gram features in column order
    arrays.npz       idf of each feature block, coefficients and intercepts of each target
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

from .analysis import analyze, fold
from .errors import SearchError
from .folders import replaced_folder

FORMAT = "guichet-triage/1"
MANIFEST = "manifest.json"
TARGETS = ("category", "group")
CHAR_NGRAMS = (3, 5)
# Below this probability the model says nothing: with 9 categories a uniform guess is 0.11, and the benchmark
# (benchmarks/triage.py) shows guesses under 0.5 right less than half the time.
MIN_CONFIDENCE = 0.5
# Inverse regularisation of the logistic regression, chosen on benchmarks/data/triage_tickets.jsonl by grouped
# cross-validation (benchmarks/triage.py --c, of 1, 10, 100, 1000): lower C gives flatter, under-confident
# probabilities (at 10, 5 % of the tickets reach 0.8 against 24 % at 100, both right 94-100 % of the time).
C = 100.0


class TriageNotReady(SearchError):
    """No (readable) triage model in the folder: train one first."""


@dataclass(frozen=True)
class TriageGuess:
    """One target's prediction: the best label, its probability, and whether the model abstains."""

    target: str
    label: str
    confidence: float
    abstained: bool


def ticket_text(title: str | None, description: str | None) -> str:
    """Return what the model reads of a ticket: the title twice (it names the topic), then the description."""
    title = (title or "").strip()
    return f"{title}\n{title}\n{(description or '').strip()}"


def word_features(text: str) -> list[str]:
    """Return the analysed French terms of ``text`` and their bigrams (« imprim bloqu »)."""
    terms = analyze(text, "fr")
    return terms + [f"{a} {b}" for a, b in zip(terms, terms[1:])]


def _vectorizers(word_vocabulary=None, char_vocabulary=None, *, char_min_df: int = 1):
    from sklearn.feature_extraction.text import CountVectorizer

    words = CountVectorizer(analyzer=word_features, vocabulary=word_vocabulary, dtype=np.float32)
    chars = CountVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, preprocessor=fold,
                            vocabulary=char_vocabulary, min_df=char_min_df, dtype=np.float32)
    return words, chars


def _idf(counts: sparse.csr_matrix) -> np.ndarray:
    df = np.diff(sparse.csc_matrix(counts).indptr).astype(np.float64)
    n = counts.shape[0]
    return (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)


def _weigh(counts: sparse.spmatrix, idf: np.ndarray) -> sparse.csr_matrix:
    """Sublinear tf x idf, each row L2-normalised (rows without any known feature stay zero)."""
    from sklearn.preprocessing import normalize

    matrix = sparse.csr_matrix(counts, dtype=np.float32, copy=True)
    matrix.data = np.log1p(matrix.data)
    matrix = matrix.multiply(idf.reshape(1, -1)).tocsr()
    return normalize(matrix, norm="l2", copy=False).astype(np.float32).tocsr()


@dataclass
class _Linear:
    """One target's logistic regression, as arrays."""

    labels: list[str]
    coef: np.ndarray  # (labels, features), or (1, features) for two labels
    intercept: np.ndarray

    def probabilities(self, rows: sparse.csr_matrix) -> np.ndarray:
        scores = np.asarray(rows @ self.coef.T) + self.intercept
        if len(self.labels) == 2:  # scikit-learn's binary case: one column, the second label's log-odds
            p = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.column_stack([1.0 - p, p])
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)


@dataclass
class TriageModel:
    """Category and group models trained on past tickets; ``predict`` says what a new ticket probably is.

    Example::

        model = train_triage([{"text": "imprimante bloquée", "category": "impression", "group": "support-n1"}, ...])
        model.predict("l'imprimante du 2e bourrage papier")["category"]  # TriageGuess(...)
    """

    word_vocabulary: list[str]
    char_vocabulary: list[str]
    word_idf: np.ndarray
    char_idf: np.ndarray
    targets: dict[str, _Linear]
    min_confidence: float = MIN_CONFIDENCE
    counts: dict = field(default_factory=dict)  # examples, per target: label -> examples
    trained_at: str = ""
    version: str = ""
    _vectorizers: tuple | None = field(default=None, repr=False)

    def features(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Return the model's feature rows of ``texts`` (words, then char n-grams, each block L2-normalised)."""
        if self._vectorizers is None:
            self._vectorizers = _vectorizers({t: i for i, t in enumerate(self.word_vocabulary)},
                                             {t: i for i, t in enumerate(self.char_vocabulary)})
        words, chars = self._vectorizers
        return sparse.hstack([_weigh(words.transform(texts), self.word_idf),
                              _weigh(chars.transform(texts), self.char_idf)], format="csr")

    def predict_many(self, texts: Sequence[str]) -> list[dict[str, TriageGuess]]:
        """Return, for each text, target -> ``TriageGuess``; a text with no known feature is always abstained on."""
        texts = list(texts)
        if not texts:
            return []
        rows = self.features(texts)
        known = np.diff(rows.indptr) > 0
        out: list[dict[str, TriageGuess]] = [{} for _ in texts]
        for target, linear in self.targets.items():
            probs = linear.probabilities(rows)
            best = probs.argmax(axis=1)
            for i, j in enumerate(best):
                confidence = float(probs[i, j])
                out[i][target] = TriageGuess(target, linear.labels[j], round(confidence, 4),
                                             abstained=not known[i] or confidence < self.min_confidence)
        return out

    def predict(self, text: str) -> dict[str, TriageGuess]:
        """Return target -> ``TriageGuess`` for one ticket text (see ``ticket_text``)."""
        return self.predict_many([text])[0]


def train_triage(examples: Iterable[dict], targets: Sequence[str] = TARGETS, *, min_confidence: float = MIN_CONFIDENCE,
                 c: float = C, trained_at: str | None = None) -> TriageModel:
    """Fit one model per target on ``examples``.

    Args:
        examples: dicts with ``text`` and a label per target (a missing or empty label leaves the example out of
            that target's model).
        targets: the label keys to learn.
        min_confidence: the probability under which ``predict`` abstains.
        c: the logistic regression's inverse regularisation.
        trained_at: the training instant to record (ISO 8601; default now).

    Returns:
        The model; a target with fewer than two distinct labels gets no model (``counts`` still says so).

    Raises:
        SearchError: when there is no example with text.
    """
    from sklearn.linear_model import LogisticRegression

    examples = [e for e in examples if (e.get("text") or "").strip()]
    if not examples:
        raise SearchError("no example to learn triage from")
    texts = [e["text"] for e in examples]
    words, chars = _vectorizers(char_min_df=2 if len(texts) >= 100 else 1)
    word_counts, char_counts = words.fit_transform(texts), chars.fit_transform(texts)
    word_vocabulary = _ordered(words.vocabulary_)
    char_vocabulary = _ordered(chars.vocabulary_)
    word_idf, char_idf = _idf(word_counts), _idf(char_counts)
    rows = sparse.hstack([_weigh(word_counts, word_idf), _weigh(char_counts, char_idf)], format="csr")
    models, counts = {}, {"examples": len(examples)}
    for target in targets:
        kept = [i for i, e in enumerate(examples) if e.get(target)]
        labels = [str(examples[i][target]) for i in kept]
        counts[target] = dict(Counter(labels).most_common())
        if len(set(labels)) < 2:
            continue
        classifier = LogisticRegression(C=c, max_iter=2000)
        classifier.fit(rows[kept], labels)
        models[target] = _Linear([str(label) for label in classifier.classes_],
                                 classifier.coef_.astype(np.float32), classifier.intercept_.astype(np.float32))
    model = TriageModel(word_vocabulary, char_vocabulary, word_idf, char_idf, models, min_confidence, counts,
                        trained_at or time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    model.version = _version(model)
    return model


def _ordered(vocabulary: dict[str, int]) -> list[str]:
    out = [""] * len(vocabulary)
    for term, column in vocabulary.items():
        out[column] = term
    return out


def _version(model: TriageModel) -> str:
    """Return a short digest of what the model decides with: two trainings on the same data share it."""
    digest = hashlib.sha256()
    for target in sorted(model.targets):
        linear = model.targets[target]
        digest.update(json.dumps([target, linear.labels]).encode())
        digest.update(np.ascontiguousarray(linear.coef).tobytes())
        digest.update(np.ascontiguousarray(linear.intercept).tobytes())
    return digest.hexdigest()[:12]


def save_triage(model: TriageModel, directory: Path | str) -> Path:
    """Write ``model`` to ``directory`` atomically (a temp folder renamed into place); return the folder."""
    directory = Path(directory)
    with replaced_folder(directory) as tmp:
        arrays = {"word.idf": model.word_idf, "char.idf": model.char_idf}
        for target, linear in model.targets.items():
            arrays[f"{target}.coef"], arrays[f"{target}.intercept"] = linear.coef, linear.intercept
        np.savez(tmp / "arrays.npz", **arrays)
        (tmp / "vocabulary.json").write_text(json.dumps({"words": model.word_vocabulary,
                                                         "chars": model.char_vocabulary}, ensure_ascii=False),
                                             encoding="utf-8")
        manifest = {"format": FORMAT, "version": model.version, "trained_at": model.trained_at,
                    "min_confidence": model.min_confidence, "counts": model.counts,
                    "labels": {target: linear.labels for target, linear in model.targets.items()}}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    return directory


def load_triage(directory: Path | str) -> TriageModel:
    """Load a model written by ``save_triage``.

    Raises:
        TriageNotReady: when the folder holds no model, a damaged one, or one of another format.
    """
    directory = Path(directory)
    path = directory / MANIFEST
    if not path.is_file():
        raise TriageNotReady(f"no triage model in {directory}; run 'guichet triage train'")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT:
            raise TriageNotReady(f"{directory} holds triage format {manifest.get('format')!r}, this version reads "
                                 f"{FORMAT!r}; run 'guichet triage train'")
        vocabulary = json.loads((directory / "vocabulary.json").read_text(encoding="utf-8"))
        with np.load(directory / "arrays.npz", allow_pickle=False) as arrays:
            targets = {target: _Linear(list(labels), arrays[f"{target}.coef"], arrays[f"{target}.intercept"])
                       for target, labels in manifest["labels"].items()}
            word_idf, char_idf = arrays["word.idf"], arrays["char.idf"]
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise TriageNotReady(f"{directory}: incomplete or damaged triage model ({exc}); run 'guichet triage train'") \
            from None
    return TriageModel(vocabulary["words"], vocabulary["chars"], word_idf, char_idf, targets,
                       float(manifest["min_confidence"]), manifest.get("counts", {}), manifest.get("trained_at", ""),
                       manifest.get("version", ""))


def cross_validate(examples: Sequence[dict], targets: Sequence[str] = TARGETS, *, folds: int = 5,
                   clusters: Sequence | None = None, c: float = C, seed: int = 0) -> list[dict]:
    """Return held-out predictions of every example: each is predicted by a model trained without its fold.

    Args:
        examples: as ``train_triage``.
        targets: the label keys.
        folds: the number of folds (at most the number of examples or clusters).
        clusters: one key per example; examples sharing a key are held out together (unseen wording), else random.
        c: the logistic regression's inverse regularisation.
        seed: shuffles the folds.

    Returns:
        Per example: ``{"truth": {target: label}, "guess": {target: TriageGuess}}``, in input order (a fold whose
        training part has fewer than two labels for a target gives no guess for it).
    """
    from sklearn.model_selection import GroupKFold, KFold

    examples = list(examples)
    order = np.arange(len(examples))
    if clusters is None:
        splitter = KFold(n_splits=min(folds, len(examples)), shuffle=True, random_state=seed).split(order)
    else:
        keys = np.asarray([str(k) for k in clusters])
        rng = np.random.default_rng(seed)
        names = np.unique(keys)
        shuffled = dict(zip(names, rng.permutation(len(names))))  # GroupKFold is deterministic: shuffle the keys
        splitter = GroupKFold(n_splits=min(folds, len(names))).split(order, groups=[shuffled[k] for k in keys])
    out: list[dict] = [{} for _ in examples]
    for train, test in splitter:
        model = train_triage([examples[i] for i in train], targets, c=c, min_confidence=0.0)
        guesses = model.predict_many([examples[i]["text"] for i in test])
        for i, guess in zip(test, guesses):
            out[i] = {"truth": {t: examples[i].get(t) for t in targets}, "guess": guess}
    return out


def held_out_accuracy(results: Sequence[dict], target: str, threshold: float = 0.0) -> tuple[float, float]:
    """Return (accuracy, coverage) of ``cross_validate`` results on ``target`` for guesses at ``threshold`` or above.

    Accuracy counts only the answered examples; coverage is their share of the examples with a true label.
    """
    labelled = [r for r in results if r["truth"].get(target)]
    answered = [r for r in labelled if target in r["guess"] and r["guess"][target].confidence >= threshold]
    if not labelled:
        return 0.0, 0.0
    right = sum(r["guess"][target].label == r["truth"][target] for r in answered)
    return (right / len(answered) if answered else 0.0), len(answered) / len(labelled)
