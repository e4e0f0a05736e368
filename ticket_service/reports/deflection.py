"""Load the raw events and tickets for a period, compute the deflection figures, render them (table, CSV, JSON)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from gettext import NullTranslations

from babel import Locale
from babel.dates import format_datetime
from babel.numbers import format_decimal, format_percent, get_decimal_symbol
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticket_service.domain.clock import iso
from ticket_service.domain.deflection import (
    ARTICLE_COLUMNS, DEFINITIONS, NO_CATEGORY, PURGED_QUERY, UNSUCCESSFUL, Event, SessionOutcome, TicketFact,
    classify_sessions, compute,
)
from ticket_service.domain.messages import N_
from ticket_service.domain.vocabulary import DONE
from ticket_service.store.models import ArticleLink, HelpEvent, Ticket, utcnow

LABELS = {
    "sessions": N_("Sessions d'aide"), "sessions_with_suggestions": N_("… avec fiches proposées"),
    "confirmed": N_("Évitements confirmés"), "potential": N_("Évitements potentiels"), "none": N_("Pas d'évitement"),
    "no_outcome": N_("Sans suite"), "provisional": N_("Fenêtre encore ouverte"), "deflection_rate": N_("Taux d'évitement"),
    "confirmed_rate": N_("Taux d'évitement confirmé"), "kb_page_views": N_("Consultations de fiches"),
    "tickets_created": N_("Demandes créées"), "self_service_score": N_("Score de libre-service"),
}
# Short column titles of the per-article funnel (their definitions are ARTICLE_COLUMNS).
ARTICLE_LABELS = {
    "shown": N_("proposée"), "opened": N_("ouverte"), "solved": N_("« résolu »"), "ticket_after_open": N_("évitement manqué"),
    "resolved_with": N_("résolues avec"), "helpful_yes": N_("utile : oui"), "helpful_no": N_("utile : non"),
}
GROUP_COLUMNS = {
    "group": N_("groupe"), "sessions": N_("sessions"), "sessions_with_suggestions": N_("proposées"),
    "confirmed": N_("confirmés"), "potential": N_("potentiels"), "none": N_("pas évité"), "deflection_rate": N_("taux"),
    "confirmed_rate": N_("confirmé"),
}
SEARCH_COLUMNS = {"query": N_("requête normalisée"), "sessions": N_("sessions"), "no_suggestion": N_("sans fiche"),
                  "ticket_after_suggestions": N_("fiche puis demande")}
RATES = frozenset({"deflection_rate", "confirmed_rate"})


def deflection_report(db: Session, *, since: datetime | None = None, until: datetime | None = None,
                      window_hours: float = 24, now: datetime | None = None, zone: tzinfo | None = None,
                      memo: dict | None = None) -> dict:
    """Compute the report for sessions started in [since, until) (default: the last 30 days); ``memo`` shares the
    events and tickets read with the other knowledge panels of a request."""
    now = now or utcnow()
    until = until or now
    since = since or until - timedelta(days=30)
    window = timedelta(hours=window_hours)
    events, tickets = help_inputs(db, since, until, window, memo)
    resolved = dict(db.execute(
        select(ArticleLink.article_id, func.count(func.distinct(ArticleLink.ticket_id)))
        .join(Ticket, Ticket.id == ArticleLink.ticket_id)
        .where(Ticket.status.in_(DONE), Ticket.resolved_at >= since, Ticket.resolved_at < until)
        .group_by(ArticleLink.article_id)).all())
    return compute(events, tickets, since=since, until=until, window=window, now=now, resolved_with=resolved, zone=zone,
                   classified=sessions_of(since, until, window, now, events, tickets, memo))


def sessions_of(since: datetime, until: datetime, window: timedelta, now: datetime, events: list[Event],
                tickets: list[TicketFact], memo: dict | None = None) -> list[SessionOutcome]:
    """Return ``classify_sessions`` of a period's help inputs, classified once per memo (the report and the gaps)."""
    key = ("sessions", since, until, window, now)
    if memo is not None and key in memo:
        return memo[key]
    found = classify_sessions(events, tickets, window, now)
    if memo is not None:
        memo[key] = found
    return found


def help_inputs(db: Session, since: datetime, until: datetime, window: timedelta,
                memo: dict | None = None) -> tuple[list[Event], list[TicketFact]]:
    """Return the help events and tickets the sessions started in [since, until) are judged on (read once per memo).

    Events of sessions that started in the period may run a little past it; tickets up to the window's end. Only the
    columns used are read (a ticket's text would be most of the bytes)."""
    key = ("help_inputs", since, until, window)
    if memo is not None and key in memo:
        return memo[key]
    rows = db.execute(select(HelpEvent.session_id, HelpEvent.type, HelpEvent.at, HelpEvent.person_id,
                             HelpEvent.article_id, HelpEvent.query, HelpEvent.ticket_id, HelpEvent.data,
                             HelpEvent.event_id)
                      .where(HelpEvent.at >= since, HelpEvent.at < until + timedelta(days=1)).order_by(HelpEvent.id))
    events = [Event(sid, kind, at, person, article, query, ticket, json.loads(data) if data else {}, event_id)
              for sid, kind, at, person, article, query, ticket, data, event_id in rows]
    tickets = [TicketFact(*row) for row in db.execute(
        select(Ticket.id, Ticket.requester_id, Ticket.created_at, Ticket.help_session_id, Ticket.type)
        .where(Ticket.created_at >= since, Ticket.created_at <= until + timedelta(days=1) + window)
        .order_by(Ticket.id))]
    if memo is not None:
        memo[key] = (events, tickets)
    return events, tickets


@dataclass(frozen=True)
class Presentation:
    """How a report is read: its language (a Babel locale), the organisation's time zone and that language's catalogue."""

    locale: str = "fr_FR"
    zone: tzinfo = timezone.utc
    translations: NullTranslations = field(default_factory=NullTranslations)

    def _(self, text: str) -> str:
        """Translate a French message of the catalogue (French itself is the message)."""
        return self.translations.gettext(text)

    def integer(self, value: int) -> str:
        """Return a count with the locale's grouping: « 1 234 » in French, « 1,234 » in English."""
        return format_decimal(value, locale=self.locale)

    def decimal(self, value: float, pattern: str = "#,##0.##") -> str:
        """Return a decimal with the locale's symbols: « 1,5 » in French, « 1.5 » in English."""
        return format_decimal(value, pattern, locale=self.locale)

    def percent(self, value: float) -> str:
        """Return a rate with one decimal in the locale's percent format: « 61,4 % » (no-break space) in French."""
        pattern = Locale.parse(self.locale).percent_formats[None].pattern
        head, zero, tail = pattern.rpartition("0")  # « #,##0 % » → « #,##0.0 % »: the locale's sign and spacing
        return format_percent(value, f"{head}{zero}.0{tail}", locale=self.locale)

    def moment(self, value: datetime) -> str:
        """Return an instant in the organisation's time zone, in the locale's short format."""
        return format_datetime(value, "short", tzinfo=self.zone, locale=self.locale)

    @property
    def zone_name(self) -> str:
        """Return the time zone's name as helpdesk.yml writes it (« Europe/Paris »)."""
        return getattr(self.zone, "key", None) or str(self.zone)

    @property
    def csv_delimiter(self) -> str:
        """Return « ; » where the decimal mark is a comma, as French spreadsheets expect, else « , »."""
        return ";" if get_decimal_symbol(self.locale) == "," else ","


FRENCH = Presentation()


def definitions(report: dict, p: Presentation = FRENCH) -> dict[str, str]:
    """Return each figure's definition in the presentation's language, its window written with the locale's decimals."""
    window = p.decimal(report["window_hours"])
    return {key: p._(text).format(w=window) for key, text in DEFINITIONS.items()}


def to_json(report: dict, p: Presentation | None = None) -> dict:
    """Make the report JSON-ready: ISO dates in UTC, plain numbers, English keys; definitions in ``p``'s language."""
    data = {**report, "period": {k: iso(v) for k, v in report["period"].items()}}
    if p is not None:
        texts = definitions(report, p)
        data["period"]["timezone"] = p.zone_name
        data["figures"] = [{**fig, "definition": texts[fig["key"]]} for fig in report["figures"]]
        data["article_columns"] = {k: p._(v) for k, v in ARTICLE_COLUMNS.items()}
        data["unsuccessful_definition"] = p._(UNSUCCESSFUL).format(w=p.decimal(report["window_hours"]))
    return data


def _figure(key: str, value, p: Presentation) -> str:
    if value is None:
        return "—"
    if key in RATES:
        return p.percent(value)
    if key == "self_service_score":
        return p.decimal(value, "#,##0.00")
    return p.integer(value)


def _group(name: str, p: Presentation) -> str:
    return p._(name) if name in (NO_CATEGORY, PURGED_QUERY) else name


def render_table(report: dict, p: Presentation = FRENCH) -> str:
    """Return the report as plain-text tables in ``p``'s language, every figure followed by its definition."""
    period, texts, _ = report["period"], definitions(report, p), p._
    out = [_("Évitement des demandes — sessions du {since} au {until} ({zone}), fenêtre {window}").format(
        since=p.moment(period["since"]), until=p.moment(period["until"]), zone=p.zone_name,
        window=f"{p.decimal(report['window_hours'])} h"), ""]
    for fig in report["figures"]:
        out.append(f"{_(LABELS[fig['key']]):<28} {_figure(fig['key'], fig['value'], p):>8}   {texts[fig['key']]}")
    columns = list(report["article_columns"])
    titles = {c: _(ARTICLE_LABELS[c]) for c in columns}
    widths = {c: max(len(titles[c]), 6) + 2 for c in columns}
    legend = _(" ; ").join(f"{titles[c]} = {_(ARTICLE_COLUMNS[c])}" for c in columns)  # « ; » spaced in French
    out += ["", _("Entonnoir par fiche ({legend})").format(legend=legend),
            f"{_('fiche'):<44}" + "".join(f"{titles[c]:>{widths[c]}}" for c in columns)]
    for row in report["articles"][:25]:
        out.append(f"{row['article_id'][:43]:<44}" + "".join(f"{p.integer(row[c]):>{widths[c]}}" for c in columns))
    counts = ("sessions", "sessions_with_suggestions", "confirmed", "potential", "none")
    heads = {c: _(t) for c, t in GROUP_COLUMNS.items()}
    width = {c: max(len(heads[c]), 8) + 2 for c in GROUP_COLUMNS}
    for title, key in ((N_("Par catégorie (catégorie de la première fiche proposée)"), "by_category"),
                       (N_("Par semaine ISO (début de session, {zone})"), "by_week")):
        out += ["", _(title).format(zone=p.zone_name),
                f"{heads['group']:<30}" + "".join(f"{heads[c]:>{width[c]}}" for c in GROUP_COLUMNS if c != "group")]
        for g in report[key]:
            cells = [p.integer(g[c]) for c in counts] + [_figure(c, g[c], p) for c in ("deflection_rate", "confirmed_rate")]
            out.append(f"{_group(g['group'], p)[:29]:<30}"
                       + "".join(f"{cell:>{width[c]}}" for c, cell in zip(list(GROUP_COLUMNS)[1:], cells)))
    search = {c: _(t) for c, t in SEARCH_COLUMNS.items()}
    out += ["", _(UNSUCCESSFUL).format(w=p.decimal(report["window_hours"])),
            f"{search['query']:<50}" + "".join(f"{search[c]:>{len(search[c]) + 2}}" for c in list(SEARCH_COLUMNS)[1:])]
    for row in report["unsuccessful_searches"]:
        out.append(f"{_group(row['query'], p)[:49]:<50}"
                   + "".join(f"{p.integer(row[c]):>{len(search[c]) + 2}}" for c in list(SEARCH_COLUMNS)[1:]))
    return "\n".join(out)


def _csv_value(value, p: Presentation) -> str:
    """A number a spreadsheet of that language reads as a number: decimal comma in French, no grouping."""
    if value is None:
        return ""
    return p.decimal(value, "0.####") if isinstance(value, float) else str(value)


def render_csv(report: dict, p: Presentation = FRENCH) -> str:
    """Return one CSV in ``p``'s language: section, key, value, definition, window, period — every row self-describing."""
    _ = p._
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=p.csv_delimiter)
    writer.writerow([_("section"), _("clé"), _("valeur"), _("définition"), _("fenêtre (h)"),
                     _("début ({zone})").format(zone=p.zone_name), _("fin ({zone})").format(zone=p.zone_name)])
    common = [_csv_value(report["window_hours"], p)] + [format_datetime(report["period"][k], "yyyy-MM-dd HH:mm",
                                                                        tzinfo=p.zone, locale=p.locale)
                                                        for k in ("since", "until")]
    texts = definitions(report, p)
    for fig in report["figures"]:
        writer.writerow([_("indicateur"), _(LABELS[fig["key"]]), _csv_value(fig["value"], p), texts[fig["key"]], *common])
    for row in report["articles"]:
        for column, definition in report["article_columns"].items():
            writer.writerow([_("fiche : {id}").format(id=row["article_id"]), _(ARTICLE_LABELS[column]), row[column],
                             _(definition), *common])
    for key, section in (("by_category", N_("catégorie : {group}")), ("by_week", N_("semaine : {group}"))):
        for g in report[key]:
            for name in ("sessions", "confirmed", "potential", "none", "deflection_rate", "confirmed_rate"):
                writer.writerow([_(section).format(group=_group(g["group"], p)), _(LABELS[name]), _csv_value(g[name], p),
                                 texts[name], *common])
    unsuccessful = _(UNSUCCESSFUL).format(w=p.decimal(report["window_hours"]))
    for row in report["unsuccessful_searches"]:
        writer.writerow([_("recherche infructueuse : {query}").format(query=_group(row["query"], p)), _("sessions"),
                         row["sessions"], unsuccessful, *common])
    return buffer.getvalue()
