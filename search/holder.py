"""Hold the index of a running service and swap in a new artifact atomically when it changes."""

from __future__ import annotations

import threading
from pathlib import Path

from .errors import IndexNotReady, SearchError
from .history import HISTORY_FILE
from .store import MANIFEST, StaleIndex, load_index, load_or_build


class IndexHolder:
    """Thread-safe access to the current ``SuggestionIndex`` of an artifact folder.

    Readers call ``get()`` and keep the object they got for the whole request; a reload builds
    the new index aside and replaces the reference in one assignment, so a request never sees
    half of two indexes.
    """

    def __init__(self, directory: Path | str, kb_dir: Path | str | None = None):
        self.directory = Path(directory)
        # With the KB folder known, an artifact of an older format (after an upgrade) is rebuilt
        # in place instead of leaving the service without suggestions until the next site build.
        self.kb_dir = Path(kb_dir) if kb_dir is not None else None
        self._index = None
        self._signature = None
        self._lock = threading.Lock()
        self.last_error: SearchError | None = None

    def signature(self):
        """Return what identifies the artifact on disk: manifest and history stamps."""
        stamps = []
        for name in (MANIFEST, HISTORY_FILE):
            try:
                stat = (self.directory / name).stat()
                stamps.append((stat.st_mtime_ns, stat.st_size, stat.st_ino))
            except FileNotFoundError:
                stamps.append(None)
        return tuple(stamps)

    def get(self):
        """Return the current index, loading it on first use.

        Returns:
            The ``SuggestionIndex``.

        Raises:
            IndexNotReady: when no artifact could be loaded yet.
        """
        index = self._index
        if index is not None:
            return index
        self.reload_if_changed()
        if self._index is None:
            raise self.last_error or IndexNotReady(f"no search index loaded from {self.directory}")
        return self._index

    def reload_if_changed(self) -> bool:
        """Load the artifact again when it changed on disk; keep the old index on failure.

        Returns:
            True when a new index was swapped in.
        """
        with self._lock:
            signature = self.signature()
            if self._index is not None and signature == self._signature:
                return False
            try:
                index = self._load()
            except SearchError as exc:
                self.last_error = exc
                return False
            self._index, self._signature, self.last_error = index, signature, None
            return True

    def _load(self):
        """Load the artifact, rebuilding a stale one from the KB when the KB folder is known."""
        try:
            return load_index(self.directory)
        except StaleIndex:
            if self.kb_dir is None:
                raise
            return load_or_build(self.directory, self.kb_dir)
