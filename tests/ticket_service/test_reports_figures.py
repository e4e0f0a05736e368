"""Known-answer tests of the dashboard's figures: one hand-built month (tests/report_cases.py), each expected value
worked out by hand from the business calendar (08:30–18:00 Paris, French holidays), pauses, a reopen, two
escalations to a provider with its own calendar, and a ticket spanning October and November."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from report_cases import build
from ticket_service.reports.filters import Filters, FilterError, read_filters
from ticket_service.reports.panels import PANELS, compute
from ticket_service.reports.period import PeriodError, resolve_period

UTC = timezone.utc
NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def month(app, database):
    return build(app, database)


def run(app, database, names=tuple(PANELS), first=date(2026, 11, 1), last=date(2026, 11, 30), filters=None,
        now=NOW):
    from ticket_service.runtime import get_ctx

    with app.app_context(), database.reader() as session:
        ctx = get_ctx()
        period = resolve_period("custom", now, ctx.policies.organisation.zone, first, last)
        return compute(session, ctx.policies, ctx.calendar, names, period, filters or Filters(), now)


def figures(result) -> dict:
    return {f["key"]: f for p in result["panels"] for f in p["figures"]}


def table(result, panel, key) -> dict:
    found = next(p for p in result["panels"] if p["panel"] == panel)
    return {r["key"]: r for r in next(t for t in found["tables"] if t["key"] == key)["rows"]}


def test_volume_counts_the_months_tickets_by_category_type_and_week_with_the_previous_period(app, database, month):
    result = run(app, database, ["volume"])
    created = figures(result)["volume.created"]
    # Created in November: every ticket but the one of 30 October; the period before (2–31 October) holds it alone.
    assert created["value"] == 6 and created["previous"] == 1 and created["change"] == 5
    assert month["spanning"] not in created["ticket_ids"] and month["critical"] in created["ticket_ids"]
    assert created["window"]["since"] == "2026-10-31T23:00:00Z" and created["window"]["until"] == "2026-11-30T23:00:00Z"
    by_category = table(result, "volume", "by_category")
    assert {k: r["value"] for k, r in by_category.items()} == {
        "poste-de-travail": 2, "reseau-vpn": 2, "impression": 1, "messagerie": 1}
    assert by_category["poste-de-travail"]["previous"] == 1  # the October ticket
    assert {k: r["value"] for k, r in table(result, "volume", "by_type").items()} == {"incident": 6}
    # ISO weeks in Paris: 2–5 November W45, 9 November W46, 16 November W47, 30 November W49.
    assert {k: r["value"] for k, r in table(result, "volume", "by_bucket").items()} == {
        "2026-W45": 3, "2026-W46": 1, "2026-W47": 1, "2026-W49": 1}


def test_backlog_is_what_was_open_at_the_end_of_each_period(app, database, month):
    result = run(app, database, ["backlog"])
    backlog = figures(result)["backlog.open"]
    # End of November: the critical incident alone (15 h old: under a day). End of October: the spanning ticket.
    assert backlog["value"] == 1 and backlog["ticket_ids"] == [month["critical"]] and backlog["previous"] == 1
    assert figures(result)["backlog.median_age"]["value"] == 0.62  # 15 h = 0.625 day, rounded to 2 places
    assert table(result, "backlog", "by_age")["lt1"]["value"] == 1
    october = run(app, database, ["backlog"], date(2026, 10, 1), date(2026, 10, 31))
    assert figures(october)["backlog.open"]["ticket_ids"] == [month["spanning"]]


def test_sla_compliance_nets_pauses_skips_holidays_and_judges_the_provider_on_its_own_calendar(app, database, month):
    result = run(app, database, ["sla"])
    fig = figures(result)
    # First responses given in November: 1.5 h (the October ticket, P4 8 h), 0.5 h (P3 4 h), 0.5 h (P4), 0.5 h
    # (P2 1 h), 0.25 h (P4), 10 min (P1 30 min): all met. The self-service ticket never needed one.
    assert (fig["sla.first_response"]["numerator"], fig["sla.first_response"]["denominator"]) == (6, 6)
    # Resolution, the five standing resolutions: 3.5 h, 4 h, 4 h, 10.5 h of 45/24/45/45 h met; the escalated P2
    # took 10.5 h of its 8 h.
    resolution = fig["sla.resolution"]
    assert (resolution["numerator"], resolution["denominator"], resolution["value"]) == (4, 5, 0.8)
    assert resolution["breached_ids"] == [month["escalated"]]
    assert fig["sla.open_breached"]["ticket_ids"] == [month["critical"]]  # 9 business hours against 4
    provider = table(result, "sla", "by_provider")["alpes-infogerance"]
    assert (provider["met"], provider["breached"]) == (1, 0)  # 7 h on its calendar ≤ 8 h (8.5 h on the desk's)
    by_priority = table(result, "sla", "by_priority")
    assert by_priority["P2"]["breached_ids"] == [month["escalated"]] and by_priority["P4"]["value"] == 1.0
    assert set(table(result, "sla", "by_group")) == {"support-n1", "alpes-infogerance"}
    # October: the spanning ticket, unanswered at the end of October after 1 h of its 8 h, was still pending; its
    # first response and its resolution are both judged in November.
    october = figures(run(app, database, ["sla"], date(2026, 10, 1), date(2026, 10, 31)))
    assert (october["sla.first_response"]["numerator"], october["sla.first_response"]["denominator"]) == (0, 0)
    assert october["sla.resolution"]["denominator"] == 0 and october["sla.resolution"]["value"] is None


def test_levels_split_resolutions_by_the_level_at_resolution(app, database, month):
    result = run(app, database, ["levels"])
    rows = table(result, "levels", "by_level")
    assert {k: r["value"] for k, r in rows.items()} == {"N1": 4, "N2": 0, "N3": 1}
    assert rows["N3"]["ticket_ids"] == [month["escalated"]] and rows["N1"]["share"] == 0.8
    fig = figures(result)
    assert fig["levels.escalation_rate"]["value"] == 0.2 and fig["levels.escalation_rate"]["ticket_ids"] == [month["escalated"]]
    assert fig["levels.self_service"]["ticket_ids"] == [month["self_service"]]


def test_critical_incidents_open_carry_their_age_and_people(app, database, month):
    rows = table(run(app, database, ["critical"]), "critical", "open")
    row = rows[str(month["critical"])]
    # 30 November 09:00 → 1 December 00:00 Paris: 15 h, of which 9 business hours.
    assert (row["value"], row["business_hours"], row["priority"], row["major"]) == (15.0, 9.0, "P1", True)
    assert row["followers"] == 1 and row["assignee"] and row["requester"]


def test_mttr_is_mean_median_and_p90_in_business_hours_net_of_pauses(app, database, month):
    result = run(app, database, ["mttr"])
    fig = figures(result)
    # Hours: spanning 3.5, pause 4, reopen 4, escalated 10.5, holiday 10.5 → mean 32.5 / 5 = 6.5, median 4,
    # p90 = the value of rank ⌈0.9 × 5⌉ = 5 of the sorted list: 10.5.
    assert (fig["mttr.mean"]["value"], fig["mttr.median"]["value"], fig["mttr.p90"]["value"]) == (6.5, 4, 10.5)
    p4 = table(result, "mttr", "by_priority")["P4"]  # 3.5, 4, 10.5
    assert (p4["mean"], p4["median"], p4["p90"], p4["count"]) == (6.0, 4, 10.5, 3)
    assert table(result, "mttr", "by_category")["impression"]["mean"] == 4.0


def test_first_contact_resolution_states_its_denominator_and_each_miss(app, database, month):
    result = run(app, database, ["fcr"])
    fcr = figures(result)["fcr.rate"]
    # Five resolutions; the paused one waited, the reopened one reopened, the escalated one changed level and group.
    assert (fcr["numerator"], fcr["denominator"], fcr["value"]) == (2, 5, 0.4)
    assert fcr["ticket_ids"] == sorted([month["spanning"], month["holiday"]])
    misses = table(result, "fcr", "misses")
    assert misses["waited"]["ticket_ids"] == [month["pause"]] and misses["reopened"]["ticket_ids"] == [month["reopen"]]
    assert misses["escalated"]["ticket_ids"] == misses["group_changed"]["ticket_ids"] == [month["escalated"]]


def test_reopen_rate_counts_resolutions_followed_by_a_reopening(app, database, month):
    fig = figures(run(app, database, ["reopens"]))["reopen.rate"]
    # Six entries into « résolu » (the reopened ticket twice); its first was refused by the requester the next day.
    assert (fig["numerator"], fig["denominator"], fig["refused_by_requester"]) == (1, 6, 1)
    assert fig["ticket_ids"] == [month["reopen"]]


def test_satisfaction_is_ratings_over_surveys_sent(app, database, month):
    result = run(app, database, ["satisfaction"])
    fig = figures(result)
    # Surveys: six first resolutions in November (the self-service closure included); ratings 2, 4 and 5.
    assert (fig["csat.response_rate"]["numerator"], fig["csat.response_rate"]["denominator"]) == (3, 6)
    assert fig["csat.average"]["value"] == 3.67
    assert {k: r["value"] for k, r in table(result, "satisfaction", "distribution").items()} == {
        "1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    assert [r["comment"] for r in table(result, "satisfaction", "comments").values()] == ["Rapide, merci", "Il a fallu rouvrir"]


def test_workload_counts_open_assignments_resolutions_and_replies(app, database, users, month):
    rows = table(run(app, database, ["workload"]), "workload", "by_technician")
    n1, n3 = rows[str(users["n1"])], rows[str(users["n3"])]
    # n1 holds the critical incident; resolved spanning, pause, reopen (twice) and holiday; asked one question.
    assert (n1["value"], n1["resolved"], n1["replies"]) == (1, 5, 1)
    assert (n3["value"], n3["resolved"], n3["replies"]) == (0, 1, 0)


def test_filters_keep_the_tickets_whose_values_match_at_the_end_of_the_period(app, database, month):
    from ticket_service.runtime import get_ctx

    with app.app_context():
        policies = get_ctx().policies
        provider = read_filters({"provider": "alpes-infogerance"}, policies)
        with pytest.raises(FilterError) as refused:
            read_filters({"priority": "P9"}, policies)
        assert refused.value.field == "priority"
        with pytest.raises(FilterError):
            read_filters({"provider": "support-n1"}, policies)  # a group that is not a provider
    assert figures(run(app, database, ["volume"], filters=provider))["volume.created"]["ticket_ids"] == [month["escalated"]]
    p4 = figures(run(app, database, ["mttr"], filters=Filters(priority="P4")))["mttr.mean"]
    assert p4["value"] == 6.0 and p4["denominator"] == 3
    mine = figures(run(app, database, ["volume"], filters=Filters(groups=("alpes-infogerance",))))
    assert mine["volume.created"]["ticket_ids"] == [month["escalated"]]


def test_a_period_still_running_is_judged_now_and_named_periods_follow_the_calendar():
    from zoneinfo import ZoneInfo

    paris = ZoneInfo("Europe/Paris")
    now = datetime(2026, 11, 15, 10, 0, tzinfo=UTC)
    this = resolve_period("this_month", now, paris)
    assert (this.first_day, this.last_day) == (date(2026, 11, 1), date(2026, 11, 15))
    assert (this.previous().first_day, this.previous().last_day) == (date(2026, 10, 1), date(2026, 10, 31))
    last = resolve_period("last_month", now, paris)
    assert (last.first_day, last.last_day) == (date(2026, 10, 1), date(2026, 10, 31))
    days = resolve_period("30d", now, paris)
    assert (days.first_day, days.last_day) == (date(2026, 10, 17), date(2026, 11, 15))
    assert (days.previous().first_day, days.previous().last_day) == (date(2026, 9, 17), date(2026, 10, 16))
    with pytest.raises(PeriodError):
        resolve_period("custom", now, paris, date(2026, 11, 2), date(2026, 11, 1))
    with pytest.raises(PeriodError):
        resolve_period("fortnight", now, paris)
