"""Save and load the index artifact: JSON + numpy arrays, no pickle, written atomically.

Layout of the artifact directory::

    manifest.json    format version, counts, options, languages
    docs.json        per article: id, title, path, category, audience, lang, symptoms, text
    vocabulary.json  the analysed terms (column order of the matrices)
    arrays.npz       per-field term counts, TF-IDF rows and idf (words, char n-grams), char
                     n-gram rows of each title / symptom line, term counts of each passage, and the
                     encoder's passage vectors (float32) with the first passage of each article
    history.jsonl    past (request -> article ids) pairs with their reviewed state

The whoosh searcher (small KBs) is rebuilt in RAM from the stored counts on load, because
whoosh's own file index pickles its schema. An artifact of another format version raises
``StaleIndex``; ``load_or_build`` then rebuilds it from the KB.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from scipy import sparse

from .errors import IndexNotReady, SearchError
from .fields import FIELDS, Options
from .folders import replaced_folder
from .history import HISTORY_FILE, read_history, write_history

FORMAT = "guichet-suggest/6"
MANIFEST = "manifest.json"


class StaleIndex(IndexNotReady):
    """The artifact was written by another format version and must be rebuilt."""


def _put(arrays: dict, name: str, matrix) -> None:
    matrix = sparse.csr_matrix(matrix)
    arrays[f"{name}.data"], arrays[f"{name}.indices"] = matrix.data, matrix.indices
    arrays[f"{name}.indptr"], arrays[f"{name}.shape"] = matrix.indptr, np.asarray(matrix.shape)


def _get(arrays, name: str) -> sparse.csr_matrix:
    shape = tuple(int(v) for v in arrays[f"{name}.shape"])
    return sparse.csr_matrix((arrays[f"{name}.data"], arrays[f"{name}.indices"],
                              arrays[f"{name}.indptr"]), shape=shape)


def save_index(index, directory: Path | str) -> Path:
    """Write ``index`` to ``directory`` atomically (a temp folder renamed into place).

    Args:
        index: a ``SuggestionIndex``.
        directory: the artifact folder (created; replaced when it exists).

    Returns:
        The artifact folder.
    """
    directory = Path(directory)
    with replaced_folder(directory) as tmp:
        parts = index.parts
        arrays: dict = {}
        for name in FIELDS:
            _put(arrays, f"tf.{name}", parts.field_tf[name])
        _put(arrays, "word", parts.word.matrix)
        _put(arrays, "char", parts.char.matrix)
        arrays["word.idf"], arrays["char.idf"] = parts.word.idf, parts.char.idf
        _put(arrays, "lines", parts.lines.signal.matrix)
        arrays["lines.starts"] = parts.lines.starts
        _put(arrays, "passages", parts.passages.counts)
        arrays["passages.starts"] = parts.passages.starts
        if index.semantic is not None:
            arrays["semantic.vectors"], arrays["semantic.starts"] = index.semantic.vectors, index.semantic.starts
        np.savez(tmp / "arrays.npz", **arrays)
        docs = [vars(d) for d in index.docs]
        (tmp / "docs.json").write_text(json.dumps(docs, ensure_ascii=False), encoding="utf-8")
        (tmp / "vocabulary.json").write_text(json.dumps(parts.vocabulary, ensure_ascii=False),
                                             encoding="utf-8")
        write_history(tmp / HISTORY_FILE, index.all_history)
        manifest = {"format": FORMAT, "articles": len(index.docs), "terms": len(parts.vocabulary),
                    "languages": index.languages, "options": index.options.to_json(),
                    "encoder": index.semantic.model if index.semantic is not None else None,
                    "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return directory


def read_manifest(directory: Path | str) -> dict:
    """Return the artifact's manifest.

    Raises:
        IndexNotReady: when there is no artifact in ``directory``.
        StaleIndex: when it was written by another format version.
    """
    path = Path(directory) / MANIFEST
    if not path.is_file():
        raise IndexNotReady(f"no search index in {directory}; run 'python -m search build KB_DIR --out {directory}'")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise IndexNotReady(f"{path} is unreadable; rebuild the index") from None
    if manifest.get("format") != FORMAT:
        raise StaleIndex(f"{directory} holds index format {manifest.get('format')!r}, this version "
                         f"reads {FORMAT!r}; rebuild it with 'python -m search build'")
    return manifest


def load_index(directory: Path | str, encoder=None):
    """Load an artifact written by ``save_index``.

    Args:
        directory: the artifact folder.
        encoder: the semantic encoder to answer with (default: the process's); its vectors count only when
            the artifact was built with the same model, otherwise the index answers with the lexical signals.

    Returns:
        A ready ``SuggestionIndex`` (with the reviewed pairs of its ``history.jsonl``).

    Raises:
        IndexNotReady: when the folder holds no (complete) artifact.
        StaleIndex: when the artifact has another format version.
    """
    from .encoder import default_encoder
    from .index import Doc, SuggestionIndex
    from .passages import PassageSignal
    from .semantic import SemanticSignal
    from .signals import LineSignal, Parts
    from .vectors import TfidfSignal

    directory = Path(directory)
    manifest = read_manifest(directory)
    try:
        with np.load(directory / "arrays.npz", allow_pickle=False) as arrays:
            field_tf = {name: _get(arrays, f"tf.{name}") for name in FIELDS}
            word = TfidfSignal(_get(arrays, "word"), arrays["word.idf"])
            char = TfidfSignal(_get(arrays, "char"), arrays["char.idf"])
            lines = LineSignal(_get(arrays, "lines"), arrays["lines.starts"], arrays["char.idf"])
            passages = PassageSignal(_get(arrays, "passages"), arrays["passages.starts"])
            semantic = None
            if "semantic.vectors" in arrays and manifest.get("encoder"):
                semantic = SemanticSignal(arrays["semantic.vectors"], arrays["semantic.starts"], manifest["encoder"])
        docs = [Doc(**d) for d in json.loads((directory / "docs.json").read_text(encoding="utf-8"))]
        vocabulary = json.loads((directory / "vocabulary.json").read_text(encoding="utf-8"))
        history_path = directory / HISTORY_FILE
        history = read_history(history_path) if history_path.is_file() else []
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise IndexNotReady(f"{directory}: incomplete or damaged index ({exc}); rebuild it") from None
    options = Options.from_json(manifest.get("options", {}))
    parts = Parts(vocabulary, field_tf, word, char, options)
    parts.lines, parts.passages = lines, passages
    cache = None
    if semantic is not None and encoder is None:
        encoder = default_encoder()
    if semantic is not None and encoder is not None:
        from .embedding_cache import EmbeddingCache

        cache = EmbeddingCache()  # past requests are embedded once, in the user's cache folder
    return SuggestionIndex(docs, parts, options, history, semantic, encoder, cache)


def load_or_build(directory: Path | str, kb_dir: Path | str, *, lenient: bool = False):
    """Load the artifact, or (re)build it from ``kb_dir`` when missing or stale.

    Raises:
        SearchError: when the KB cannot be read either.
    """
    from .articles import load_articles
    from .index import build_index

    try:
        return load_index(directory)
    except IndexNotReady:
        history_path = Path(directory) / HISTORY_FILE
        history = read_history(history_path) if history_path.is_file() else []
        articles = load_articles(kb_dir, lenient=lenient)
        if not articles:
            raise SearchError(f"no article in {kb_dir}") from None
        index = build_index(articles, history=history)
        save_index(index, directory)
        return index
