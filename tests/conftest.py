"""Fixtures shared by the whole suite: paths, real site builds and the browser."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CHROMIUM = Path(os.environ.get("GUICHET_CHROMIUM", "/usr/bin/chromium"))
BIN = Path(sys.executable).parent

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


@pytest.fixture(scope="session")
def built_kb_site(tmp_path_factory) -> Path:
    """Build the project's real KB once per session and return the project copy holding build/."""
    project = tmp_path_factory.mktemp("kbsite")
    for name in ("kb", "site_plugins", "mkdocs.yml", "helpdesk.yml"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, project / name)
    result = mkdocs_build(project)
    assert result.returncode == 0, f"strict build of kb/ failed:\n{result.stderr}"
    return project


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Return Debian's Chromium; skip loudly outside CI when it is missing, fail in CI."""
    if CHROMIUM.exists():
        return CHROMIUM
    message = f"Chromium not found at {CHROMIUM}: run `make test` (installs Debian's chromium) or set GUICHET_CHROMIUM"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(f"SKIPPED BROWSER TEST — {message}")
