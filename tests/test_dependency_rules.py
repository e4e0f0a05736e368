"""Enforce DESIGN §2: which package may import what, who may commit, who may write, by walking the code (AST)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVICE = ROOT / "ticket_service"

FORBIDDEN = {
    "search": {"flask", "flask_wtf", "flask_babel", "mkdocs", "material", "ticket_service", "site_plugins", "sqlalchemy", "werkzeug"},
    "site_plugins": {"flask", "flask_wtf", "flask_babel", "ticket_service", "werkzeug", "sqlalchemy"},
    "ticket_service": {"mkdocs", "material", "site_plugins", "whoosh", "sklearn"},
}

# Inside ticket_service, layers point one way: adapters → actions → domain, storage below.
ADAPTERS = ("ticket_service.http", "ticket_service.cli", "ticket_service.auth", "ticket_service.runtime",
            "ticket_service.jobs", "ticket_service.channels")
LAYERS = {
    "domain": {"forbidden_top": {"flask", "werkzeug", "flask_wtf", "flask_babel"},
               "forbidden": ADAPTERS + ("ticket_service.actions", "ticket_service.reports", "ticket_service.demo",
                                        "ticket_service.store.db", "ticket_service.store.outbox")},
    "actions": {"forbidden_top": {"flask", "werkzeug", "flask_wtf", "flask_babel"}, "forbidden": ADAPTERS},
    "store": {"forbidden_top": {"flask", "werkzeug", "flask_wtf", "flask_babel"},
              "forbidden": ADAPTERS + ("ticket_service.actions", "ticket_service.reports")},
    "reports": {"forbidden_top": {"flask", "werkzeug", "flask_wtf"}, "forbidden": ADAPTERS + ("ticket_service.actions",)},
}
# What storage may know of the domain: its value types, never its rules.
STORE_MAY_USE = {"ticket_service.domain.errors", "ticket_service.domain.events", "ticket_service.domain.clock",
                 "ticket_service.domain.vocabulary"}
# Only actions and jobs commit (DESIGN §2); migrations and tests run their own transactions.
MAY_COMMIT = ("ticket_service/actions/", "ticket_service/jobs/", "ticket_service/store/migrations/")
WRITES = {"add", "add_all", "delete", "flush", "merge", "commit", "begin_nested"}
SESSIONS = {"db", "session", "db_session", "reader", "writer"}  # what the code names its SQLAlchemy sessions


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Return (line, top-level module) for each import in a Python file."""
    return [(line, name.split(".")[0]) for line, name in full_imports(path)]


def full_imports(path: Path) -> list[tuple[int, str]]:
    """Return (line, dotted module) for each import in a Python file (``from a import b`` gives ``a.b`` too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def method_calls(path: Path, names: set[str], receivers: set[str] | None = None) -> list[tuple[int, str]]:
    """Return (line, name) for each call ``x.name(...)`` with a name in ``names`` (and ``x`` in ``receivers``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [(node.lineno, node.func.attr) for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in names
            and (receivers is None or (isinstance(node.func.value, ast.Name) and node.func.value.id in receivers))]


def layer_violations(root: Path) -> list[str]:
    """Return every import that breaks the layer rules under a ticket_service tree."""
    problems = []
    for layer, rules in LAYERS.items():
        for path in sorted((root / layer).rglob("*.py")):
            for line, module in full_imports(path):
                top = module.split(".")[0]
                if top in rules["forbidden_top"]:
                    problems.append(f"{path.relative_to(root.parent)}:{line}: {layer}/ imports {module}")
                elif any(module == f or module.startswith(f + ".") for f in rules["forbidden"]):
                    problems.append(f"{path.relative_to(root.parent)}:{line}: {layer}/ imports {module}")
                elif layer == "store" and module.startswith("ticket_service.domain.") and not any(
                        module == m or module.startswith(m + ".") for m in STORE_MAY_USE):
                    problems.append(f"{path.relative_to(root.parent)}:{line}: store/ uses the domain's rules ({module})")
    return problems


def commit_violations(root: Path) -> list[str]:
    """Return every ``.commit(`` outside actions/ and jobs/."""
    problems = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).as_posix()
        if rel.startswith(MAY_COMMIT):
            continue
        problems += [f"{rel}:{line}: commit() outside actions/ and jobs/" for line, _ in method_calls(path, {"commit"})]
    return problems


def adapter_write_violations(root: Path) -> list[str]:
    """Return every session write (add, delete, flush, commit…) made by an HTTP view instead of an action."""
    problems = []
    for path in sorted((root / "http").rglob("*.py")):
        rel = path.relative_to(root.parent).as_posix()
        problems += [f"{rel}:{line}: http/ writes with .{name}() instead of calling an action"
                     for line, name in method_calls(path, WRITES, SESSIONS)]
    return problems


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


def test_layers_point_one_way():
    assert not layer_violations(SERVICE), "\n".join(layer_violations(SERVICE))


def test_only_actions_and_jobs_commit():
    assert not commit_violations(SERVICE), "\n".join(commit_violations(SERVICE))


def test_http_views_write_only_through_actions():
    assert not adapter_write_violations(SERVICE), "\n".join(adapter_write_violations(SERVICE))


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "ticket_service"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_the_rules_catch_flask_in_the_domain_and_a_commit_in_a_view(tmp_path):
    root = _tree(tmp_path, {
        "domain/rules.py": "from flask import request\nfrom ticket_service.http.errors import ApiError\n",
        "http/api/view.py": "def view(db):\n    db.add(object())\n    db.commit()\n",
        "store/files.py": "from ticket_service.domain.tickets import may_write\nfrom ticket_service.domain.errors import Invalid\n",
        "actions/fine.py": "def act(db):\n    db.commit()\n",
    })
    assert layer_violations(root) == [
        "ticket_service/domain/rules.py:1: domain/ imports flask",
        "ticket_service/domain/rules.py:1: domain/ imports flask.request",
        "ticket_service/domain/rules.py:2: domain/ imports ticket_service.http.errors",
        "ticket_service/domain/rules.py:2: domain/ imports ticket_service.http.errors.ApiError",
        "ticket_service/store/files.py:1: store/ uses the domain's rules (ticket_service.domain.tickets)",
        "ticket_service/store/files.py:1: store/ uses the domain's rules (ticket_service.domain.tickets.may_write)",
    ]
    assert commit_violations(root) == ["ticket_service/http/api/view.py:3: commit() outside actions/ and jobs/"]
    assert adapter_write_violations(root) == [
        "ticket_service/http/api/view.py:2: http/ writes with .add() instead of calling an action",
        "ticket_service/http/api/view.py:3: http/ writes with .commit() instead of calling an action",
    ]


def test_the_walker_sees_nested_and_dotted_imports(tmp_path):
    source = tmp_path / "sample.py"
    source.write_text("def f():\n    import flask.json\n    from mkdocs.plugins import BasePlugin\n")
    assert imported_modules(source) == [(2, "flask"), (3, "mkdocs"), (3, "mkdocs")]
