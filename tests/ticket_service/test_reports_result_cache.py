"""Dashboard answers kept a little while (reports/result_cache.py): served again on unchanged data within
DASHBOARD_CACHE_SECONDS (a page, a panel) or KNOWLEDGE_CACHE_SECONDS (the knowledge panels) of the domain clock,
computed again once a row is added or the entry is older, never kept with 0; the page says when its figures were
computed, and a kept answer equals the live computation."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from html import unescape

import pytest

from report_cases import Desk, local
from ticket_service.domain.clock import FixedClock
from ticket_service.reports import result_cache

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=timezone.utc)
NOVEMBER = "period=custom&since=2026-11-01&until=2026-11-30"
KEY = ("recurring", "november")


@pytest.fixture(scope="module")
def month(app, database):
    """Two printer incidents alike, created in November."""
    from ticket_service.actions import tickets as t

    desk = Desk(app, database)
    desk.ids = [desk.do(local(f"2026-11-{day}", "09:00"), "employee_a", t.create_ticket, {
        "title": "Imprimante du 2e étage hors connexion", "description": "La Ricoh du 2e étage est hors connexion.",
        "category": "impression", "type": "incident"}).ticket.id for day in ("02", "03")]
    return desk


@pytest.fixture(autouse=True)
def fresh(app):
    result_cache.forget()
    ctx = app.extensions["guichet_context"]
    clock, ctx.clock = ctx.clock, FixedClock(NOW)
    yield
    ctx.clock = clock
    result_cache.forget()


def counted(app, database, now, max_age=timedelta(minutes=5)):
    """Ask the cache once under KEY; return (the number of computations so far, the instant served)."""
    calls = []
    with app.app_context(), database.reader() as db:
        result, at = result_cache.cached(db, KEY, now, max_age, lambda: calls.append(1) or {"n": len(calls)})
    return len(calls), at


def test_a_result_is_served_again_on_unchanged_data_within_max_age_only(app, database, month):
    assert counted(app, database, NOW) == (1, NOW)
    assert counted(app, database, NOW + timedelta(minutes=4)) == (0, NOW)  # kept: « calculé à » the first instant
    assert counted(app, database, NOW + timedelta(minutes=6)) == (1, NOW + timedelta(minutes=6))  # too old
    assert counted(app, database, NOW - timedelta(minutes=1)) == (1, NOW - timedelta(minutes=1))  # clock went back
    assert counted(app, database, NOW, max_age=None) == (1, NOW)
    assert counted(app, database, NOW, max_age=timedelta(0)) == (1, NOW)


def test_a_new_help_event_or_ticket_computes_again(app, database, month):
    from ticket_service.actions import help as h
    from ticket_service.actions import tickets as t

    assert counted(app, database, NOW)[0] == 1
    assert counted(app, database, NOW)[0] == 0
    month.do(NOW, "employee_b", lambda db, ctx, person: h.record_events(
        db, ctx, "s-new", [{"id": "s-new-0", "type": "suggestions_shown", "query": "wifi", "suggestions": []}], person))
    assert counted(app, database, NOW)[0] == 1
    month.do(NOW, "employee_a", t.create_ticket, {"title": "Wifi coupé", "description": "Plus de wifi.",
                                                  "category": "reseau-vpn", "type": "incident"})
    assert counted(app, database, NOW)[0] == 1
    assert counted(app, database, NOW)[0] == 0


def test_the_page_says_when_its_knowledge_panels_were_computed_and_equals_the_live_figures(api, app, month):
    ctx = app.extensions["guichet_context"]
    first = unescape(api("admin").get(f"/pilotage?{NOVEMBER}").get_data(as_text=True))
    assert first.count("calculé à 13:00") == 3  # 12:00 UTC is 13:00 in Paris, once per knowledge panel
    ctx.clock = FixedClock(NOW + timedelta(minutes=3))
    kept = api("admin").get(f"/api/v1/metrics/recurring?{NOVEMBER}").get_json()
    assert kept["panels"][0]["computed_at"] == "2026-12-10T12:00:00Z"  # the page's computation, served again
    assert "calculé à 13:00" in unescape(api("admin").get(f"/pilotage?{NOVEMBER}").get_data(as_text=True))
    result_cache.enabled = False
    try:
        live = api("admin").get(f"/api/v1/metrics/recurring?{NOVEMBER}").get_json()
    finally:
        result_cache.enabled = True
    assert live["panels"][0]["computed_at"] == "2026-12-10T12:03:00Z"
    strip = re.compile(r'"computed_at": "[^"]+"')
    assert strip.sub("", json.dumps(kept, sort_keys=True)) == strip.sub("", json.dumps(live, sort_keys=True))
    assert kept["panels"][0]["figures"][0]["value"] == 1  # the two printer incidents form one cluster


def without_instants(answer: dict) -> str:
    return re.sub(r'"computed_at": "[^"]+"', "", json.dumps(answer, sort_keys=True))


def test_a_panel_is_served_again_until_a_comment_is_added_or_a_minute_has_passed(api, app, month):
    from ticket_service.actions import tickets as t

    ctx = app.extensions["guichet_context"]
    path = f"/api/v1/metrics/fcr?{NOVEMBER}"
    assert api("admin").get(path).get_json()["computed_at"] == "2026-12-10T12:00:00Z"
    ctx.clock = FixedClock(NOW + timedelta(seconds=30))
    kept = api("admin").get(path).get_json()
    assert kept["computed_at"] == "2026-12-10T12:00:00Z"
    result_cache.enabled = False
    try:
        assert without_instants(api("admin").get(path).get_json()) == without_instants(kept)  # the live figures
    finally:
        result_cache.enabled = True
    month.do(NOW, "n1", t.comment, month.ids[0], "Le pilote est réinstallé.")  # a new row: computed again at once
    assert api("admin").get(path).get_json()["computed_at"] == "2026-12-10T12:00:30Z"
    ctx.clock = FixedClock(NOW + timedelta(seconds=91))
    assert api("admin").get(path).get_json()["computed_at"] == "2026-12-10T12:01:31Z"  # older than 60 s
    page = unescape(api("admin").get(f"/pilotage?{NOVEMBER}").get_data(as_text=True))
    assert "Chiffres calculés à 13:01." in page
