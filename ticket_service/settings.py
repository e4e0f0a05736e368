"""The configuration table: every setting with its default and what it does."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# (name, default, help) — overridden by instance/config.py, then GUICHET_* environment, then test config.
SETTINGS: tuple[tuple[str, object, str], ...] = (
    ("SECRET_KEY", None, "Signs session cookies; generated into the instance folder when unset."),
    ("SITE_DIR", str(PROJECT_ROOT / "build" / "site"), "Built employee site served at /."),
    ("KB_DIR", str(PROJECT_ROOT / "kb"), "Knowledge-base folder (Markdown articles)."),
    ("HELPDESK_CONFIG", str(PROJECT_ROOT / "helpdesk.yml"), "Policies as code."),
)

DEFAULTS = {name: default for name, default, _ in SETTINGS}
