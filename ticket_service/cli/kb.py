"""``guichet kb``: write and check knowledge-base articles."""

from __future__ import annotations

from pathlib import Path

import click

from search import ARTICLE_TYPES, AUDIENCES, SearchError, scaffold_article
from search.cli import resolve_config, run_check

from ticket_service.settings import PROJECT_ROOT

KB_OPTION = click.option(
    "--kb", "kb_dir", type=click.Path(file_okay=False, path_type=Path),
    default=PROJECT_ROOT / "kb", show_default=True, help="Knowledge-base folder.",
)


@click.group()
def kb():
    """Write and check knowledge-base articles."""


@kb.command("check")
@KB_OPTION
@click.option("--strict", is_flag=True, help="Count warnings (stale reviews) as errors.")
def kb_check(kb_dir: Path, strict: bool):
    """Validate every article; exit 1 when any error is found."""
    if run_check(kb_dir, None, strict):
        raise SystemExit(1)


@kb.command("new")
@KB_OPTION
@click.argument("title")
@click.option("--category", "-c", required=True, help="Category id from helpdesk.yml.")
@click.option("--type", "article_type", default="solution", show_default=True,
              type=click.Choice(ARTICLE_TYPES))
@click.option("--audience", default="employees", show_default=True,
              type=click.Choice(AUDIENCES))
@click.option("--owner", default="Équipe support N1", show_default=True)
@click.option("--id", "article_id", help="Article id (default: made from the title).")
def kb_new(kb_dir: Path, title: str, category: str, article_type: str, audience: str, owner: str, article_id: str | None):
    """Create a new article with valid front matter and the sections its type requires."""
    config = resolve_config(kb_dir, None)
    try:
        path = scaffold_article(kb_dir, config, title=title, category=category, article_type=article_type,
                                audience=audience, owner=owner, article_id=article_id)
    except SearchError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"Created {path}: fill in the symptoms and sections, then run `guichet kb check`.")
