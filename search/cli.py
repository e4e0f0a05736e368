"""Command line of the search package: ``python -m search check|...``."""

from __future__ import annotations

from pathlib import Path

import click

from .check import check_kb
from .errors import ConfigError, SearchError
from .kbconfig import KBConfig, find_config, load_kb_config


def resolve_config(kb_dir: Path, config_path: Path | None) -> KBConfig:
    """Load ``helpdesk.yml`` given explicitly or found beside the KB folder."""
    path = config_path or find_config(kb_dir)
    if path is None:
        raise click.UsageError(f"no helpdesk.yml found beside {kb_dir}; pass --config PATH")
    try:
        return load_kb_config(path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def run_check(kb_dir: Path, config_path: Path | None, strict_warnings: bool = False) -> int:
    """Print every problem of the KB and return the number of errors."""
    problems = check_kb(kb_dir, resolve_config(kb_dir, config_path))
    for problem in problems:
        click.echo(str(problem), err=True)
    errors = sum(p.is_error or strict_warnings for p in problems)
    warnings = len(problems) - sum(p.is_error for p in problems)
    summary = f"{kb_dir}: {errors} error(s), {warnings} warning(s)"
    click.echo(summary, err=bool(errors))
    return errors


@click.group()
def main():
    """Check the knowledge base and query its similarity index."""


@main.command()
@click.argument("kb_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="helpdesk.yml (default: found beside KB_DIR)")
@click.option("--strict", is_flag=True, help="Count warnings (stale reviews) as errors.")
def check(kb_dir: Path, config_path: Path | None, strict: bool):
    """Validate every article of KB_DIR; exit 1 when any error is found."""
    if run_check(kb_dir, config_path, strict):
        raise SystemExit(1)


def is_foreign(kb_dir: Path) -> bool:
    """Return True when the KB's articles carry no ``id``: a foreign corpus, read leniently."""
    from .articles import markdown_files, read_text
    from .frontmatter import FrontMatterError, split_front_matter

    for path in markdown_files(kb_dir)[:20]:
        try:
            if "id" in split_front_matter(read_text(path)).data:
                return False
        except (FrontMatterError, SearchError):
            continue
    return True


def open_index(source: Path, lenient: bool, history: Path | None = None):
    """Load an artifact folder, or build an index from a KB folder."""
    from .articles import load_articles
    from .history import read_history
    from .index import build_index
    from .store import MANIFEST, load_index

    try:
        if (source / MANIFEST).is_file():
            index = load_index(source)
            return index.with_history(index.all_history + read_history(history)) if history else index
        articles = load_articles(source, lenient=lenient or is_foreign(source))
        pairs = read_history(history) if history else None
        return build_index(articles, history=pairs)
    except SearchError as exc:
        raise click.ClickException(str(exc)) from None


@main.command()
@click.argument("kb_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Artifact folder (default: KB_DIR/../.search-index).")
@click.option("--lenient", is_flag=True, help="Foreign corpus: only titles, ids are paths.")
def build(kb_dir: Path, out_dir: Path | None, lenient: bool):
    """Build the suggestion index of KB_DIR and save it (keeps the folder's history.jsonl)."""
    import time

    from .history import HISTORY_FILE, read_history
    from .store import save_index

    out_dir = out_dir or kb_dir.resolve().parent / ".search-index"
    start = time.perf_counter()
    index = open_index(kb_dir, lenient)
    if (out_dir / HISTORY_FILE).is_file():
        index = index.with_history(read_history(out_dir / HISTORY_FILE))
    save_index(index, out_dir)
    click.echo(f"{out_dir}: {len(index)} articles indexed in {time.perf_counter() - start:.2f} s")


@main.command()
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("text")
@click.option("--audience", type=click.Choice(["employees", "technicians"]), default="employees",
              show_default=True)
@click.option("--lang", type=click.Choice(["fr", "en"]), default=None, help="Default: detected.")
@click.option("-k", "k", type=int, default=5, show_default=True)
@click.option("--lenient", is_flag=True, help="Foreign corpus: only titles, ids are paths.")
def query(source: Path, text: str, audience: str, lang: str | None, k: int, lenient: bool):
    """Print the suggestions for TEXT from an artifact folder or a KB folder (SOURCE)."""
    index = open_index(source, lenient)
    if index.semantic is None:
        from .encoder import unavailable_reason

        click.echo(f"note: lexical signals only ({unavailable_reason() or 'the index holds no vectors of this encoder'})",
                   err=True)
    result = index.suggest(text, lang=lang, audience=audience, k=k)
    if result.abstained:
        click.echo(f"no suggestion (confidence {result.confidence:.2f}, lang {result.lang})")
        return
    click.echo(f"confidence {result.confidence:.2f}, lang {result.lang}")
    for rank, s in enumerate(result.suggestions, start=1):
        marked = s.snippet
        for start, end in reversed(s.highlights):
            marked = f"{marked[:start]}«{marked[start:end]}»{marked[end:]}"
        click.echo(f"{rank}. {s.id}  {s.title}  (score {s.score:.3f}, confidence {s.confidence:.2f})")
        if marked:
            click.echo(f"   {marked}")


def warn_unknown(queries_path: Path, kb_dir: Path, missing: list[str]) -> None:
    """Warn on stderr about relevant ids that are not articles of the KB (a wrong folder, a renamed article)."""
    if missing:  # they can never be found: every metric would be silently low
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        click.echo(f"Warning: {queries_path}: {len(missing)} relevant id(s) are not articles of {kb_dir}: "
                   f"{shown}", err=True)


@main.command(name="eval")
@click.option("--kb", "kb_dir", required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path), help="KB or corpus folder.")
@click.option("--queries", "queries_path", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Query lines (JSONL).")
@click.option("--history", "history_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Past resolutions (JSONL, same format) fed to the index first.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--lenient", is_flag=True, help="Foreign corpus (automatic when articles have no id).")
def eval_command(kb_dir: Path, queries_path: Path, history_path: Path | None, as_json: bool,
                 lenient: bool):
    """Measure the suggestions of KB_DIR on labelled queries."""
    import json
    import time

    from .evaluate import evaluate, read_queries, unknown_articles

    try:
        queries = read_queries(queries_path)
        start = time.perf_counter()
        index = open_index(kb_dir, lenient, history_path)
        build_s = time.perf_counter() - start
        warn_unknown(queries_path, kb_dir, unknown_articles(index, queries))
        report = evaluate(index, queries, build_s=build_s)
    except SearchError as exc:
        raise click.ClickException(str(exc)) from None
    report.pop("per_query")
    if as_json:
        click.echo(json.dumps(report))
        return
    for name, value in report.items():
        click.echo(f"{name:24} {value}")


@main.command(name="compare")
@click.option("--base", "base_dir", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The KB before the change (the base revision's kb/).")
@click.option("--kb", "kb_dir", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The changed KB.")
@click.option("--queries", "queries_paths", required=True, multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Query lines (JSONL); repeatable.")
@click.option("--floors", "floors_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Limits per query file name (JSON), checked on the changed KB.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def compare_command(base_dir: Path, kb_dir: Path, queries_paths: tuple[Path, ...], floors_path: Path | None,
                    as_json: bool):
    """Compare the suggestions of KB_DIR with those of its base; exit 1 when a floor is broken."""
    import json

    from .compare import format_report, run_compare

    try:
        report = run_compare(base_dir, kb_dir, list(queries_paths), floors_path)
    except SearchError as exc:
        raise click.ClickException(str(exc)) from None
    if not report["semantic"]:
        from .encoder import unavailable_reason

        click.echo(f"note: lexical signals only ({unavailable_reason() or 'no encoder'})", err=True)
    for path in queries_paths:
        warn_unknown(path, kb_dir, report["queries"][path.name]["unknown_relevant"])
    for name in report["floors"]["unused"]:
        click.echo(f"Warning: {floors_path}: floors for {name}, but no --queries file of that name", err=True)
    click.echo(json.dumps(report, ensure_ascii=False) if as_json else "\n".join(format_report(report)))
    if report["floors"]["broken"]:
        for message in report["floors"]["broken"]:
            click.echo(f"Error: floor broken on {kb_dir}: {message}", err=True)
        raise SystemExit(1)
