"""Enforce DESIGN §2: which package may import what, by walking every import (AST)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN = {
    "search": {"flask", "flask_wtf", "flask_babel", "mkdocs", "material", "ticket_service", "site_plugins", "sqlalchemy", "werkzeug"},
    "site_plugins": {"flask", "flask_wtf", "flask_babel", "ticket_service", "werkzeug", "sqlalchemy"},
    "ticket_service": {"mkdocs", "material", "site_plugins", "whoosh", "sklearn"},
}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Return (line, top-level module) for each import in a Python file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_respects_its_dependency_rules(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no Python files in {package}/"
    violations = [
        f"{path.relative_to(ROOT)}:{line}: imports {module}"
        for path in files
        for line, module in imported_modules(path)
        if module in FORBIDDEN[package]
    ]
    assert not violations, "\n".join(violations)


def test_the_walker_sees_nested_and_dotted_imports(tmp_path):
    source = tmp_path / "sample.py"
    source.write_text("def f():\n    import flask.json\n    from mkdocs.plugins import BasePlugin\n")
    assert imported_modules(source) == [(2, "flask"), (3, "mkdocs")]
