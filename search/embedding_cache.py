"""Embeddings cached by content: a KB edit re-embeds only the passages that changed, across builds and runs.

One SQLite file per cache folder (``GUICHET_CACHE_DIR``, else ``$XDG_CACHE_HOME/guichet``, else
``~/.cache/guichet``), keyed by the SHA-256 of the model name, the kind (query/passage) and the text.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

log = logging.getLogger(__name__)
BATCH = 16  # passages per engine call: progress stays lively, the engine still batches


def cache_dir() -> Path:
    """Return the folder of the embedding cache (created on first use)."""
    configured = os.environ.get("GUICHET_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "guichet"


def text_key(model: str, kind: str, text: str) -> bytes:
    """Return the cache key of one text for one model."""
    return hashlib.sha256(f"{model}\0{kind}\0{text}".encode("utf-8")).digest()


class EmbeddingCache:
    """Vectors by text hash in a SQLite file; safe for several processes (WAL, short transactions)."""

    def __init__(self, folder: Path | None = None):
        self.path = (folder or cache_dir()) / "embeddings.sqlite3"
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def _db(self) -> sqlite3.Connection | None:
        if self._conn is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, dim INTEGER, data BLOB)")
                self._conn = conn
            except (OSError, sqlite3.Error) as exc:  # a read-only home: embed without caching
                log.warning("embedding cache unavailable at %s (%s): nothing is cached", self.path, exc)
                self._conn = False
        return self._conn or None

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        """Return the cached vectors among ``keys``."""
        found: dict[bytes, np.ndarray] = {}
        with self._lock:
            db = self._db()
            if db is None:
                return found
            for start in range(0, len(keys), 500):
                chunk = list(keys[start:start + 500])
                rows = db.execute(f"SELECT key, dim, data FROM vectors WHERE key IN ({','.join('?' * len(chunk))})",
                                  chunk).fetchall()
                for key, dim, data in rows:
                    found[bytes(key)] = np.frombuffer(data, dtype=np.float32, count=dim)
        return found

    def put_many(self, items: Sequence[tuple[bytes, np.ndarray]]) -> None:
        """Store vectors (an existing key keeps its vector: same text, same model, same vector)."""
        with self._lock:
            db = self._db()
            if db is None or not items:
                return
            with db:
                db.executemany("INSERT OR IGNORE INTO vectors (key, dim, data) VALUES (?, ?, ?)",
                               [(k, int(v.size), np.asarray(v, dtype=np.float32).tobytes()) for k, v in items])


class Progress:
    """« embedded 120/1 453 articles, about 4 min left » on a terminal; a log line every few seconds elsewhere."""

    def __init__(self, total: int, what: str = "passages", stream=None, every: float = 5.0):
        self.total, self.what, self.every = total, what, every
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.started = self.last = time.monotonic()
        self.done = 0

    def advance(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if not self.tty and now - self.last < self.every and self.done < self.total:
            return
        self.last = now
        elapsed = now - self.started
        left = elapsed / self.done * (self.total - self.done) if self.done else 0.0
        line = f"embedding {self.done}/{self.total} {self.what}, about {_duration(left)} left"
        if self.tty:
            self.stream.write("\r" + line + ("\n" if self.done >= self.total else ""))
        else:  # a CI log or a redirected build: one line every few seconds, whoever configured logging
            self.stream.write(line + "\n")
        self.stream.flush()


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


def embed(encode: Callable[[list[str]], np.ndarray], model: str, kind: str, texts: Sequence[str],
          cache: EmbeddingCache | None, *, dim: int, progress: bool = True,
          owners: Sequence[int] | None = None) -> np.ndarray:
    """Return one vector per text, embedding only those the cache does not hold, with progress when slow.

    ``owners`` gives the article of each text: progress then counts articles, not passages.
    """
    keys = [text_key(model, kind, t) for t in texts]
    known = cache.get_many(keys) if cache is not None else {}
    missing = list(dict.fromkeys(k for k in keys if k not in known))
    if missing:
        by_key = {k: t for k, t in zip(keys, texts)}
        owner_of = {k: o for k, o in zip(keys, owners)} if owners is not None else None
        units = len({owner_of[k] for k in missing}) if owner_of else len(missing)
        meter = Progress(units, "articles" if owner_of else "passages") if progress and len(missing) > BATCH else None
        started: set[int] = set()
        for start in range(0, len(missing), BATCH):
            batch = missing[start:start + BATCH]
            vectors = encode([by_key[k] for k in batch])
            pairs = list(zip(batch, vectors))
            known.update(pairs)
            if cache is not None:
                cache.put_many(pairs)
            if meter is not None:
                if owner_of is None:
                    meter.advance(len(batch))
                else:
                    before = len(started)
                    started.update(owner_of[k] for k in batch)
                    meter.advance(len(started) - before)
    matrix = np.zeros((len(texts), dim), dtype=np.float32)
    for row, key in enumerate(keys):
        matrix[row] = known[key]
    return matrix
