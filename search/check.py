"""Validate a knowledge-base folder and report every problem as ``path:line: message``."""

from __future__ import annotations

import datetime as dt
import difflib
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from .errors import ArticleError, Problem
from .frontmatter import FrontMatterError, split_front_matter
from .articles import is_page, markdown_files, read_text
from .kbconfig import KBConfig
from .markdown_text import headings, links, prose_lines
from .schema import (
    FIELDS,
    FIELDS_BY_NAME,
    ID_PATTERN,
    MAX_ID_LENGTH,
    TYPES_REQUIRING_SYMPTOMS,
    type_error,
)

# Raw HTML that could run script in the employee site (catalogue K-01).
_UNSAFE_HTML = re.compile(
    r"<\s*(script|iframe|object|embed|style|form)\b|\son\w+\s*=|javascript\s*:", re.IGNORECASE
)


@dataclass
class _Parsed:
    """What the check keeps of one file for the cross-file passes."""

    relative: str
    data: dict = field(default_factory=dict)
    body: str = ""
    body_start: int = 1
    anchors: set[str] = field(default_factory=set)
    is_article: bool = False


def check_kb(root: Path | str, config: KBConfig, *, today: dt.date | None = None) -> list[Problem]:
    """Check every Markdown file under ``root`` and return all problems, sorted.

    Args:
        root: the KB folder (``kb/``).
        config: categories and required sections from ``helpdesk.yml``.
        today: the date used for staleness warnings (tests pass a fixed one).

    Returns:
        Errors and warnings; the KB is valid when none is an error.
    """
    root = Path(root)
    today = today or dt.date.today()
    problems: list[Problem] = []
    parsed: dict[str, _Parsed] = {}
    for path in markdown_files(root):
        relative = path.relative_to(root).as_posix()
        display = _display(path)
        try:
            matter = split_front_matter(read_text(path))
        except ArticleError as exc:
            problems.append(Problem(display, exc.line, exc.message))
            continue
        except FrontMatterError as exc:
            problems.append(Problem(display, exc.line, exc.message))
            continue
        item = _Parsed(relative, matter.data, matter.body, matter.body_start_line)
        item.anchors = {h.slug for h in headings(matter.body)}
        item.is_article = not is_page(Path(relative))
        parsed[relative] = item
        if item.is_article:
            problems += _check_article(display, item, matter.present, matter.key_lines, config, today)
        problems += _check_unsafe_html(display, item)
    problems += _check_unique_ids(root, parsed)
    problems += _check_links(root, parsed)
    problems += _check_item_links(root, parsed, config.catalogue_items)
    return sorted(set(problems))


def _display(path: Path) -> str:
    """Return the path as the author would type it (relative to the working folder when possible)."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _check_article(display, item, present, key_lines, config, today) -> list[Problem]:
    """Check one article's front matter and required sections."""
    problems = []
    data = item.data

    def add(message, key=None, severity="error"):
        problems.append(Problem(display, key_lines.get(key, 1) if key else 1, message, severity))

    if not present:
        add("no front matter; start the file with '---', the fields, then '---'")
        return problems
    known = set(FIELDS_BY_NAME)
    for key in data:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; allowed fields: {', '.join(sorted(known))}"
            add(f"unknown field '{key}'{hint}", key)
    for spec in FIELDS:
        if spec.name not in data or data[spec.name] is None:
            if spec.required:
                add(f"missing required field '{spec.name}' ({spec.help})")
            continue
        error = type_error(spec, data[spec.name])
        if error:
            add(error, spec.name)
    article_id = data.get("id")
    if isinstance(article_id, str) and (not ID_PATTERN.match(article_id) or len(article_id) > MAX_ID_LENGTH):
        add(f"field 'id' is '{article_id}'; use lowercase letters, digits and hyphens (kebab-case, at most {MAX_ID_LENGTH})", "id")
    category = data.get("category")
    if isinstance(category, str) and category.strip():
        if category not in config.categories:
            add(f"unknown category '{category}'; expected one of: {', '.join(config.categories)} (helpdesk.yml)", "category")
        folder = Path(item.relative).parts[0]
        if category != folder and category in config.categories:
            add(f"category '{category}' does not match the folder '{folder}'; move the file to {category}/", "category")
    article_type = data.get("type")
    if article_type in TYPES_REQUIRING_SYMPTOMS and not data.get("symptoms"):
        add(f"a {article_type} needs 'symptoms': how employees describe the problem, in their words")
    problems += _check_sections(display, item, article_type, config)
    reviewed = data.get("reviewed")
    if isinstance(reviewed, dt.date) and not isinstance(reviewed, dt.datetime):
        every = data.get("review_every")
        every = every if isinstance(every, int) and every > 0 else config.default_review_every
        if reviewed > today:
            add(f"'reviewed' date {reviewed} is in the future", "reviewed")
        elif (today - reviewed).days > every:
            add(f"stale: reviewed {reviewed}, more than {every} days ago; review it and update 'reviewed'", "reviewed", "warning")
    return problems


def _check_sections(display, item, article_type, config) -> list[Problem]:
    """Report required level-2 sections missing for the article's type."""
    required = config.required_sections.get(article_type, ())
    present = {h.text.strip().lower() for h in headings(item.body) if h.level == 2}
    return [
        Problem(display, item.body_start, f"a {article_type} needs a section '## {name}'")
        for name in required
        if name.lower() not in present
    ]


def _check_unsafe_html(display, item) -> list[Problem]:
    """Report raw HTML able to run script (script, iframe, on*= handlers, javascript: links)."""
    return [
        Problem(display, item.body_start + number - 1,
                "raw HTML that can run script is not allowed (script, iframe, object, embed, style, form, on*=, javascript:); write plain Markdown")
        for number, line in prose_lines(item.body)
        if _UNSAFE_HTML.search(line)
    ]


def _check_unique_ids(root, parsed) -> list[Problem]:
    """Report ids used by more than one article."""
    owners: dict[str, str] = {}
    problems = []
    for relative, item in parsed.items():
        article_id = item.data.get("id")
        if not item.is_article or not isinstance(article_id, str):
            continue
        if article_id in owners:
            problems.append(Problem(_display(root / relative), 1, f"duplicate id '{article_id}', already used by {owners[article_id]}"))
        else:
            owners[article_id] = relative
    return problems


def _check_links(root, parsed) -> list[Problem]:
    """Report internal links to missing files or anchors, and public pages linking to internal ones."""
    problems = []
    for relative, item in parsed.items():
        display = _display(root / relative)
        source_public = not item.is_article or item.data.get("audience") != "technicians"
        for number, target in links(item.body):
            line = item.body_start + number - 1
            parts = urlsplit(target)
            if parts.scheme or parts.netloc or target.startswith("/"):
                continue
            path, anchor = unquote(parts.path), unquote(parts.fragment)
            if not path:
                destination = relative
            else:
                destination = posixpath.normpath(posixpath.join(posixpath.dirname(relative), path))
                if destination.endswith("/") or not destination.endswith(".md"):
                    if (destination + "/index.md") in parsed:
                        destination += "/index.md"
            if destination not in parsed:
                if not path.endswith(".md") and (root / destination).exists():
                    continue  # a non-Markdown asset next to the article
                problems.append(Problem(display, line, f"broken link '{target}': no file {destination} in the KB"))
                continue
            target_item = parsed[destination]
            if source_public and target_item.is_article and target_item.data.get("audience") == "technicians":
                problems.append(Problem(display, line, f"link '{target}' points to a technician-only article, which is not on the employee site"))
            if anchor and anchor not in target_item.anchors:
                problems.append(Problem(display, line, f"broken anchor '#{anchor}' in link '{target}': no such heading in {destination}"))
    return problems


def _check_item_links(root, parsed, items: frozenset[str] | None) -> list[Problem]:
    """Report links to the request form (``?item=<id>``) naming an item that helpdesk.yml's catalogue lacks."""
    if items is None:
        return []
    problems = []
    for relative, item in parsed.items():
        display = _display(root / relative)
        for number, target in links(item.body):
            parts = urlsplit(target)
            if parts.netloc:
                continue  # another site's ?item= is not ours
            for value in parse_qs(parts.query, keep_blank_values=True).get("item", []):
                if value not in items:
                    known = ", ".join(sorted(items)) or "none"
                    problems.append(Problem(display, item.body_start + number - 1,
                                            f"link '{target}' names the catalogue item '{value}', which helpdesk.yml's "
                                            f"catalogue does not have; use one of: {known}"))
    return problems
