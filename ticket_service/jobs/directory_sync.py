"""The ``directory.sync`` job: read the company directory, then apply it (off by default: interval 0)."""

from __future__ import annotations

from ticket_service.domain.clock import Clock
from ticket_service.jobs.registry import job


def run_sync(app, database, clock: Clock, *, dry_run: bool = False):
    """Read the directory (outside any transaction) and apply it; return the Plan (``braked`` when stopped).

    Raises DirectoryError when the directory cannot be read, LookupError when none is configured.
    """
    from ticket_service.actions.directory import sync
    from ticket_service.channels.directory import read_people
    from ticket_service.runtime import get_ctx

    with app.app_context():
        config = get_ctx().policies.directory
    if config is None:
        raise LookupError("no `directory:` section in helpdesk.yml (docs/annuaire.md)")
    records, skipped = read_people(config)
    with (database.reader() if dry_run else database.writer()) as db:  # a dry run never takes the write lock
        result = sync(db, records, config.max_disable_ratio, clock.now(), dry_run=dry_run)
    result.skipped[:0] = skipped
    return result


@job("directory.sync")
def directory_sync(app, database, payload: dict, clock: Clock) -> str:
    """Sync people from the directory; a run stopped by the safety brake fails loudly (the job log says why)."""
    result = run_sync(app, database, clock)
    if result.braked:
        raise RuntimeError(f"directory.sync stopped by the safety brake, nothing written: {result.summary()}")
    return result.summary()
