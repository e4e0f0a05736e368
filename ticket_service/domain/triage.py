"""Triage from history: train on resolved tickets, suggest a new ticket's category and group, apply a suggestion.

The model itself lives in ``search`` (``search/triage.py``); this module says which tickets teach it, where it is
kept (``Context.triage_dir``), what is stored of its guesses (``TriageSuggestion``) and how one is applied.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from babel.numbers import format_percent
from sqlalchemy import select
from sqlalchemy.orm import Session

from ticket_service.domain import tickets
from ticket_service.domain.context import Context
from ticket_service.domain.errors import Conflict, Forbidden, invalid
from ticket_service.domain.events import TicketUpdated, emit
from ticket_service.domain.history import record
from ticket_service.domain.vocabulary import STAFF_ROLES
from ticket_service.store.models import Person, Ticket, TriageSuggestion

log = logging.getLogger(__name__)

FIELDS = ("category", "group")
TRAINED_ON = ("resolved", "closed")  # a ticket's category and group are settled once it is resolved


@dataclass
class TrainReport:
    """What one training did: the tickets it learnt from, per field the labels, the held-out accuracy."""

    tickets: int
    counts: dict = field(default_factory=dict)
    version: str | None = None  # None: not trained (too few tickets)
    directory: Path | None = None
    accuracy: dict = field(default_factory=dict)  # field -> (model, majority baseline), 5-fold CV
    reason: str = ""


def training_examples(db: Session) -> list[dict]:
    """Return the resolved and closed tickets with a category, as the model's examples (text, category, group)."""
    from search import ticket_text

    rows = db.execute(select(Ticket.title, Ticket.description, Ticket.category, Ticket.group)
                      .where(Ticket.status.in_(TRAINED_ON), Ticket.category.is_not(None)).order_by(Ticket.id)).all()
    return [{"text": ticket_text(title, description), "category": category, "group": group}
            for title, description, category, group in rows]


def train(db: Session, ctx: Context, now: datetime, *, min_tickets: int, evaluate: bool = False) -> TrainReport:
    """Train the model on the settled tickets and save it in ``ctx.triage_dir``; too few tickets trains nothing.

    Args:
        evaluate: also measure held-out accuracy by 5-fold cross-validation (five more trainings).
    """
    from search import cross_validate, held_out_accuracy, save_triage, train_triage

    examples = training_examples(db)
    report = TrainReport(len(examples))
    if len(examples) < min_tickets:
        report.reason = (f"{len(examples)} resolved or closed tickets with a category, {min_tickets} needed "
                         "(TRIAGE_MIN_TICKETS)")
        return report
    model = train_triage(examples, FIELDS, trained_at=now.isoformat())
    report.counts, report.version = model.counts, model.version
    if evaluate:
        results = cross_validate(examples, FIELDS, folds=5)
        for name in FIELDS:
            top = max(model.counts[name].values()) / sum(model.counts[name].values())
            report.accuracy[name] = (held_out_accuracy(results, name)[0], top)
    report.directory = save_triage(model, ctx.triage_dir)
    _models.forget(ctx.triage_dir)
    return report


class _Models:
    """The loaded model of each folder, reloaded when its manifest changes (a retrain swaps the whole folder)."""

    def __init__(self):
        self._loaded: dict[Path, tuple] = {}
        self._lock = threading.Lock()

    def get(self, directory: Path | None):
        """Return the folder's model, or None when there is none (yet)."""
        from search import TriageNotReady, load_triage

        if directory is None:
            return None
        try:
            stat = (directory / "manifest.json").stat()
            stamp = (stat.st_mtime_ns, stat.st_ino, stat.st_size)
        except OSError:
            return None
        held = self._loaded.get(directory)
        if held is not None and held[0] == stamp:
            return held[1]
        with self._lock:
            try:
                model = load_triage(directory)
                model.features(["warm"])  # builds the vectorizers once, before threads share the model
            except TriageNotReady as exc:
                log.warning("no triage suggestions: %s", exc)
                model = None
            self._loaded[directory] = (stamp, model)
        return model

    def forget(self, directory: Path | None) -> None:
        self._loaded.pop(directory, None)


_models = _Models()


def percent(ctx: Context, confidence: float) -> str:
    """Return a confidence as the organisation's locale writes it (« 92 % »)."""
    return format_percent(confidence, locale=ctx.policies.organisation.locale)


def suggest(db: Session, ctx: Context, ticket: Ticket, now: datetime) -> list[TriageSuggestion]:
    """Store the model's category and group for a new ticket; apply them above ``triage.auto_apply_confidence``.

    Only confident guesses (the model's own floor) naming a category or group of today's ``helpdesk.yml`` are kept.
    Automatic application never overrides a person's choice: the category only when the ticket has none, the group
    only while the ticket is new in the default group.
    """
    from search import ticket_text

    model = _models.get(ctx.triage_dir)
    if model is None:
        return []
    guesses = model.predict(ticket_text(ticket.title, ticket.description))
    known = {"category": ctx.policies.categories, "group": ctx.policies.groups}
    stored = []
    for name in FIELDS:
        guess = guesses.get(name)
        if guess is None or guess.abstained or guess.label not in known[name]:
            continue
        suggestion = db.get(TriageSuggestion, (ticket.id, name)) or TriageSuggestion(ticket_id=ticket.id, field=name)
        suggestion.value, suggestion.confidence, suggestion.model_version = guess.label, guess.confidence, model.version
        suggestion.applied, suggestion.auto, suggestion.at = False, False, now
        db.add(suggestion)
        stored.append(suggestion)
    threshold = ctx.policies.triage_auto_apply
    for suggestion in stored:
        if threshold is None or suggestion.confidence < threshold or ticket.status != "new":
            continue
        if suggestion.field == "category" and ticket.category is not None:
            continue
        if suggestion.field == "group" and ticket.group != ctx.policies.default_group:
            continue
        reason = f"appliqué automatiquement par le tri (confiance {percent(ctx, suggestion.confidence)})"
        _set(db, ctx, ticket, None, suggestion, reason, now)
        suggestion.auto = True
    db.flush()
    return stored


def suggestions_of(db: Session, ticket_id: int) -> dict[str, TriageSuggestion]:
    """Return the ticket's stored suggestions by field."""
    rows = db.scalars(select(TriageSuggestion).where(TriageSuggestion.ticket_id == ticket_id))
    return {s.field: s for s in rows}


def pending(ticket: Ticket, suggestions: dict[str, TriageSuggestion]) -> list[str]:
    """Return the fields whose suggestion differs from the ticket's value (what « Appliquer » would change)."""
    return [name for name in FIELDS if name in suggestions and getattr(ticket, name) != suggestions[name].value]


def apply(db: Session, ctx: Context, ticket: Ticket, actor: Person, names: list[str], now: datetime) -> list[str]:
    """Apply the ticket's suggestions for ``names`` as the technician ``actor``; return the fields changed."""
    if actor.role not in STAFF_ROLES:
        raise Forbidden("forbidden", "Seuls les techniciens appliquent une suggestion du tri.")
    suggestions = suggestions_of(db, ticket.id)
    unknown = [n for n in names if n not in suggestions]
    if unknown or not names:
        raise invalid("Aucune suggestion du tri pour ce champ.", {"field": "category ou group, suggéré pour ce ticket"})
    changed = []
    for name in names:
        suggestion = suggestions[name]
        if getattr(ticket, name) == suggestion.value:
            continue
        _set(db, ctx, ticket, actor, suggestion, f"suggestion du tri (confiance {percent(ctx, suggestion.confidence)})",
             now)
        changed.append(name)
    db.flush()
    return changed


def _set(db: Session, ctx: Context, ticket: Ticket, actor: Person | None, suggestion: TriageSuggestion, reason: str,
         now: datetime) -> None:
    """Give the ticket the suggested value: the normal update's rules, or routing a new ticket to another level."""
    name, value = suggestion.field, suggestion.value
    if name == "group" and ctx.policies.groups[value].level != ticket.level:
        # Routing at intake, not an escalation: the ticket was never worked at its first level.
        if ticket.status != "new" or ticket.assignee_id is not None:
            raise Conflict("not_routable", "Ce ticket est déjà pris en charge : changer de niveau passe par une escalade.")
        old_level, old_group = ticket.level, ticket.group
        ticket.level, ticket.group, ticket.updated_at = ctx.policies.groups[value].level, value, now
        record(db, ticket, actor, "level", old_level, ticket.level, reason, now=now)
        record(db, ticket, actor, "group", old_group, value, reason, now=now)
        if actor is not None:
            emit(db, TicketUpdated(ticket.id, actor.id, now, changed=("level", "group")))
    elif actor is None:
        old = getattr(ticket, name)
        setattr(ticket, name, value)
        ticket.updated_at = now
        record(db, ticket, None, name, old, value, reason, now=now)
    else:
        tickets.update_ticket(db, ctx, ticket, actor, {name: value}, now=now)
    suggestion.applied = True
