"""From ticket to pull request: the KB-gap list and « Rédiger une fiche » (preview, check result, download)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, render_template
from sqlalchemy import select

from ticket_service.domain.access import visible_clause
from ticket_service.domain.drafts import Draft, branch_commands, build_draft, check_draft
from ticket_service.domain.errors import Conflict
from ticket_service.domain.vocabulary import DONE
from ticket_service.http.web import articles as kb
from ticket_service.http.web.common import back_to, env, staff_only, ticket_for
from ticket_service.store.models import Comment, Person, Ticket

bp = Blueprint("kb_drafts", __name__, url_prefix="/desk")


@bp.get("/fiches")
@staff_only
def gaps():
    """List resolved tickets flagged « aucune fiche » (KB gaps), newest first, each with « Rédiger une fiche »."""
    db, ctx, user = env()
    rows = db.scalars(select(Ticket).where(visible_clause(ctx, user), Ticket.kb_gap.is_(True), Ticket.status.in_(DONE))
                      .order_by(Ticket.resolved_at.desc(), Ticket.id.desc()).limit(200)).all()
    return render_template("desk/gaps.html", tickets=rows, categories=ctx.policies.categories)


def make_draft(ticket_id: int) -> Draft:
    """Build and check the draft of a resolved ticket."""
    back_to("desk_ticket.show", ticket_id=ticket_id)
    db, ctx, user = env()
    t = ticket_for(ticket_id)
    if t.status not in DONE or not t.resolution_note:
        raise Conflict("not_resolved", "Une fiche se rédige à partir d'un ticket résolu.")
    names = [p.name for p in db.scalars(select(Person))]
    words = db.scalars(select(Comment.body).where(Comment.ticket_id == t.id, Comment.internal.is_(False),
                                                  Comment.author_id == t.requester_id).order_by(Comment.id)).all()
    category = t.category if t.category in ctx.policies.categories else next(iter(ctx.policies.categories))
    group = ctx.policies.groups.get(t.group)
    article_id, text = build_draft(title=t.title, description=t.description, requester_words=list(words),
                                   resolution=t.resolution_note, category=category,
                                   owner=group.name if group else "Équipe support", names=names,
                                   taken_ids=kb.article_ids())
    problems = check_draft(article_id, category, text, Path(current_app.config["HELPDESK_CONFIG"]))
    return Draft(article_id, category, text, problems)


@bp.get("/tickets/<int:ticket_id>/fiche")
@staff_only
def draft(ticket_id: int):
    """Show the draft, the KB check's verdict and the commands that put it in a branch."""
    d = make_draft(ticket_id)
    return render_template("desk/draft.html", d=d, t=ticket_for(ticket_id), commands=branch_commands(d))


@bp.get("/tickets/<int:ticket_id>/fiche.md")
@staff_only
def download(ticket_id: int):
    """Download the draft as kb/<category>/<id>.md content."""
    d = make_draft(ticket_id)
    return Response(d.text, mimetype="text/markdown; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{d.article_id}.md"'})
