"""The article front-matter schema: one table that code, checks and the authors' guide share."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

ARTICLE_TYPES = ("procedure", "solution", "faq", "known-error", "policy")
AUDIENCES = ("employees", "technicians")
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_ID_LENGTH = 80

# Types whose articles must say how employees describe the problem.
TYPES_REQUIRING_SYMPTOMS = ("solution", "known-error")


@dataclass(frozen=True)
class Field:
    """One front-matter field: its name, expected kind, whether required, and its help text."""

    name: str
    kind: str  # "str", "enum", "list", "date", "int"
    required: bool
    help: str
    choices: tuple[str, ...] = ()


FIELDS: tuple[Field, ...] = (
    Field("id", "str", True, "stable unique identifier, kebab-case ASCII, never reused"),
    Field("title", "str", True, "the article title as readers see it"),
    Field("type", "enum", True, "kind of article", ARTICLE_TYPES),
    Field("category", "str", True, "one of the categories of helpdesk.yml; equals the folder"),
    Field("audience", "enum", True, "who may read it: employees (published) or technicians (internal)", AUDIENCES),
    Field("tags", "list", False, "short lowercase keywords"),
    Field("symptoms", "list", False, "how employees describe the problem, in their words (required for solution and known-error)"),
    Field("applies_to", "list", False, "systems, software or versions concerned"),
    Field("owner", "str", True, "team or person who keeps the article true"),
    Field("reviewed", "date", True, "date of the last review (YYYY-MM-DD)"),
    Field("review_every", "int", False, "days between reviews (default from helpdesk.yml)"),
)

FIELDS_BY_NAME = {field.name: field for field in FIELDS}
LENIENT_FIELDS = ("title",)


def field_names() -> list[str]:
    """Return the names of every front-matter field, in documentation order."""
    return [field.name for field in FIELDS]


def type_error(field: Field, value) -> str | None:
    """Return why ``value`` does not fit ``field``, or None when it does."""
    if field.kind in ("str", "enum"):
        if not isinstance(value, str) or not value.strip():
            return f"field '{field.name}' must be a non-empty text"
        if field.kind == "enum" and value not in field.choices:
            return f"field '{field.name}' is '{value}'; expected one of: {', '.join(field.choices)}"
    elif field.kind == "list":
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            return f"field '{field.name}' must be a list of texts, e.g. [a, b]"
    elif field.kind == "date":
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            return f"field '{field.name}' must be a date written YYYY-MM-DD"
    elif field.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            return f"field '{field.name}' must be a positive whole number"
    return None
