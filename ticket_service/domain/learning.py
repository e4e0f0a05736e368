"""Learning from resolutions: past requests offered to the suggestion index, reviewed by a technician first.

Two sources make candidates: a ticket resolved (or closed) with a KB article linked, and a help session where
the employee clicked « Ça a résolu mon problème » (the text is the last query the form showed suggestions for).
A technician approves a candidate, usually after trimming names or details from its text, or rejects it; each
source is decided once. Approved pairs are written beside the index artifact (``history.jsonl``), where the
running index picks them up on its next request (``IndexHolder`` watches the file) and the site build keeps them.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import String, cast, exists, literal, select
from sqlalchemy.orm import Session

from search import HISTORY_FILE, Resolution, SearchError, read_history, write_history

from ticket_service.domain.errors import Conflict, Invalid, NotFound
from ticket_service.domain.vocabulary import DONE
from ticket_service.store.models import ArticleLink, HelpEvent, LearnedPair, Ticket, utcnow

log = logging.getLogger(__name__)

MAX_TEXT = 500  # a request, not a conversation: what an employee would type in the form
TICKET_PREFIX, HELP_PREFIX = "ticket:", "help:"
OUR_PREFIXES = (TICKET_PREFIX, HELP_PREFIX)


@dataclass
class Candidate:
    """A pair waiting for review: where it comes from, the proposed text and the articles it points to."""

    source: str
    text: str
    articles: list[str]
    at: datetime | None
    ticket_id: int | None = None
    kind: str = "ticket"  # "ticket" | "help"
    sources: list[str] = field(default_factory=list)  # this one and the identical requests grouped with it

    def __post_init__(self):
        self.sources = self.sources or [self.source]


def proposed_text(title: str, description: str) -> str:
    """Return a ticket's request as the index should learn it: title then description, bounded."""
    text = title.strip()
    if description.strip() and description.strip() != text:
        text = f"{text}\n{description.strip()}"
    return text[:MAX_TEXT]


def undecided(source_prefix: str, key):
    """Return the SQL condition "no decision recorded for the source ``prefix + key``"."""
    return ~exists().where(LearnedPair.source == literal(source_prefix) + cast(key, String))


def linked_articles(db: Session, ticket_ids: list[int]) -> dict[int, list[str]]:
    """Return each ticket's linked article ids, in the order they were linked."""
    found: dict[int, list[str]] = {}
    rows = db.execute(select(ArticleLink.ticket_id, ArticleLink.article_id)
                      .where(ArticleLink.ticket_id.in_(ticket_ids)).order_by(ArticleLink.id)) if ticket_ids else []
    for ticket_id, article_id in rows:
        found.setdefault(ticket_id, []).append(article_id)
    return found


def ticket_candidates(db: Session, limit: int) -> list[Candidate]:
    """Return resolved or closed tickets with linked articles, not yet reviewed, newest first."""
    linked = select(ArticleLink.ticket_id).distinct()
    tickets = db.scalars(select(Ticket).where(Ticket.status.in_(DONE), Ticket.id.in_(linked),
                                              undecided(TICKET_PREFIX, Ticket.id))
                         .order_by(Ticket.resolved_at.desc(), Ticket.id.desc()).limit(limit)).all()
    articles = linked_articles(db, [t.id for t in tickets])
    return [ticket_candidate(t, articles.get(t.id, [])) for t in tickets]


def ticket_candidate(ticket: Ticket, articles: list[str]) -> Candidate:
    """Return the candidate of a resolved ticket and its linked articles."""
    return Candidate(f"{TICKET_PREFIX}{ticket.id}", proposed_text(ticket.title, ticket.description), articles,
                     ticket.resolved_at, ticket.id)


def session_query(db: Session, event: HelpEvent) -> str | None:
    """Return the last query the help form showed suggestions for, in the session of ``event``, before it."""
    return db.scalar(select(HelpEvent.query).where(
        HelpEvent.session_id == event.session_id, HelpEvent.type == "suggestions_shown",
        HelpEvent.query.is_not(None), HelpEvent.query != "", HelpEvent.at <= event.at,
    ).order_by(HelpEvent.at.desc(), HelpEvent.id.desc()).limit(1))


def clicked_in_the_form(event: HelpEvent) -> bool:
    """Return True when « Ça a résolu » was clicked in the help form (not on an article page or the banner).

    Only there does the session's last query describe the problem the article solved.
    """
    try:
        source = json.loads(event.data or "{}").get("source", "form")
    except (ValueError, AttributeError):
        return False
    return source in ("form", "after_ticket")


def help_candidate(db: Session, event: HelpEvent) -> Candidate | None:
    """Return the candidate of one « Ça a résolu mon problème » click (None when its query is gone)."""
    if not clicked_in_the_form(event):
        return None
    query = session_query(db, event)
    if not query:  # the query was purged (retention) or never sent: nothing to learn from
        return None
    return Candidate(f"{HELP_PREFIX}{event.event_id}", query[:MAX_TEXT], [event.article_id], event.at, kind="help")


def help_candidates(db: Session, limit: int) -> list[Candidate]:
    """Return « Ça a résolu mon problème » clicks whose session still holds the query, not yet reviewed."""
    solved = db.scalars(select(HelpEvent).where(HelpEvent.type == "solved", HelpEvent.article_id.is_not(None),
                                                undecided(HELP_PREFIX, HelpEvent.event_id))
                        .order_by(HelpEvent.at.desc(), HelpEvent.id.desc()).limit(limit)).all()
    found = (help_candidate(db, event) for event in solved)
    return [c for c in found if c is not None]


def candidates(db: Session, limit: int = 50) -> list[Candidate]:
    """Return the pairs waiting for review (both sources), newest first, identical requests grouped.

    Several employees often type the same words for the same article (« outlook ne s'ouvre plus »): they are
    one card to review, and one decision covers every source in it.
    """
    found = ticket_candidates(db, 4 * limit) + help_candidates(db, 4 * limit)
    found.sort(key=lambda c: c.at or datetime.min.replace(tzinfo=utcnow().tzinfo), reverse=True)
    groups: dict[tuple, Candidate] = {}
    for c in found:
        key = (" ".join(c.text.casefold().split()), tuple(sorted(c.articles)))
        if key in groups:
            groups[key].sources.append(c.source)
        else:
            groups[key] = c
    return list(groups.values())[:limit]


def find_candidate(db: Session, source: str) -> Candidate:
    """Return the pending candidate named ``source``; 409 when already decided, 404 when unknown."""
    if db.scalar(select(LearnedPair.id).where(LearnedPair.source == source)) is not None:
        raise Conflict("already_decided", "Cette proposition a déjà été traitée.")
    kind, _, ref = source.partition(":")
    # ASCII digits only, nine at most (the doors' id rule): isdigit() alone lets « ² » through to int().
    if kind + ":" == TICKET_PREFIX and ref.isascii() and ref.isdigit() and len(ref) <= 9:
        t = db.get(Ticket, int(ref))
        if t is not None and t.status in DONE:
            articles = linked_articles(db, [t.id]).get(t.id)
            if articles:
                return ticket_candidate(t, articles)
    elif kind + ":" == HELP_PREFIX and ref:
        event = db.scalar(select(HelpEvent).where(HelpEvent.event_id == ref, HelpEvent.type == "solved",
                                                  HelpEvent.article_id.is_not(None)))
        candidate = help_candidate(db, event) if event is not None else None
        if candidate is not None:
            return candidate
    raise NotFound("not_found", "Proposition introuvable.")


def decide(db: Session, person, sources: list[str] | str, *, approve: bool, text: str | None = None,
           articles: list[str] | None = None, known_articles: set[str] | None = None) -> list[LearnedPair]:
    """Record a technician's decision on a candidate and the identical requests grouped with it.

    The caller commits (all or nothing), then calls ``publish``. See ``decide_one`` for the arguments.
    """
    sources = [sources] if isinstance(sources, str) else list(dict.fromkeys(sources))
    if not sources:
        raise Invalid("invalid_fields", "Aucune proposition choisie.", {"source": "obligatoire"})
    return [decide_one(db, person, source, approve=approve, text=text, articles=articles,
                       known_articles=known_articles) for source in sources]


def decide_one(db: Session, person, source: str, *, approve: bool, text: str | None = None,
               articles: list[str] | None = None, known_articles: set[str] | None = None) -> LearnedPair:
    """Record a technician's decision on one candidate.

    Args:
        db: a write session.
        person: the technician deciding.
        source: the candidate's source (``ticket:12``, ``help:<event id>``).
        approve: True to feed the pair to the index, False to discard it for good.
        text: the reviewed request text (default: the proposed one).
        articles: the subset of the candidate's articles to keep (default: all).
        known_articles: ids of the current KB, to refuse a pair pointing only to deleted articles.

    Raises:
        NotFound for an unknown source, Conflict when already decided, Invalid for an empty or too long text or no article kept.
    """
    candidate = find_candidate(db, source)
    text = " ".join((candidate.text if text is None else text).split())
    kept = candidate.articles if articles is None else [a for a in candidate.articles if a in set(articles)]
    if known_articles is not None:
        kept = [a for a in kept if a in known_articles]
    if approve:
        if not text:
            raise Invalid("invalid_fields", "Le texte de la demande est vide.", {"text": "obligatoire"})
        if len(text) > MAX_TEXT:
            raise Invalid("invalid_fields", "Texte trop long.", {"text": f"au plus {MAX_TEXT} caractères"})
        if not kept:
            raise Invalid("invalid_fields", "Gardez au moins une fiche existante.", {"articles": "obligatoire"})
    pair = LearnedPair(source=source, text=text, articles=json.dumps(kept, ensure_ascii=False),
                       decision="approved" if approve else "rejected", decided_by=person.id, decided_at=utcnow())
    db.add(pair)
    db.flush()
    return pair


def withdraw(db: Session, person, pair_id: int) -> LearnedPair:
    """Stop using an approved pair (it stays decided, as rejected, so it is not offered again)."""
    pair = db.get(LearnedPair, pair_id)
    if pair is None:
        raise NotFound("not_found", "Paire introuvable.")
    if pair.decision != "approved":
        raise Conflict("not_approved", "Cette paire n'est pas utilisée.")
    pair.decision, pair.decided_by, pair.decided_at = "rejected", person.id, utcnow()
    return pair


def approved(db: Session, limit: int | None = None) -> list[LearnedPair]:
    """Return the approved pairs, newest decision first."""
    query = select(LearnedPair).where(LearnedPair.decision == "approved").order_by(LearnedPair.decided_at.desc(),
                                                                                    LearnedPair.id.desc())
    return list(db.scalars(query if limit is None else query.limit(limit)))


def resolutions(db: Session) -> list[Resolution]:
    """Return the approved pairs as the index reads them (oldest first: a stable file)."""
    return [Resolution(p.text, json.loads(p.articles), True, p.source) for p in reversed(approved(db))]


def publish(db: Session, index_dir: Path | str) -> Path:
    """Write the approved pairs into the artifact's ``history.jsonl``, keeping lines of other origins.

    Lines whose source is not ours (e.g. imported with ``python -m search``) are kept as they are; ours are
    replaced by the database's approved pairs, which are the reference. The write is atomic.
    """
    path = Path(index_dir) / HISTORY_FILE
    foreign: list[Resolution] = []
    if path.is_file():
        try:
            foreign = [r for r in read_history(path) if not r.source.startswith(OUR_PREFIXES)]
        except SearchError as exc:  # a damaged file: ours are rewritten from the database, the rest is logged
            log.warning("history file unreadable, rewritten from the database: %s", exc)
    write_history(path, foreign + resolutions(db))
    return path
