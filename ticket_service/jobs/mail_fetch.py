"""The periodic mail fetch: read every mailbox of helpdesk.yml ``mail_in:`` (each one's failure stays its own)."""

from __future__ import annotations

import logging

from ticket_service.domain.clock import Clock
from ticket_service.jobs.builtin import _context
from ticket_service.jobs.registry import job

log = logging.getLogger("guichet.mail_in")


@job("mail.fetch")
def fetch_mail(app, database, payload: dict, clock: Clock) -> dict[str, str]:
    """Take in what waits in each mailbox (or ``payload["mailbox"]``); return one line per mailbox."""
    from ticket_service.channels.imap import ImapError, run_mailbox

    ctx = _context(app, clock)
    boxes = [b for b in ctx.policies.mail_in.mailboxes if payload.get("mailbox") in (None, b.name)]
    done, failed = {}, []
    for box in boxes:
        try:
            done[box.name] = run_mailbox(app, ctx, box).line()
        except ImapError as exc:  # one unreachable mailbox does not keep the others waiting
            log.warning("%s", exc)
            done[box.name], failed = str(exc), failed + [box.name]
    if failed and len(failed) == len(boxes):
        raise ImapError("; ".join(done[name] for name in failed))  # every mailbox failed: the job retries later
    return done
