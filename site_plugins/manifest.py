"""The id → URL manifest the site build writes beside the site."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

from search import Article

MANIFEST_VERSION = 1


def kb_revision(kb_dir: Path) -> str | None:
    """Return the git commit of the KB folder, or None outside a git checkout."""
    try:
        result = subprocess.run(
            ["git", "-C", str(kb_dir), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=10, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None


def build_manifest(articles: list[Article], urls: dict[str, str], revision: str | None) -> dict:
    """Return the manifest: every article with its URL (None when not published)."""
    return {
        "version": MANIFEST_VERSION,
        "kb_revision": revision,
        "articles": {
            article.id: {
                "title": article.title,
                "category": article.category,
                "type": article.type,
                "audience": article.audience,
                "path": article.path,
                "url": urls.get(article.path) if article.is_public else None,
            }
            for article in articles
        },
    }


def write_json_atomically(data: dict, path: Path) -> None:
    """Write ``data`` as JSON to ``path`` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1, sort_keys=True, default=str)
    os.replace(temporary, path)
