"""What-if replay: a hand-built ticket set under a proposed matrix change and one rule, checked against a hand-computed
answer; then `guichet policies replay` and `check` on a real database, which the replay leaves untouched."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import func, select

from ticket_service.cli import main as guichet
from ticket_service.domain.calendar import BusinessCalendar
from ticket_service.domain.policies import load_policies
from ticket_service.domain.replay import PastTicket, compare
from ticket_service.reports.policy_replay import render_text, to_json
from ticket_service.store.models import OutboxEvent, Ticket, TicketEvent
from tshelpers import ROOT, migrated_app

pytestmark = pytest.mark.timeout(120)
PARIS = ZoneInfo("Europe/Paris")
RULE = {"name": "vpn-n2", "when": ["created"], "if": {"words": ["vpn", "forticlient"]},
        "then": [{"set": {"group": "systemes-n2", "category": "reseau-vpn"}}, {"tag": "vpn"}]}


def paris(day, hour, minute=0) -> datetime:
    return datetime(2026, 7, day, hour, minute, tzinfo=PARIS)


def proposal(tmp_path) -> str:
    """The shipped helpdesk.yml with medium impact × high urgency raised to P1, and the rule vpn-n2."""
    text = (ROOT / "helpdesk.yml").read_text(encoding="utf-8")
    text = text.replace("  medium: {high: P2, medium: P3, low: P4}", "  medium: {high: P1, medium: P3, low: P4}")
    text = text.replace("\nautomation: []\n", "\n" + yaml.safe_dump({"automation": [RULE]}, allow_unicode=True))
    path = tmp_path / "proposed-helpdesk.yml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def created(id, impact, urgency, title="Souci", category="poste-de-travail", **then) -> PastTicket:
    return PastTicket(id=id, created_at=paris(6, 10), type="incident", category=category, impact=impact,
                      urgency=urgency, title=title, description="Décrit par le demandeur.", **then)


# Monday 6 July 2026 10:00 (Paris), desk open 08:30–18:00 Monday to Friday; « now » is Tuesday 7 July 12:00.
TICKETS = [
    # P2 → P1: resolved after 5 business hours, within 8 h, past 4 h; first response after 20 min (both in time)
    created(1, "medium", "high", status="resolved", first_response_at=paris(6, 10, 20), resolved_at=paris(6, 15)),
    # P4 both; the rule routes it to N2 and sets its category; 11 business hours, in time
    created(2, "low", "medium", title="VPN coupé", status="closed", first_response_at=paris(6, 11),
            resolved_at=paris(7, 10)),
    # P3 both: 8 + 9.5 + 9.5 + 1.5 = 28.5 business hours > 24: breached both; no first response to judge
    created(3, "low", "high", status="closed", resolved_at=paris(9, 10)),
    # P2 → P1, still in progress after 11.5 business hours: breached both, first response missed both
    created(4, "medium", "high", status="in_progress"),
    # P2 → P1 and routed to N2 (forticlient); resolved in 3 h, in time both; first response after 45 min: past 0.5 h
    created(5, "medium", "high", title="FortiClient refuse", category="reseau-vpn", status="resolved",
            first_response_at=paris(6, 10, 45), resolved_at=paris(6, 13)),
]
NOW = paris(7, 12)


def test_replay_matches_the_hand_computed_answer(tmp_path):
    current = load_policies(ROOT / "helpdesk.yml")
    proposed = load_policies(proposal(tmp_path))
    result = compare(TICKETS, current, BusinessCalendar.from_policies(current), proposed,
                     BusinessCalendar.from_policies(proposed), NOW)
    assert result.tickets == 5
    assert result.priority_changes == [(1, "P2", "P1"), (4, "P2", "P1"), (5, "P2", "P1")]
    assert result.group_changes == [(2, "support-n1", "systemes-n2"), (5, "support-n1", "systemes-n2")]
    assert result.category_changes == [(2, "poste-de-travail", "reseau-vpn")]
    assert (result.current.resolution_breached, result.proposed.resolution_breached) == (2, 3)
    assert result.newly_breached == [1] and result.no_longer_breached == []
    assert (result.current.first_response_breached, result.proposed.first_response_breached) == (1, 2)
    assert (result.current.compliance, result.proposed.compliance) == (0.75, 0.5)
    assert (result.current.rules, result.proposed.rules) == ({}, {"vpn-n2": 2})
    assert result.proposed.tags == {"vpn": 2}

    text = render_text(result, paris(6, 0), NOW, "proposed-helpdesk.yml", "fr_FR", PARIS)
    assert "Délai de résolution dépassé (résolus ou encore ouverts) : 2 → 3 (1 ticket de plus) ; nouveaux : n° 1" in text
    assert "Respect du délai de résolution : 75\xa0% → 50\xa0% (sur 4 tickets résolus)" in text
    assert "Routé vers un autre groupe : 2 tickets (n° 2 support-n1 → systemes-n2, n° 5 support-n1 → systemes-n2)" in text
    assert "« vpn-n2 » : 0 → 2" in text
    data = to_json(result, paris(6, 0), NOW, "proposed-helpdesk.yml")
    assert data["differences"]["resolution_breached"] == 1
    assert data["current"]["resolution_compliance"] == 0.75 and data["proposed"]["resolution_compliance"] == 0.5


def test_the_same_file_changes_nothing(tmp_path):
    current = load_policies(ROOT / "helpdesk.yml")
    calendar = BusinessCalendar.from_policies(current)
    result = compare(TICKETS, current, calendar, current, calendar, NOW)
    assert not (result.priority_changes or result.group_changes or result.category_changes or result.newly_breached)


def test_a_calendar_change_alone_moves_the_breaches(tmp_path):
    current = load_policies(ROOT / "helpdesk.yml")
    mornings = replace(current, hours=((8, 30), (12, 0)))  # 3.5 business hours a day
    result = compare(TICKETS, current, BusinessCalendar.from_policies(current), mornings,
                     BusinessCalendar.from_policies(mornings), NOW)
    # ticket 3: 2 + 3.5 + 3.5 + 1.5 = 10.5 h of 24; ticket 4: 2 + 3.5 = 5.5 h of 8; ticket 1 stays within 8 h
    assert result.no_longer_breached == [3, 4] and result.newly_breached == [] and not result.priority_changes


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def env(request, tmp_path):
    with migrated_app(request.param, tmp_path, demo=True) as app:
        yield app, {"GUICHET_DATABASE_URL": app.config["DATABASE_URL"], "GUICHET_SECRET_KEY": "x",
                    "GUICHET_ATTACHMENTS_DIR": str(tmp_path / "att"), "GUICHET_SITE_DIR": str(tmp_path / "site")}


def counts(app) -> tuple[int, int, int]:
    with app.extensions["guichet_db"].reader() as db:
        return tuple(db.scalar(select(func.count()).select_from(m)) for m in (Ticket, TicketEvent, OutboxEvent))


def test_the_command_replays_the_demo_and_writes_nothing(env, tmp_path):
    app, variables = env
    before = counts(app)
    result = CliRunner().invoke(guichet, ["policies", "replay", "--config", proposal(tmp_path), "--since", "30d",
                                          "--json"], env=variables, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["tickets"] == before[0]  # the demo's tickets are all within 30 days
    with app.extensions["guichet_db"].reader() as db:
        vpn = set(db.scalars(select(Ticket.id).where(func.lower(Ticket.title + " " + Ticket.description).like("%vpn%"))))
        medium_high = set(db.scalars(select(Ticket.id).where(Ticket.impact == "medium", Ticket.urgency == "high",
                                                             Ticket.catalogue_item.is_(None))))
    assert {c["ticket"] for c in data["differences"]["group_changes"]} == vpn and vpn
    assert {c["ticket"] for c in data["differences"]["priority_changes"]} <= medium_high
    assert data["proposed"]["rules"] == {"vpn-n2": len(vpn)}
    assert counts(app) == before  # nothing written
    text = CliRunner().invoke(guichet, ["policies", "replay", "--config", proposal(tmp_path)], env=variables)
    assert text.exit_code == 0 and "Rejeu de " in text.output and "(rien n'est écrit)" in text.output


def test_check_and_bad_arguments(env, tmp_path):
    _, variables = env
    ok = CliRunner().invoke(guichet, ["policies", "check", "--config", proposal(tmp_path)], env=variables)
    assert ok.exit_code == 0 and "1 règle d'automatisation" in ok.output
    bad = tmp_path / "bad.yml"
    text = Path(proposal(tmp_path)).read_text(encoding="utf-8")
    bad.write_text(text.replace("group: systemes-n2", "group: n9"), encoding="utf-8")
    refused = CliRunner().invoke(guichet, ["policies", "check", "--config", str(bad)], env=variables)
    assert refused.exit_code == 1 and "`automation.vpn-n2.then.set.group`" in refused.output and "fix:" in refused.output
    period = CliRunner().invoke(guichet, ["policies", "replay", "--config", proposal(tmp_path), "--since", "month"],
                                env=variables)
    assert period.exit_code == 2 and "30d" in period.output
