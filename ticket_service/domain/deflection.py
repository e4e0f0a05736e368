"""Deflection metrics (DESIGN §3.5), computed from raw help events and tickets only: pure functions."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from search.analysis import fold
from ticket_service.domain.messages import N_

FORM_TYPES = frozenset({"suggestions_shown", "article_opened", "solved", "ticket_created"})
NO_CATEGORY = N_("(aucune suggestion)")
PURGED_QUERY = N_("(texte purgé)")

DEFINITIONS = {
    "sessions": N_("Sessions d'aide : visites du formulaire « Demander de l'aide » (identifiant aléatoire du navigateur) "
                   "commencées dans la période."),
    "sessions_with_suggestions": N_("Sessions où au moins une fiche a été proposée (événement suggestions_shown non vide)."),
    "confirmed": N_("Évitement confirmé : la session contient « Ça a résolu mon problème » (solved) et aucune demande "
                    "de la même personne n'a été créée entre le début de la session et {w} h après sa fin."),
    "potential": N_("Évitement potentiel : fiches proposées, au moins une ouverte, pas de « résolu », et aucune demande "
                    "dans la fenêtre de {w} h."),
    "none": N_("Pas d'évitement : une demande de la même personne (ou issue de cette session) dans la fenêtre de {w} h."),
    "no_outcome": N_("Sans suite : ni fiche ouverte, ni « résolu », ni demande dans la fenêtre."),
    "provisional": N_("Sessions dont la fenêtre de {w} h n'est pas encore écoulée : leur résultat peut encore changer."),
    "deflection_rate": N_("Taux d'évitement = (confirmés + potentiels) / sessions avec fiches proposées."),
    "confirmed_rate": N_("Taux d'évitement confirmé = confirmés / sessions avec fiches proposées."),
    "kb_page_views": N_("Consultations de fiches sur le site (événements page_view) dans la période."),
    "tickets_created": N_("Demandes créées dans la période (incidents, demandes de service et d'accès ; hors problèmes)."),
    "self_service_score": N_("Score de libre-service = consultations de fiches / demandes créées."),
}
ARTICLE_COLUMNS = {
    "shown": N_("sessions où la fiche a été proposée"),
    "opened": N_("sessions où elle a été ouverte depuis le formulaire"),
    "solved": N_("sessions où « Ça a résolu mon problème » a été cliqué pour elle"),
    "ticket_after_open": N_("sessions où elle a été ouverte puis une demande créée dans la fenêtre (évitement manqué)"),
    "resolved_with": N_("demandes résolues ou closes dans la période avec cette fiche liée"),
    "helpful_yes": N_("« Cette fiche vous a-t-elle aidé ? » : oui"), "helpful_no": N_("idem : non"),
}
UNSUCCESSFUL = N_("Recherches infructueuses : dernière requête d'une session sans aucune fiche proposée, ou avec "
                  "fiches puis une demande dans la fenêtre de {w} h ; regroupées par texte normalisé (minuscules, "
                  "sans accents ni ponctuation).")


@dataclass(frozen=True)
class Event:
    """One stored help event, as the metrics need it."""

    session_id: str
    type: str
    at: datetime
    person_id: int | None = None
    article_id: str | None = None
    query: str | None = None
    ticket_id: int | None = None
    data: dict = field(default_factory=dict, hash=False, compare=False)
    event_id: str | None = None


@dataclass(frozen=True)
class TicketFact:
    """One ticket, as the metrics need it."""

    id: int
    requester_id: int
    created_at: datetime
    help_session_id: str | None = None
    type: str = "incident"


def normalise_query(text: str | None) -> str:
    """Lower-case, strip accents and punctuation, collapse spaces: « Imprimante  HORS-connexion ! » → « imprimante hors connexion »."""
    if not text:
        return PURGED_QUERY
    plain = fold(text)
    return " ".join(re.sub(r"[^\w]+", " ", plain).split()) or PURGED_QUERY


def _shown(event: Event) -> list[dict]:
    return event.data.get("suggestions") or [] if event.type == "suggestions_shown" else []


@dataclass
class SessionOutcome:
    """What happened in one help session, and its classification."""

    session_id: str
    start: datetime
    end: datetime
    outcome: str  # confirmed | potential | none | no_outcome
    shown: bool
    provisional: bool
    category: str
    query: str | None
    shown_articles: set[str]
    opened: dict[str, datetime]
    solved: set[str]
    ticket_times: list[datetime]


def classify_sessions(events: list[Event], tickets: list[TicketFact], window: timedelta, now: datetime) -> list[SessionOutcome]:
    """Classify every help session (DESIGN §3.5); duplicate event ids count once."""
    unique = {(e.event_id or id(e)): e for e in events}.values()
    by_session: dict[str, list[Event]] = defaultdict(list)
    for event in unique:
        if event.type in FORM_TYPES:
            by_session[event.session_id].append(event)
    by_person: dict[int, list[TicketFact]] = defaultdict(list)
    by_help_session: dict[str, list[TicketFact]] = defaultdict(list)
    for ticket in tickets:
        by_person[ticket.requester_id].append(ticket)
        if ticket.help_session_id:
            by_help_session[ticket.help_session_id].append(ticket)
    results = []
    for session_id, items in by_session.items():
        items.sort(key=lambda e: e.at)
        start, end = items[0].at, items[-1].at
        people = {e.person_id for e in items if e.person_id is not None}
        created_ids = {e.ticket_id for e in items if e.type == "ticket_created"}
        # The person's tickets from the session start to the end of the window (both edges included);
        # an anonymous session is linked only through the ticket made from it.
        linked = {t.id: t for t in by_help_session.get(session_id, [])}
        for person in people:
            for t in by_person.get(person, []):
                if start <= t.created_at <= end + window or t.id in created_ids:
                    linked[t.id] = t
        shown_events = [e for e in items if _shown(e)]
        shown_articles = {s["id"] for e in shown_events for s in _shown(e)}
        opened: dict[str, datetime] = {}
        for e in items:
            if e.type == "article_opened" and e.article_id:
                opened.setdefault(e.article_id, e.at)
        solved = {e.article_id for e in items if e.type == "solved" and e.article_id}
        solved_any = any(e.type == "solved" for e in items)
        if linked:
            outcome = "none"
        elif solved_any:
            outcome = "confirmed"
        elif shown_events and opened:
            outcome = "potential"
        else:
            outcome = "no_outcome"
        top = min(_shown(shown_events[0]), key=lambda s: s["rank"]) if shown_events else None
        queries = [e.query for e in items if e.type == "suggestions_shown"]
        results.append(SessionOutcome(
            session_id, start, end, outcome, bool(shown_events), end + window > now,
            (top.get("category") or NO_CATEGORY) if top else NO_CATEGORY, queries[-1] if queries else None,
            shown_articles, opened, solved, sorted(t.created_at for t in linked.values())))
    return sorted(results, key=lambda s: (s.start, s.session_id))


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def summarise(sessions: list[SessionOutcome]) -> dict:
    """Count the outcomes and compute both rates (numerators only among sessions with suggestions)."""
    counts = Counter(s.outcome for s in sessions)
    with_suggestions = [s for s in sessions if s.shown]
    confirmed = sum(1 for s in with_suggestions if s.outcome == "confirmed")
    potential = sum(1 for s in with_suggestions if s.outcome == "potential")
    return {"sessions": len(sessions), "sessions_with_suggestions": len(with_suggestions),
            "confirmed": counts["confirmed"], "potential": counts["potential"], "none": counts["none"],
            "no_outcome": counts["no_outcome"], "provisional": sum(1 for s in sessions if s.provisional),
            "deflection_rate": _rate(confirmed + potential, len(with_suggestions)),
            "confirmed_rate": _rate(confirmed, len(with_suggestions))}


def article_funnel(sessions: list[SessionOutcome], events: list[Event], resolved_with: dict[str, int]) -> list[dict]:
    """Per article: shown, opened, solved, ticket after opening (failed deflection), tickets resolved with it, feedback."""
    rows: dict[str, Counter] = defaultdict(Counter)
    for s in sessions:
        for article in s.shown_articles:
            rows[article]["shown"] += 1
        for article, opened_at in s.opened.items():
            rows[article]["opened"] += 1
            if any(t >= opened_at for t in s.ticket_times):
                rows[article]["ticket_after_open"] += 1
        for article in s.solved:
            rows[article]["solved"] += 1
    for e in {(e.event_id or id(e)): e for e in events}.values():
        if e.type == "page_feedback" and e.article_id:
            rows[e.article_id]["helpful_yes" if e.data.get("helpful") else "helpful_no"] += 1
    for article, count in resolved_with.items():
        rows[article]["resolved_with"] += count
    return sorted(({"article_id": a, **{k: c[k] for k in ARTICLE_COLUMNS}} for a, c in rows.items()),
                  key=lambda r: (-r["shown"], -r["opened"], -r["resolved_with"], r["article_id"]))


def grouped(sessions: list[SessionOutcome], key) -> list[dict]:
    """Outcomes and rates per group (category of the top suggestion, ISO week of the session start…)."""
    groups: dict[str, list[SessionOutcome]] = defaultdict(list)
    for s in sessions:
        groups[key(s)].append(s)
    return [{"group": name, **summarise(items)} for name, items in sorted(groups.items())]


def iso_week(s: SessionOutcome, zone: tzinfo | None = None) -> str:
    """Return the ISO week of the session start, in the organisation's time zone when given."""
    year, week, _ = (s.start.astimezone(zone) if zone else s.start).isocalendar()
    return f"{year}-W{week:02d}"


def unsuccessful_searches(sessions: list[SessionOutcome], limit: int = 20) -> list[dict]:
    """Queries that did not help: nothing suggested, or suggestions followed by a ticket; grouped by normalised text."""
    groups: dict[str, Counter] = defaultdict(Counter)
    for s in sessions:
        if s.query is None:
            continue
        if not s.shown:
            groups[normalise_query(s.query)]["no_suggestion"] += 1
        elif s.outcome == "none":
            groups[normalise_query(s.query)]["ticket_after_suggestions"] += 1
    rows = [{"query": q, "sessions": c["no_suggestion"] + c["ticket_after_suggestions"],
             "no_suggestion": c["no_suggestion"], "ticket_after_suggestions": c["ticket_after_suggestions"]}
            for q, c in groups.items()]
    return sorted(rows, key=lambda r: (-r["sessions"], r["query"]))[:limit]


def compute(events: list[Event], tickets: list[TicketFact], *, since: datetime, until: datetime, window: timedelta,
            now: datetime, resolved_with: dict[str, int] | None = None, zone: tzinfo | None = None,
            classified: list[SessionOutcome] | None = None) -> dict:
    """Return every deflection figure for sessions started in [since, until), each with its definition and window;
    ``classified``: ``classify_sessions(events, tickets, window, now)`` when the caller has it already."""
    if classified is None:
        classified = classify_sessions(events, tickets, window, now)
    sessions = [s for s in classified if since <= s.start < until]
    in_period = [e for e in events if since <= e.at < until]
    views = len({(e.event_id or id(e)) for e in in_period if e.type == "page_view"})
    created = sum(1 for t in tickets if since <= t.created_at < until and t.type != "problem")
    summary = summarise(sessions)
    summary.update(kb_page_views=views, tickets_created=created, self_service_score=_rate(views, created))
    hours = round(window.total_seconds() / 3600, 2)
    hours = int(hours) if hours == int(hours) else hours
    definitions = {k: v.format(w=hours) for k, v in DEFINITIONS.items()}
    return {
        "period": {"since": since, "until": until}, "window_hours": hours,
        "figures": [{"key": k, "value": summary[k], "definition": definitions[k]} for k in DEFINITIONS],
        "articles": article_funnel(sessions, in_period, resolved_with or {}),
        "article_columns": ARTICLE_COLUMNS,
        "by_category": grouped(sessions, lambda s: s.category),
        # the organisation's weeks: a session on Sunday at 23:30 UTC is on Monday in Paris
        "by_week": grouped(sessions, lambda s: iso_week(s, zone)),
        "unsuccessful_searches": unsuccessful_searches(sessions),
        "unsuccessful_definition": UNSUCCESSFUL.format(w=hours),
    }
