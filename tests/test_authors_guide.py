"""The KB authors' guide documents exactly the schema's fields and sections."""

from __future__ import annotations

import re

from search import FIELDS, field_names, load_kb_config

from guichet_testing import ROOT

GUIDE = ROOT / "docs" / "guide-auteurs.md"


def documented_fields() -> list[str]:
    """Return the field names of the guide's front-matter table, in order."""
    text = GUIDE.read_text(encoding="utf-8")
    section = text.split("## L'en-tête (front matter)", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.M)


def test_guide_lists_exactly_the_schema_fields_in_order():
    assert documented_fields() == field_names()


def test_guide_marks_required_fields_as_required():
    text = GUIDE.read_text(encoding="utf-8")
    for field in FIELDS:
        row = re.search(rf"^\| `{field.name}` \| ([^|]+) \|", text, flags=re.M).group(1).strip()
        assert (row == "oui") == field.required, f"{field.name}: guide says {row!r}"


def test_guide_lists_the_required_sections_of_helpdesk_yml():
    text = GUIDE.read_text(encoding="utf-8")
    config = load_kb_config(ROOT / "helpdesk.yml")
    for article_type, sections in config.required_sections.items():
        row = re.search(rf"^\| `{article_type}` \| ([^\n]+)$", text, flags=re.M)
        assert row, f"type {article_type} missing from the sections table"
        assert re.findall(r"`## ([^`]+)`", row.group(1)) == list(sections)
