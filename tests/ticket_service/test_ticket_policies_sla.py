"""helpdesk.yml validation, the priority matrix, business-hours arithmetic and SLA clocks (pauses, holidays, DST)."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
import yaml

from ticket_service import create_app
from ticket_service.domain import tickets, transitions
from ticket_service.domain.calendar import BusinessCalendar
from ticket_service.store.models import Person, Ticket
from ticket_service.domain.policies import PolicyError, load_policies
from tshelpers import ROOT

PARIS = ZoneInfo("Europe/Paris")
UTC = timezone.utc
POLICIES = load_policies(ROOT / "helpdesk.yml")
CAL = BusinessCalendar.from_policies(POLICIES)


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.mark.parametrize("impact, urgency, priority", [
    ("high", "high", "P1"), ("high", "medium", "P2"), ("high", "low", "P3"),
    ("medium", "high", "P2"), ("medium", "medium", "P3"), ("medium", "low", "P4"),
    ("low", "high", "P3"), ("low", "medium", "P4"), ("low", "low", "P4"),
])
def test_priority_matrix(impact, urgency, priority):
    assert POLICIES.priority(impact, urgency) == priority


def test_the_project_policies_describe_ferrand_et_associes():
    assert POLICIES.level_of("support@alpes-infogerance.fr") == "N3"
    assert [g.level for g in POLICIES.groups.values()] == ["N1", "N2", "N3"]
    assert len(POLICIES.groups["support-n1"].members) == 2
    assert POLICIES.catalogue["logiciel-paie"].quorum == 2
    assert POLICIES.timezone == "Europe/Paris" and POLICIES.workdays == (0, 1, 2, 3, 4)


BROKEN = [  # (mutation, key named in the error)
    (lambda d: d.pop("request_types"), "request_types"),
    (lambda d: d["request_types"].pop("problem"), "request_types.problem"),
    (lambda d: d["priority_matrix"]["high"].update(low="P9"), "priority_matrix.high.low"),
    (lambda d: d["groups"]["systemes-n2"].update(level="N5"), "groups.systemes-n2.level"),
    (lambda d: d["groups"]["support-n1"].update(members=["pas-un-email"]), "groups.support-n1.members"),
    (lambda d: d.update(default_group="inconnu"), "default_group"),
    (lambda d: d["catalogue"]["vpn-nomade"].update(quorum=3), "catalogue.vpn-nomade.quorum"),
    (lambda d: d["sla"]["P2"].update(resolution=-1), "sla.P2.resolution"),
    (lambda d: d["sla"].update(at_risk_ratio=1.5), "sla.at_risk_ratio"),
    (lambda d: d["calendar"].update(timezone="Mars/Olympus"), "calendar.timezone"),
    (lambda d: d["calendar"].update(hours=["18:00", "08:00"]), "calendar.hours"),
    (lambda d: d["calendar"].update(days=["lundi"]), "calendar.days"),
    (lambda d: d.update(auto_close_business_days="cinq"), "auto_close_business_days"),
    (lambda d: d.update(satisfaction="oui"), "satisfaction.enabled"),
    (lambda d: d["organisation"].update(timezone="Europe/Lutece"), "organisation.timezone"),
    (lambda d: d["organisation"].update(locale="français"), "organisation.locale"),
    (lambda d: d["form_labels"]["urgency"].pop("low"), "form_labels.urgency"),
    (lambda d: d["form_labels"]["request_types"].update(panne="Ça ne marche pas"), "form_labels.request_types.panne"),
    (lambda d: d["form_labels"]["impact"].update(low=""), "form_labels.impact.low"),
]


@pytest.mark.parametrize("mutate, key", BROKEN, ids=[key for _, key in BROKEN])
def test_broken_policies_name_the_key_and_the_fix(tmp_path, mutate, key):
    data = yaml.safe_load((ROOT / "helpdesk.yml").read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "helpdesk.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(PolicyError) as error:
        load_policies(path)
    assert f"`{key}`" in str(error.value) and "fix:" in str(error.value)
    with pytest.raises(PolicyError):  # the app refuses to start with it
        create_app({"HELPDESK_CONFIG": str(path), "SECRET_KEY": "x", "VERIFY_DATABASE": False,
                    "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"})


def test_the_calendar_works_in_the_organisation_time_zone_unless_it_names_one(tmp_path):
    data = yaml.safe_load((ROOT / "helpdesk.yml").read_text(encoding="utf-8"))
    assert "timezone" not in data["calendar"] and POLICIES.organisation.timezone == POLICIES.timezone == "Europe/Paris"
    path = tmp_path / "helpdesk.yml"
    data["organisation"]["timezone"] = "America/Montreal"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert load_policies(path).timezone == "America/Montreal"
    data["calendar"]["timezone"] = "Europe/Paris"  # a desk working in another zone than its employees
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    policies = load_policies(path)
    assert (policies.organisation.timezone, policies.timezone) == ("America/Montreal", "Europe/Paris")


# (start, business hours to add, expected local end)
ADD_CASES = [
    (paris(2026, 11, 30, 9, 0), 4, paris(2026, 11, 30, 13, 0)),  # plain Monday
    (paris(2026, 11, 30, 17, 0), 2, paris(2026, 12, 1, 9, 30)),  # overnight
    (paris(2026, 11, 27, 17, 0), 2, paris(2026, 11, 30, 9, 30)),  # Friday → Monday
    (paris(2026, 11, 28, 11, 0), 1, paris(2026, 11, 30, 9, 30)),  # opened on Saturday
    (paris(2026, 11, 30, 7, 0), 1, paris(2026, 11, 30, 9, 30)),  # before opening
    (paris(2026, 12, 24, 17, 0), 2, paris(2026, 12, 28, 9, 30)),  # Christmas Day and the weekend skipped
    (paris(2026, 12, 31, 17, 30), 1, paris(2027, 1, 4, 9, 0)),  # New Year's Day (Friday) and the weekend
    (paris(2026, 5, 13, 17, 0), 2, paris(2026, 5, 15, 9, 30)),  # Ascension Thursday 14 May 2026
    (paris(2026, 10, 23, 17, 0), 2, paris(2026, 10, 26, 9, 30)),  # across the end of summer time (25 Oct)
    (paris(2027, 3, 26, 17, 0), 2, paris(2027, 3, 30, 9, 30)),  # summer time starts Sun 28 Mar; Easter Monday 29 off
    (paris(2026, 11, 30, 9, 0), 0, paris(2026, 11, 30, 9, 0)),
]


@pytest.mark.parametrize("start, hours, end", ADD_CASES)
def test_add_business_hours(start, hours, end):
    assert CAL.add_business_seconds(start, hours * 3600) == end.astimezone(UTC)


@pytest.mark.parametrize("start, end, hours", [
    (paris(2026, 11, 30, 9, 0), paris(2026, 11, 30, 12, 0), 3),
    (paris(2026, 11, 27, 17, 0), paris(2026, 11, 30, 9, 30), 2),
    (paris(2026, 12, 24, 8, 30), paris(2026, 12, 28, 8, 30), 9.5),  # 24th full day, 25th off
    (paris(2026, 11, 30, 12, 0), paris(2026, 11, 30, 9, 0), 0),
    (paris(2026, 10, 23, 8, 30), paris(2026, 10, 26, 18, 0), 19),  # DST change on the Sunday in between
])
def test_business_hours_between(start, end, hours):
    assert CAL.business_seconds_between(start, end) == hours * 3600


def test_dst_opening_hours_follow_local_time():
    winter, summer = CAL.window(paris(2026, 12, 1).date()), CAL.window(paris(2026, 7, 1).date())
    assert winter[0].hour == 7 and summer[0].hour == 6  # 08:30 in Paris is 07:30 UTC in winter, 06:30 in summer
    assert CAL.holiday_name(paris(2026, 12, 25).date()) == "Noël"
    assert CAL.window(paris(2027, 1, 1).date()) is None


def test_sla_due_times_pause_in_waiting_and_flag_breaches(app, database, users):
    ctx = app.extensions["guichet_context"]
    created = paris(2026, 12, 21, 9, 0).astimezone(UTC)  # Monday; P3 = 4 h first response, 24 h resolution
    with database.write() as db:
        requester, tech = db.get(Person, users["employee_a"]), db.get(Person, users["n1"])
        ticket = tickets.create_ticket(db, ctx, requester, {"title": "Clavier", "description": "Touches mortes.",
                                                              "impact": "low", "urgency": "high"}, now=created)
        assert ticket.priority == "P3"
        assert ticket.first_response_due == paris(2026, 12, 21, 13, 0).astimezone(UTC)
        # 24 business hours: Mon 9 h + Tue 9.5 h + Wed 5.5 h → Wed 23/12 14:00
        assert ticket.resolution_due == paris(2026, 12, 23, 14, 0).astimezone(UTC)
        transitions.transition(db, ctx, ticket, tech, "in_progress", now=paris(2026, 12, 21, 10, 0).astimezone(UTC))
        transitions.transition(db, ctx, ticket, tech, "waiting", now=paris(2026, 12, 22, 10, 0).astimezone(UTC))
        assert ticket.resolution_due is None  # paused
        # resumed after Christmas: waited Tue 10:00 → Mon 28/12 10:00 = 8 + 9.5 + 9.5 (25th off, weekend) + 1.5 h
        transitions.transition(db, ctx, ticket, requester, "in_progress", now=paris(2026, 12, 28, 10, 0).astimezone(UTC))
        assert ticket.paused_seconds == 28.5 * 3600
        # due = 24 + 28.5 = 52.5 business hours after creation → Tue 29/12 14:00; at risk from 18 + 28.5 h → Mon 28/12 17:30
        assert ticket.resolution_due == paris(2026, 12, 29, 14, 0).astimezone(UTC)
        assert ticket.resolution_at_risk == paris(2026, 12, 28, 17, 30).astimezone(UTC)
        ticket_id = ticket.id
    from ticket_service.domain.sla import sla_view

    with database.reader() as db:
        ticket = db.get(Ticket, ticket_id)
        calm = sla_view(ticket, paris(2026, 12, 28, 14, 0).astimezone(UTC), ctx.policies, ctx.calendar)
        assert calm["first_response"]["breached"] is False and calm["first_response"]["met_at"] is not None
        assert (calm["resolution"]["at_risk"], calm["resolution"]["breached"]) == (False, False)
        risky = sla_view(ticket, paris(2026, 12, 28, 17, 45).astimezone(UTC), ctx.policies, ctx.calendar)
        assert (risky["resolution"]["at_risk"], risky["resolution"]["breached"]) == (True, False)
        late = sla_view(ticket, paris(2026, 12, 29, 14, 1).astimezone(UTC), ctx.policies, ctx.calendar)
        assert (late["resolution"]["at_risk"], late["resolution"]["breached"]) == (False, True)


def test_sla_filters_in_queries(app, database, users, api):
    ctx = app.extensions["guichet_context"]
    with database.write() as db:
        requester = db.get(Person, users["employee_b"])
        old = tickets.create_ticket(db, ctx, requester, {"title": "Vieux ticket", "description": "Oublié.",
                                                           "impact": "high", "urgency": "high"},
                                      now=datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
        old_id = old.id
    tech = api("n1")
    breached = tech.get("/api/v1/tickets?sla=breached&per_page=100").get_json()
    assert old_id in [t["id"] for t in breached["items"]]
    assert next(t for t in breached["items"] if t["id"] == old_id)["sla"]["resolution"]["breached"] is True
    assert old_id not in [t["id"] for t in tech.get("/api/v1/tickets?sla=at_risk&per_page=100").get_json()["items"]]
    assert api("employee_b").get("/api/v1/tickets?sla=breached").status_code == 400  # a staff-only filter
