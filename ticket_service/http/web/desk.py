"""The technician desk: queues with filters, sorts and counts, and bulk actions (assign, link to a problem)."""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, or_, select

from search.analysis import fold

from ticket_service.actions import tickets as ticket_actions
from ticket_service.domain import sla
from ticket_service.domain.access import visible_clause
from ticket_service.domain.errors import invalid
from ticket_service.domain.vocabulary import DONE, LEVELS, OPEN, PRIORITIES, REQUEST_TYPES, STAFF_ROLES, STATUSES
from ticket_service.http.api.tickets import SORTS
from ticket_service.http.validation import is_valid_text, parse_id
from ticket_service.http.web.common import back_to, done, env, form_int, staff_only
from ticket_service.store.models import Person, Ticket, TicketTag

bp = Blueprint("desk", __name__, url_prefix="/desk")

QUEUES = ("open", "mine", "group", "unassigned", "at_risk", "breached", "awaiting_approval", "kb_gap", "all")
FILTERS = {"level": LEVELS, "priority": PRIORITIES,
           "type": REQUEST_TYPES, "status": STATUSES}
PAGE_SIZE = 100
SEARCH_MAX_WORDS = 6
TAG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")  # domain.automation's tag form
IDS_MAX = 500  # ?ids=: the tickets behind a /pilotage figure


def search_clauses(text: str) -> list:
    """Return one condition per word of a desk search: each word in the title or description (case and accents
    ignored: « ecran » finds « Écran »), or the requester's name or e-mail; wildcards are taken literally; « #123 »
    or « 123 » also matches ticket 123."""
    clauses = []
    for word in text.split()[:SEARCH_MAX_WORDS]:
        literal = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        requesters = select(Person.id).where(or_(Person.name.ilike(f"%{literal}%", escape="\\"),
                                                 Person.email.ilike(f"%{literal}%", escape="\\")))
        options = [Ticket.search_text.like(f"%{fold(literal)}%", escape="\\"), Ticket.requester_id.in_(requesters)]
        number = parse_id(word.removeprefix("#"))
        if number is not None:
            options.append(Ticket.id == number)
        clauses.append(or_(*options))
    return clauses


def queue_clause(name: str, user, ctx, now, sla_ids: dict[str, list[int]]):
    """Return the SQL condition of a named queue (« à risque » / « dépassé »: the SLA watch's own computation)."""
    open_ = Ticket.status.in_(OPEN)
    if name in ("at_risk", "breached"):
        return Ticket.id.in_(sla_ids[name]) & open_
    groups = ctx.policies.groups_of(user.email) or ["-"]
    return {
        "open": open_, "all": Ticket.id.is_not(None),
        "mine": (Ticket.assignee_id == user.id) & open_,
        "group": Ticket.group.in_(groups) & open_,
        "unassigned": Ticket.assignee_id.is_(None) & Ticket.status.in_(("new", "in_progress", "waiting")),
        "awaiting_approval": Ticket.status == "awaiting_approval",
        "kb_gap": Ticket.kb_gap.is_(True) & Ticket.status.in_(DONE),
    }[name]


def technicians(db) -> list[Person]:
    return list(db.scalars(select(Person).where(Person.role.in_(STAFF_ROLES), Person.active.is_(True))
                           .order_by(Person.name)))


@bp.get("")
@staff_only
def queue():
    """List tickets of a queue, filtered and sorted (allow-listed parameters only), with every queue's count."""
    db, ctx, user = env()
    now = ctx.clock.now()
    args = request.args
    name = args.get("queue", "open")
    sort = args.get("sort", "resolution_due")
    filters = {k: args[k] for k in FILTERS if args.get(k)}
    page = args.get("page", "1")
    search = " ".join(args.get("q", "").split())[:100]
    if not is_valid_text(search):
        abort(400)  # the API's text rule: a NUL or a lone surrogate can never be a query parameter
    if name not in QUEUES or sort.lstrip("-") not in SORTS or any(v not in FILTERS[k] for k, v in filters.items()):
        abort(400)
    tag = args.get("tag", "")  # a rule's tag (« vpn »), linked from a ticket's page
    if tag and not TAG.match(tag):
        abort(400)
    ids = args.get("ids", "")  # a dashboard figure's tickets: « 12,15,40 »
    wanted = [parse_id(i) for i in ids.split(",")] if ids else []
    if None in wanted or len(wanted) > IDS_MAX:
        abort(400)
    page = parse_id(page)
    if page is None or not 1 <= page <= 100_000:
        abort(400)
    sla_ids = sla.queue_ids(db, now, ctx.policies, ctx.calendar)
    seen = visible_clause(ctx, user)  # an outside provider's technicians: their group's tickets only
    stmt = select(Ticket).where(seen, queue_clause(name, user, ctx, now, sla_ids))
    for key, value in filters.items():
        stmt = stmt.where(getattr(Ticket, key) == value)
    if search:
        stmt = stmt.where(*search_clauses(search))
    if wanted:
        stmt = stmt.where(Ticket.id.in_(wanted))
    if tag:
        stmt = stmt.where(Ticket.id.in_(select(TicketTag.ticket_id).where(TicketTag.tag == tag)))
    column = SORTS[sort.lstrip("-")]
    # Tickets without a due date (paused, resolved) go last whatever the direction.
    stmt = stmt.order_by(column.is_(None), column.desc() if sort.startswith("-") else column.asc(), Ticket.id.desc())
    total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page, pages)
    tickets = db.scalars(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    counts = {q: db.scalar(select(func.count()).select_from(Ticket).where(seen, queue_clause(q, user, ctx, now, sla_ids)))
              for q in QUEUES}
    people = {p.id: p for p in db.scalars(select(Person).where(Person.id.in_(
        {t.requester_id for t in tickets} | {t.assignee_id for t in tickets if t.assignee_id})))}
    clocks = {t.id: sla.sla_view(t, now, ctx.policies, ctx.calendar) for t in tickets}
    problems = db.scalars(select(Ticket).where(seen, Ticket.type == "problem", Ticket.status.in_(OPEN))
                          .order_by(Ticket.id.desc())).all()
    return render_template("desk/queue.html", tickets=tickets, total=total, page=page, pages=pages,
                           first=(page - 1) * PAGE_SIZE + 1 if tickets else 0, last=(page - 1) * PAGE_SIZE + len(tickets),
                           counts=counts, queue=name, sort=sort, search=search, ids=ids, tag=tag,
                           filters=filters, FILTERS=FILTERS, QUEUES=QUEUES, sorts=sorted(SORTS), people=people,
                           clocks=clocks, technicians=technicians(db), problems=problems)


@bp.post("/bulk")
@staff_only
def bulk():
    """Assign the selected tickets, or link them to a problem; each ticket succeeds or fails on its own."""
    db, ctx, user = env()
    back_to("desk.queue")
    ids = sorted({n for n in map(parse_id, request.form.getlist("ids")) if n is not None})
    action = request.form.get("action")
    if not ids:
        raise invalid(_("Cochez au moins un ticket."))
    if action == "assign":
        _applied, refused = ticket_actions.assign_many(db, ctx, user, ids, form_int("assignee_id"))
    elif action == "link_problem":
        _applied, refused = ticket_actions.link_many_to_problem(db, ctx, user, ids, form_int("problem_id") or 0)
    else:
        raise invalid(_("Action groupée inconnue."))
    failed = [f"#{ticket_id} : {message}" for ticket_id, message in refused]
    if failed:
        flash(_("Non appliqué à : %(list)s", list=" ; ".join(failed)), "error")
    applied = len(ids) - len(failed)
    return done(ngettext("Action appliquée à %(num)d ticket.", "Action appliquée à %(num)d tickets.", applied), "desk.queue")


def queue_url(**changes) -> str:
    """Return the queue URL with some parameters changed (used by the filter links)."""
    params = {k: v for k, v in request.args.items() if k in ("queue", "sort", "q", "ids", "tag", *FILTERS)}
    params.update({k: v for k, v in changes.items()})  # a changed filter starts again at page 1 (no "page" kept)
    return url_for("desk.queue", **{k: v for k, v in params.items() if v})


@bp.app_template_global()
def desk_queue_url(**changes) -> str:
    return queue_url(**changes)


