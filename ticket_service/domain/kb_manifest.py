"""What the running service knows of the KB: the site build's manifest, else the KB folder itself.

The site build writes ``manifest.json`` (``kb_revision`` and every article id with its audience and URL) and the
index beside it; both are swapped at runtime, so the manifest is re-read whenever its file changes. Without a site
build (a fresh checkout, ``guichet serve`` before ``make site``) the article ids come from ``kb/``, re-read when one
of its files changes, and there is no revision.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from search import ArticleError, article_from_file, is_page, markdown_files

MANIFEST_VERSION = 1


@dataclass(frozen=True)
class KBSnapshot:
    """The KB as one build (or the KB folder) describes it."""

    revision: str | None = None
    audiences: dict[str, str] = field(default_factory=dict)  # article id → employees | technicians
    from_manifest: bool = False
    urls: dict[str, str] = field(default_factory=dict)  # article id → site path, for the published ones




class KBManifest:
    """The current KB snapshot, cached on the manifest file's identity, else on the KB files' modification times."""

    def __init__(self, manifest_path: Path | None, kb_dir: Path | None):
        self.manifest_path = Path(manifest_path) if manifest_path else None
        self.kb_dir = Path(kb_dir) if kb_dir else None
        self._stamp: tuple | None = None
        self._unreadable: tuple | None = None  # the stamp of a manifest that failed to parse, not retried
        self._snapshot = KBSnapshot()
        self._lock = threading.Lock()

    def current(self) -> KBSnapshot:
        """Return the snapshot, re-reading its source when that changed since the last call."""
        stamp = self._manifest_stamp()
        if stamp is not None and stamp == self._stamp:
            return self._snapshot
        with self._lock:
            if stamp is not None and stamp != self._unreadable:
                snapshot = _read_manifest(self.manifest_path)
                if snapshot is not None:
                    self._snapshot, self._stamp = snapshot, stamp
                    return snapshot
                self._unreadable = stamp
            kb_stamp = ("kb", *_kb_stamp(self.kb_dir))
            if kb_stamp != self._stamp:
                self._snapshot, self._stamp = _read_kb(self.kb_dir), kb_stamp
            return self._snapshot

    def url(self, article_id: str) -> str | None:
        """Return the site URL of a published article (``/reseau/vpn/``), None for internal or unbuilt ones."""
        relative = self.current().urls.get(article_id)
        return None if relative is None else "/" + relative

    def _manifest_stamp(self) -> tuple | None:
        """Return what identifies the manifest file on disk (the build replaces it by a rename), or None."""
        try:
            stat = self.manifest_path.stat() if self.manifest_path else None
        except OSError:
            return None
        return None if stat is None else ("manifest", stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _read_manifest(path: Path) -> KBSnapshot | None:
    """Return the manifest's snapshot, or None when the file is not a manifest this version reads."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION or not isinstance(data.get("articles"), dict):
        return None
    revision = data.get("kb_revision")
    articles = {str(i): a for i, a in data["articles"].items() if isinstance(a, dict)}
    audiences = {i: str(a.get("audience")) for i, a in articles.items()}
    urls = {i: a["url"] for i, a in articles.items() if isinstance(a.get("url"), str)}
    return KBSnapshot(str(revision)[:64] if revision else None, audiences, from_manifest=True, urls=urls)


def _kb_stamp(kb_dir: Path | None) -> tuple:
    """Return the modification time of every folder and Markdown file of the KB (a few hundred stat calls)."""
    if kb_dir is None or not kb_dir.is_dir():
        return ()
    stamps = []
    for folder, subfolders, files in os.walk(kb_dir):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for name in [".", *sorted(n for n in files if n.endswith(".md"))]:
            try:
                stamps.append((folder, name, os.stat(os.path.join(folder, name)).st_mtime_ns))
            except OSError:
                continue  # removed while walking: the next call sees the new state
    return tuple(stamps)


def _read_kb(kb_dir: Path | None) -> KBSnapshot:
    """Return the ids and audiences of the readable articles of ``kb_dir`` (unreadable ones are skipped)."""
    if kb_dir is None or not kb_dir.is_dir():
        return KBSnapshot()
    audiences = {}
    for path in markdown_files(kb_dir):
        if is_page(path.relative_to(kb_dir)):
            continue
        try:
            article = article_from_file(path, kb_dir)
        except ArticleError:
            continue  # reported by `python -m search check`; one broken file must not hide the others
        audiences[article.id] = article.audience
    return KBSnapshot(None, audiences)
