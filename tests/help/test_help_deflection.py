"""Every deflection metric (DESIGN §3.5) on hand-built event streams with known answers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ticket_service.domain.deflection import Event, TicketFact, classify_sessions, compute, normalise_query

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)  # a Monday
H = timedelta(hours=1)
DAY = timedelta(hours=24)
NOW = T0 + 10 * DAY
ALICE, BOB = 1, 2


def shown(sid, at, query="imprimante hors connexion", ids=("imprimante-hors-connexion", "bourrage-papier-toner"),
          person=None, category="impression", eid=None):
    suggestions = [{"id": a, "rank": r, "score": 0.5, "category": category} for r, a in enumerate(ids, 1)]
    return Event(sid, "suggestions_shown", at, person, None, query, None, {"suggestions": suggestions}, eid)


def ev(sid, kind, at, article=None, person=None, eid=None, data=None):
    return Event(sid, kind, at, person, article, None, None, data or {}, eid)


def outcome(events, tickets=(), window=DAY):
    sessions = classify_sessions(events, list(tickets), window, NOW)
    return {s.session_id: s.outcome for s in sessions}


def test_solved_without_ticket_is_a_confirmed_deflection():
    events = [shown("s1", T0, person=ALICE), ev("s1", "article_opened", T0 + 60 * timedelta(seconds=1), "imprimante-hors-connexion", ALICE),
              ev("s1", "solved", T0 + 2 * H / 60, "imprimante-hors-connexion", ALICE)]
    assert outcome(events) == {"s1": "confirmed"}


@pytest.mark.parametrize("delay, expected", [(23 * H, "none"), (24 * H, "none"), (25 * H, "confirmed")])
def test_a_ticket_23_hours_later_cancels_the_deflection_25_hours_later_does_not(delay, expected):
    end = T0 + 5 * timedelta(minutes=1)
    events = [shown("s1", T0, person=ALICE), ev("s1", "solved", end, "imprimante-hors-connexion", ALICE)]
    ticket = TicketFact(10, ALICE, end + delay)
    assert outcome(events, [ticket]) == {"s1": expected}  # the window's edge (exactly 24 h) is inside


def test_the_window_is_configurable():
    events = [shown("s1", T0, person=ALICE), ev("s1", "solved", T0, "x", ALICE)]
    ticket = TicketFact(10, ALICE, T0 + 30 * H)
    assert outcome(events, [ticket], window=DAY) == {"s1": "confirmed"}
    assert outcome(events, [ticket], window=48 * H) == {"s1": "none"}


def test_another_persons_ticket_or_an_earlier_ticket_does_not_count():
    events = [shown("s1", T0, person=ALICE), ev("s1", "solved", T0, "x", ALICE)]
    assert outcome(events, [TicketFact(10, BOB, T0 + H), TicketFact(11, ALICE, T0 - H)]) == {"s1": "confirmed"}


def test_opened_without_solved_nor_ticket_is_potential_and_nothing_opened_is_no_outcome():
    events = [shown("s1", T0, person=ALICE), ev("s1", "article_opened", T0, "imprimante-hors-connexion", ALICE),
              shown("s2", T0, person=BOB)]
    assert outcome(events) == {"s1": "potential", "s2": "no_outcome"}


def test_anonymous_sessions_link_tickets_only_through_the_help_session_id():
    events = [shown("anon", T0), ev("anon", "solved", T0, "x"), shown("anon2", T0), ev("anon2", "article_opened", T0, "x")]
    tickets = [TicketFact(10, ALICE, T0 + H, help_session_id="anon2"), TicketFact(11, BOB, T0 + H)]
    assert outcome(events, tickets) == {"anon": "confirmed", "anon2": "none"}


def test_a_session_signed_in_midway_is_linked_to_the_person():
    events = [shown("s1", T0), ev("s1", "article_opened", T0 + H / 60, "x", ALICE)]
    assert outcome(events, [TicketFact(10, ALICE, T0 + 3 * H)]) == {"s1": "none"}


def test_duplicate_events_count_once():
    one = shown("s1", T0, person=ALICE, eid="e1")
    solved = ev("s1", "solved", T0, "imprimante-hors-connexion", ALICE, eid="e2")
    opened = ev("s1", "article_opened", T0, "imprimante-hors-connexion", ALICE, eid="e3")
    report = compute([one, one, opened, opened, solved, solved], [], since=T0 - DAY, until=T0 + DAY, window=DAY, now=NOW)
    figures = {f["key"]: f["value"] for f in report["figures"]}
    assert figures["sessions"] == 1 and figures["confirmed"] == 1
    row = next(r for r in report["articles"] if r["article_id"] == "imprimante-hors-connexion")
    assert (row["shown"], row["opened"], row["solved"]) == (1, 1, 1)


def stream():
    """Ten sessions with known outcomes, over two ISO weeks and two categories."""
    events, tickets = [], []
    for i in range(4):  # confirmed, week 45, impression
        events += [shown(f"c{i}", T0 + i * H, person=ALICE), ev(f"c{i}", "article_opened", T0 + i * H, "imprimante-hors-connexion", ALICE),
                   ev(f"c{i}", "solved", T0 + i * H, "imprimante-hors-connexion", ALICE)]
    for i in range(2):  # potential, week 46, messagerie
        at = T0 + 7 * DAY + i * H
        events += [shown(f"p{i}", at, "boîte pleine", ("boite-aux-lettres-pleine",), BOB, "messagerie"),
                   ev(f"p{i}", "article_opened", at, "boite-aux-lettres-pleine", BOB)]
    at = T0 + 8 * DAY  # opened, then a ticket 2 h later: failed deflection
    events += [shown("n0", at, "Boîte   PLEINE !", ("boite-aux-lettres-pleine",), BOB, "messagerie"),
               ev("n0", "article_opened", at, "boite-aux-lettres-pleine", BOB)]
    tickets.append(TicketFact(20, BOB, at + 2 * H, "n0"))
    at = T0 + 8 * DAY + 3 * DAY  # nothing suggested, then a ticket (outside the period: counted for the window only)
    events += [shown("q0", T0 + 2 * DAY, "plotter a0", (), ALICE, None)]
    tickets.append(TicketFact(21, ALICE, T0 + 2 * DAY + H, "q0"))
    events += [shown("u0", T0 + 3 * DAY, person=BOB), shown("u1", T0 + 3 * DAY, person=BOB)]  # no outcome
    events += [ev("v", "page_view", T0 + i * H, "poste-lent") for i in range(9)]
    events += [ev("v", "page_feedback", T0, "poste-lent", data={"helpful": True}, eid="f1"),
               ev("v", "page_feedback", T0, "poste-lent", data={"helpful": False, "reason": "trop long"}, eid="f2")]
    tickets.append(TicketFact(22, BOB, T0 + DAY, type="problem"))  # technicians' problems are not « tickets created »
    return events, tickets


def test_rates_scores_and_every_count_on_a_known_stream():
    events, tickets = stream()
    report = compute(events, tickets, since=T0 - H, until=T0 + 9 * DAY, window=DAY, now=NOW,
                     resolved_with={"imprimante-hors-connexion": 3})
    figures = {f["key"]: f["value"] for f in report["figures"]}
    assert figures == {"sessions": 10, "sessions_with_suggestions": 9, "confirmed": 4, "potential": 2, "none": 2,
                       "no_outcome": 2, "provisional": 0, "deflection_rate": round(6 / 9, 4),
                       "confirmed_rate": round(4 / 9, 4), "kb_page_views": 9, "tickets_created": 2,
                       "self_service_score": 4.5}
    assert all(f["definition"] for f in report["figures"]) and report["window_hours"] == 24
    assert "24 h" in next(f["definition"] for f in report["figures"] if f["key"] == "confirmed")


def test_per_article_funnel():
    events, tickets = stream()
    report = compute(events, tickets, since=T0 - H, until=T0 + 9 * DAY, window=DAY, now=NOW,
                     resolved_with={"imprimante-hors-connexion": 3})
    rows = {r["article_id"]: r for r in report["articles"]}
    assert rows["imprimante-hors-connexion"] | {} == {"article_id": "imprimante-hors-connexion", "shown": 6, "opened": 4,
                                                      "solved": 4, "ticket_after_open": 0, "resolved_with": 3,
                                                      "helpful_yes": 0, "helpful_no": 0}
    assert (rows["boite-aux-lettres-pleine"]["opened"], rows["boite-aux-lettres-pleine"]["ticket_after_open"]) == (3, 1)
    assert (rows["poste-lent"]["helpful_yes"], rows["poste-lent"]["helpful_no"]) == (1, 1)


def test_by_category_and_by_week():
    events, tickets = stream()
    report = compute(events, tickets, since=T0 - H, until=T0 + 9 * DAY, window=DAY, now=NOW)
    categories = {g["group"]: g for g in report["by_category"]}
    assert categories["impression"]["confirmed"] == 4 and categories["impression"]["deflection_rate"] == round(4 / 6, 4)
    assert categories["messagerie"]["potential"] == 2 and categories["messagerie"]["none"] == 1
    assert categories["(aucune suggestion)"]["sessions"] == 1
    weeks = {g["group"]: g["sessions"] for g in report["by_week"]}
    assert weeks == {"2026-W45": 7, "2026-W46": 3}


def test_unsuccessful_searches_grouped_by_normalised_query():
    events, tickets = stream()
    report = compute(events, tickets, since=T0 - H, until=T0 + 9 * DAY, window=DAY, now=NOW)
    rows = {r["query"]: r for r in report["unsuccessful_searches"]}
    assert rows == {"boite pleine": {"query": "boite pleine", "sessions": 1, "no_suggestion": 0, "ticket_after_suggestions": 1},
                    "plotter a0": {"query": "plotter a0", "sessions": 1, "no_suggestion": 1, "ticket_after_suggestions": 0}}
    assert normalise_query("Boîte   PLEINE !") == "boite pleine" and normalise_query(None) == "(texte purgé)"


def test_a_session_whose_window_is_still_open_is_flagged_provisional():
    events = [shown("s1", NOW - H, person=ALICE), ev("s1", "solved", NOW - H, "x", ALICE)]
    report = compute(events, [], since=NOW - DAY, until=NOW, window=DAY, now=NOW)
    figures = {f["key"]: f["value"] for f in report["figures"]}
    assert figures["confirmed"] == 1 and figures["provisional"] == 1


def test_no_sessions_gives_no_rate_rather_than_a_division_error():
    report = compute([], [], since=T0, until=T0 + DAY, window=DAY, now=NOW)
    figures = {f["key"]: f["value"] for f in report["figures"]}
    assert figures["deflection_rate"] is None and figures["self_service_score"] is None
