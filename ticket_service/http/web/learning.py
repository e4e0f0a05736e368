"""« Apprentissage des suggestions »: technicians review past requests before the suggestion index learns them."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _

from ticket_service.actions import help
from ticket_service.domain import learning
from ticket_service.http.validation import check_text
from ticket_service.http.web import articles as kb
from ticket_service.http.web.common import back_to, done, env, form_int, form_text, staff_only

log = logging.getLogger(__name__)
bp = Blueprint("learning", __name__, url_prefix="/desk/apprentissage")


def publish(db) -> None:
    """Write the approved pairs beside the index; the running index reloads them on its next request."""
    try:
        learning.publish(db, Path(current_app.config["INDEX_DIR"]))
    except OSError as exc:  # the decision is committed: the next decision or `guichet serve` publishes again
        log.error("could not write the learned pairs beside the index: %s", exc)


def teaching_order(standing: dict | None) -> int:
    """Return 0 for requests whose article employees do not get today, 1 for a lower rank, 2 when already first.

    The requests that would teach the index something come first; unknown standings (no index) sit in the middle.
    """
    if standing is None:
        return 1
    if not standing["shown"] or standing["rank"] is None:
        return 0
    return 2 if standing["rank"] == 1 else 1


@bp.get("")
@staff_only
def review():
    """List the pairs waiting for review and the pairs the index uses."""
    db, ctx, user = env()
    titles = {a.id: a.title for a in kb.catalogue()}
    used = [(p, json.loads(p.articles)) for p in learning.approved(db, limit=200)]
    pending = learning.candidates(db)
    standings = {c.source: kb.standing(c.text, c.articles) for c in pending}
    pending.sort(key=lambda c: teaching_order(standings.get(c.source)))  # stable: newest first within a group
    return render_template("desk/learning.html", pending=pending, standings=standings, used=used, titles=titles,
                           site_url=kb.site_url, max_text=learning.MAX_TEXT)


@bp.post("/decision")
@staff_only
def decide():
    """Approve (with the reviewed text and the articles kept) or reject one candidate."""
    back_to("learning.review")
    db, ctx, user = env()
    sources = [check_text(value.strip()[:80]) for value in request.form.getlist("source")][:500]
    approve = request.form.get("action") == "approve"
    text = form_text("text", max_len=learning.MAX_TEXT * 4)
    help.decide_learning(db, ctx, user, sources, approve=approve, text=text, articles=request.form.getlist("articles"))
    if approve:
        publish(db)
        return done(_("Demande apprise : les suggestions en tiennent compte."), "learning.review")
    return done(_("Proposition écartée."), "learning.review")


@bp.post("/retirer")
@staff_only
def withdraw():
    """Stop using an approved pair."""
    back_to("learning.review")
    db, ctx, user = env()
    help.withdraw_learning(db, user, form_int("pair") or 0)
    publish(db)
    return done(_("Paire retirée : les suggestions ne l'utilisent plus."), "learning.review")
