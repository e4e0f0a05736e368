"""Command line of the search package: ``python -m search check|...``."""

from __future__ import annotations

from pathlib import Path

import click

from .check import check_kb
from .errors import ConfigError
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
