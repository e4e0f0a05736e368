"""Serve the built employee site (MkDocs output) at the root of the service."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory
from werkzeug.security import safe_join

bp = Blueprint("site", __name__)


def _site_dir() -> Path:
    return Path(current_app.config["SITE_DIR"])


@bp.get("/", defaults={"path": ""})
@bp.get("/<path:path>")
def page(path: str):
    """Return a file of the built site, resolving folders to their index.html."""
    site_dir = _site_dir()
    if not (site_dir / "index.html").is_file():
        abort(503, description="The knowledge-base site is not built yet: run `make run` or `mkdocs build`.")
    target = safe_join(str(site_dir), path)
    if target is None:
        abort(404)
    if Path(target).is_dir():
        path = f"{path.rstrip('/')}/index.html".lstrip("/")
    if not Path(safe_join(str(site_dir), path) or "").is_file():
        missing = site_dir / "404.html"
        if missing.is_file():
            return send_from_directory(site_dir, "404.html"), 404
        abort(404)
    return send_from_directory(site_dir, path)
