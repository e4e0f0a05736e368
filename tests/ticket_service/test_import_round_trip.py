"""Import a month of past tickets, then read the dashboard's figures: each equals the value computed by hand below."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from ticket_service.actions.importing import import_tickets
from ticket_service.domain.clock import FixedClock
from ticket_service.reports.filters import Filters
from ticket_service.reports.panels import compute
from ticket_service.reports.period import resolve_period
from ticket_service.store.models import Person

MONTH = Path(__file__).resolve().parent.parent / "fixtures" / "import" / "month.jsonl"
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)

# Business hours: Monday–Friday 08:30–18:00 Europe/Paris (UTC+1 in November), 11 November a holiday.
# RT-1 P3 09:00 → 11:00 Mon 2 Nov: 2 h; first answer 09:10; one staff reply; no escalation: first contact.
# RT-2 P2 Tue 10 17:00 → Thu 12 10:30 = 1 h (Tue) + 0 (holiday) + 2 h = 3 h, waiting 17:45 → Thu 09:30 = 0.25 + 1 h,
#      net 1.75 h; waited: not first contact.
# RT-3 P3 Wed 18 10:00 → (reopened) → Thu 19 10:00 = 8 h + 1.5 h, resolved (paused) Wed 14:00 → Thu 09:00 = 4 + 0.5 h,
#      net 5 h; escalated and reopened: not first contact; two resolutions, one reopened within 7 days.
# RT-4 P4 Mon 23 09:00 → Tue 24 09:00 = 9 h + 0.5 h = 9.5 h: first response (at the resolution) past its 8 h target.
# RT-5 P1 Thu 26 09:00 → 15:00 = 6 h: past its 4 h resolution target.
# RT-6 is October's, RT-7 still open (answered after 0.5 h: it counts for the first response only).
HOURS = sorted([2.0, 1.75, 5.0, 9.5, 6.0])


@pytest.fixture(scope="module")
def figures(app):
    ctx = app.extensions["guichet_context"]
    ctx.clock = FixedClock(NOW)
    database = app.extensions["guichet_db"]
    with database.writer() as session:
        report = import_tickets(session, ctx, MONTH.read_text(encoding="utf-8").splitlines(), filename="month.jsonl",
                                fmt="jsonl")
    assert report.errors == [] and report.imported == 7 and report.written
    period = resolve_period("custom", NOW, ctx.policies.organisation.zone, date(2026, 11, 1), date(2026, 11, 30))
    with database.reader() as session:
        result = compute(session, ctx.policies, ctx.calendar, ["mttr", "sla", "fcr", "reopens", "satisfaction"],
                         period, Filters(), NOW, compare=False)
        created = session.scalar(select(Person).where(Person.email == "nouvelle.recrue@ferrand-associes.fr"))
    return {f["key"]: f for p in result["panels"] for f in p["figures"]}, created


def test_mttr_in_business_hours_net_of_pauses(figures):
    found, _ = figures
    assert found["mttr.mean"]["value"] == pytest.approx(sum(HOURS) / 5)  # 4.85
    assert found["mttr.median"]["value"] == pytest.approx(5.0)
    assert found["mttr.p90"]["value"] == pytest.approx(9.5)
    assert found["mttr.mean"]["denominator"] == 5


def test_sla_met(figures):
    found, _ = figures
    assert found["sla.resolution"]["value"] == pytest.approx(4 / 5)  # RT-5 breached
    # Every first response given in November: the five resolved and RT-7 (answered after 0.5 h); RT-4's breached.
    assert (found["sla.first_response"]["numerator"], found["sla.first_response"]["denominator"]) == (5, 6)


def test_first_contact_resolution(figures):
    found, _ = figures
    assert (found["fcr.rate"]["numerator"], found["fcr.rate"]["denominator"]) == (3, 5)  # RT-1, RT-4, RT-5


def test_reopen_rate(figures):
    found, _ = figures
    assert (found["reopen.rate"]["numerator"], found["reopen.rate"]["denominator"]) == (1, 6)


def test_satisfaction(figures):
    found, _ = figures
    assert found["csat.average"]["value"] == pytest.approx(round(11 / 3, 2))  # 5, 2, 4
    assert (found["csat.response_rate"]["numerator"], found["csat.response_rate"]["denominator"]) == (3, 5)


def test_unknown_requester_becomes_an_inactive_employee(figures):
    _, person = figures
    assert (person.role, person.active, person.password_hash, person.name) == ("employee", False, None,
                                                                                "Nouvelle Recrue")
