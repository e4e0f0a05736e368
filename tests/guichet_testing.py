"""Paths and helpers shared by the whole suite (a plain module: `conftest` names clash across folders)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CHROMIUM = Path(os.environ.get("GUICHET_CHROMIUM", "/usr/bin/chromium"))
BIN = Path(sys.executable).parent
# Without the background-networking flags Chromium keeps dialling out, and this machine's closed network refuses it.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")


def mkdocs_build(project: Path, *extra: str) -> subprocess.CompletedProcess:
    """Run a real ``mkdocs build --strict`` in ``project`` and return the finished process."""
    return subprocess.run(
        [str(BIN / "mkdocs"), "build", "--strict", *extra],
        cwd=project, capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )


def copy_fixture_project(name: str, destination: Path) -> Path:
    """Copy a fixture MkDocs project to ``destination`` with the theme overrides path made absolute."""
    project = destination / name
    shutil.copytree(FIXTURES / name, project)
    config = project / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "../../../site_plugins/overrides", str(ROOT / "site_plugins" / "overrides")
        ),
        encoding="utf-8",
    )
    return project
