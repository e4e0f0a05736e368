"""Read a folder of Markdown articles into ``Article`` records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ArticleError
from .frontmatter import MAX_FILE_BYTES, FrontMatterError, split_front_matter
from .markdown_text import Heading, headings

# Files that are never articles, in any corpus.
IGNORED_NAMES = frozenset({"ATTRIBUTION.md", "README.md"})


@dataclass
class Article:
    """One knowledge-base article: front-matter fields, Markdown body and headings."""

    id: str
    title: str
    path: str  # relative to the KB folder, POSIX separators
    body: str = ""
    type: str = "solution"
    category: str = ""
    audience: str = "employees"
    tags: list[str] = field(default_factory=list)
    symptoms: list[str] = field(default_factory=list)
    applies_to: list[str] = field(default_factory=list)
    owner: str = ""
    reviewed: dt.date | None = None
    review_every: int | None = None
    headings: list[Heading] = field(default_factory=list)

    @property
    def is_public(self) -> bool:
        """Return True when employees may see this article."""
        return self.audience == "employees"


def is_page(relative: Path) -> bool:
    """Return True for site pages that are not articles: top-level files and section indexes."""
    return len(relative.parts) == 1 or relative.name == "index.md"


def markdown_files(root: Path) -> list[Path]:
    """Return every Markdown file under ``root``, sorted, skipping hidden folders."""
    return sorted(
        path
        for path in root.rglob("*.md")
        if path.name not in IGNORED_NAMES
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
    )


def read_text(path: Path) -> str:
    """Read an article file as UTF-8 within the size cap.

    Raises:
        ArticleError: when the file is too large or not UTF-8.
    """
    data = path.read_bytes()
    if len(data) > MAX_FILE_BYTES:
        raise ArticleError(path, f"file is larger than {MAX_FILE_BYTES // 1_000_000} MB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ArticleError(path, "file is not valid UTF-8; save it as UTF-8", line) from None


def article_from_file(path: Path, root: Path, *, lenient: bool = False) -> Article:
    """Build an ``Article`` from one file, without validating the schema.

    In lenient mode (foreign corpora), only a title is expected and the id is the path.

    Raises:
        ArticleError: when the file or its front matter cannot be read.
    """
    relative = path.relative_to(root).as_posix()
    try:
        matter = split_front_matter(read_text(path))
    except FrontMatterError as exc:
        raise ArticleError(path, exc.message, exc.line) from None
    data = matter.data
    found = headings(matter.body)
    title = data.get("title") or next((h.text for h in found if h.level == 1), Path(relative).stem)
    article = Article(
        id=relative if lenient else str(data.get("id", "")),
        title=str(title),
        path=relative,
        body=matter.body,
        headings=found,
    )
    if lenient:
        article.category = Path(relative).parts[0] if "/" in relative else ""
        return article
    for name in ("type", "category", "audience", "owner"):
        if isinstance(data.get(name), str):
            setattr(article, name, data[name])
    for name in ("tags", "symptoms", "applies_to"):
        if isinstance(data.get(name), list):
            setattr(article, name, [str(v) for v in data[name]])
    if isinstance(data.get("reviewed"), dt.date):
        article.reviewed = data["reviewed"]
    if isinstance(data.get("review_every"), int):
        article.review_every = data["review_every"]
    return article


def load_articles(root: Path | str, *, lenient: bool = False) -> list[Article]:
    """Load every article under ``root`` (site pages excluded in strict mode).

    Args:
        root: the KB folder.
        lenient: accept foreign corpora whose front matter has only a title.

    Returns:
        The articles, sorted by path.

    Raises:
        ArticleError: for the first file that cannot be read; run ``check`` for the full list.
    """
    root = Path(root)
    articles = []
    for path in markdown_files(root):
        if not lenient and is_page(path.relative_to(root)):
            continue
        articles.append(article_from_file(path, root, lenient=lenient))
    return articles
