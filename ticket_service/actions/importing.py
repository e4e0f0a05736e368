"""Import past tickets from a file: the whole file in one transaction, so an error leaves nothing half-imported."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from ticket_service.actions.unit import commit, rollback
from ticket_service.domain.context import Context
from ticket_service.domain.errors import DomainError
from ticket_service.domain.events import take_pending
from ticket_service.domain.importing import LineProblems, Replay, read_file
from ticket_service.store import report_snapshots


@dataclass
class ImportReport:
    """What an import read and did; ``errors`` holds one ``FILE:LINE: field: problem`` per problem."""

    filename: str
    dry_run: bool = False
    lines: int = 0  # ticket lines read (blank lines not counted)
    imported: int = 0  # replayed (committed unless dry_run or errors)
    skipped: int = 0  # already imported under the same external id: left as they are
    people_created: int = 0  # accounts made inactive for e-mails the helpdesk did not know
    errors: list[str] = field(default_factory=list)
    bad_lines: int = 0  # lines with at least one problem
    written: bool = False  # the transaction was committed


def import_tickets(db: Session, ctx: Context, lines: Iterable[str], *, filename: str, fmt: str,
                   dry_run: bool = False, progress: Callable[[ImportReport], None] | None = None) -> ImportReport:
    """Read, check and replay every line, then commit all of it, or nothing when a line is bad or on a dry run.

    Every bad line is reported (each ticket is replayed in a savepoint, so one refusal does not hide the next);
    a second import of the same file skips every ticket by its external id. The replayed tickets' domain events are
    not written to the outbox: the past sends no mail and calls no webhook.
    """
    report = ImportReport(filename, dry_run)
    replay = Replay(db, ctx)
    seen: dict[str, int] = {}
    try:
        for line in read_file(lines, fmt, ctx.policies, ctx.policies.organisation.zone, ctx.clock.now()):
            report.lines += 1
            problems = line.problems
            rec = line.record
            if rec is not None:
                if rec.external_id in seen:
                    problems = [("external_id", f"« {rec.external_id} » déjà vu ligne {seen[rec.external_id]}")]
                elif replay.existing(rec.external_id) is not None:
                    seen[rec.external_id] = line.number
                    report.skipped += 1
                else:
                    seen[rec.external_id] = line.number
                    problems = _replay(db, replay, rec)
                    if not problems:
                        report.imported += 1
            if problems:
                report.bad_lines += 1
                report.errors += [f"{filename}:{line.number}: {name}: {problem}" for name, problem in problems]
            report.people_created = replay.people_created
            if progress is not None:
                progress(report)
    except BaseException:
        rollback(db)
        raise
    if report.errors or dry_run:
        rollback(db)
    else:
        if report.imported:
            report_snapshots.drop_all(db)  # the past changed: no refreshed dashboard view may show the old one
        commit(db)
        report.written = True
    return report


def _replay(db: Session, replay: Replay, rec) -> list[tuple[str, str]]:
    """Replay one ticket in a savepoint; return its problems (the savepoint rolled back) or none."""
    try:
        with db.begin_nested():
            replay.ticket(rec)
    except LineProblems as exc:
        replay.forget()
        return exc.problems
    except DomainError as exc:
        replay.forget()
        return [(name, str(problem)) for name, problem in exc.fields.items()] or [("ticket", exc.message)]
    finally:
        take_pending(db)  # historical events: no mail, no webhook
    return []
