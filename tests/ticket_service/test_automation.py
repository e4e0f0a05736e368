"""Automation rules (helpdesk.yml `automation:`): each trigger, condition and action through the real actions, the
loop guard, the business-hours condition on the test clock, the history naming the rule, and the validation messages."""

from __future__ import annotations

import contextlib
import copy
import json
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import select

from ticket_service.actions import tickets as ticket_actions
from ticket_service.actions import workflow
from ticket_service.domain.automation import Facts, Rule, matches
from ticket_service.domain.clock import FixedClock
from ticket_service.domain.policies import PolicyError, load_policies
from ticket_service.jobs import HANDLERS
from ticket_service.store.models import OutboxEvent, Person, Ticket, TicketEvent, TicketLink, TicketTag
from tshelpers import ROLES, ROOT

pytestmark = pytest.mark.timeout(120)
PARIS = ZoneInfo("Europe/Paris")
MONDAY_10 = datetime(2026, 7, 6, 10, 0, tzinfo=PARIS)
SATURDAY_10 = datetime(2026, 7, 11, 10, 0, tzinfo=PARIS)


def config_with(tmp_path, rules) -> str:
    """Write helpdesk.yml with these rules as its `automation:` section; return its path."""
    text = (ROOT / "helpdesk.yml").read_text(encoding="utf-8")
    assert "\nautomation: []\n" in text
    path = tmp_path / "helpdesk.yml"
    path.write_text(text.replace("\nautomation: []\n", "\n" + yaml.safe_dump({"automation": rules},
                                                                          allow_unicode=True)), encoding="utf-8")
    return str(path)


@pytest.fixture
def clock(app):
    ctx = app.extensions["guichet_context"]
    saved, ctx.clock = ctx.clock, FixedClock(MONDAY_10)
    yield ctx.clock
    ctx.clock = saved


@pytest.fixture
def rules(app, tmp_path):
    """Return a context manager running the app on these rules (validated from a real helpdesk.yml)."""
    ctx = app.extensions["guichet_context"]

    @contextlib.contextmanager
    def using(*specs):
        saved = ctx.policies
        ctx.policies = replace(saved, automation=load_policies(config_with(tmp_path, list(specs))).automation)
        try:
            yield
        finally:
            ctx.policies = saved
    return using


def act(app, action, role, *args, **kwargs):
    with app.app_context(), app.extensions["guichet_db"].writer() as db:
        actor = db.scalar(select(Person).where(Person.email == ROLES[role]))
        return action(db, app.extensions["guichet_context"], actor, *args, **kwargs)


def open_ticket(app, role="employee_a", **fields) -> int:
    data = {"title": "Imprimante hors service", "description": "Plus rien ne sort depuis ce matin.", "type": "incident",
            "impact": "low", "urgency": "medium", **fields}
    return act(app, ticket_actions.create_ticket, role, data).ticket.id


def tags(app, ticket_id) -> set[str]:
    with app.extensions["guichet_db"].reader() as db:
        return set(db.scalars(select(TicketTag.tag).where(TicketTag.ticket_id == ticket_id)))


def ticket(app, ticket_id) -> Ticket:
    with app.extensions["guichet_db"].reader() as db:
        found = db.get(Ticket, ticket_id)
        db.expunge(found)
        return found


def history(app, ticket_id) -> list[tuple]:
    with app.extensions["guichet_db"].reader() as db:
        return [(e.actor_id, e.field, e.old, e.new, e.reason) for e in db.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id))]


def tag_rule(name, when, **conditions) -> dict:
    return {"name": name, "when": [when], "if": conditions, "then": [{"tag": name}]}


def test_a_vpn_rule_routes_to_n2_and_tags_and_the_history_names_the_rule(app, clock, rules):
    with rules({"name": "vpn-n2", "when": ["created"], "if": {"category": ["reseau-vpn"], "words": ["vpn"]},
                "then": [{"set": {"group": "systemes-n2"}}, {"tag": "vpn"}]}):
        routed = open_ticket(app, category="reseau-vpn", title="Le VPN coupe", description="Déconnecté du vpn sans cesse.")
        kept = open_ticket(app, category="impression", title="Le VPN coupe", description="Et l'imprimante aussi.")
    assert (ticket(app, routed).group, ticket(app, routed).level) == ("systemes-n2", "N2")
    assert tags(app, routed) == {"vpn"}
    assert (ticket(app, kept).group, tags(app, kept)) == ("support-n1", set())
    lines = [line for line in history(app, routed) if line[1] != "status"]
    assert lines == [(None, "rule", None, "vpn-n2", "déclencheur : created"),
                     (None, "group", "support-n1", "systemes-n2", 'par la règle "vpn-n2"'),
                     (None, "level", "N1", "N2", 'par la règle "vpn-n2"'),
                     (None, "tag", None, "vpn", 'par la règle "vpn-n2"')]


def test_the_desk_shows_the_rule_in_the_history_and_the_tags(app, clock, rules, api):
    with rules({"name": "vpn-n2", "when": ["created"], "if": {"words": ["vpn"]}, "then": [{"tag": "vpn"}]}):
        ticket_id = open_ticket(app, title="VPN en panne")
    page = api("n1").get(f"/desk/tickets/{ticket_id}").get_data(as_text=True)
    assert "par la règle &#34;vpn-n2&#34;" in page or 'par la règle "vpn-n2"' in page
    assert 'class="ticket-tag"' in page and ">vpn<" in page
    listing = api("n1").get("/desk?tag=vpn").get_data(as_text=True)
    assert f"/desk/tickets/{ticket_id}" in listing
    assert api("n1").get("/desk?tag=Not%20A%20Tag").status_code == 400
    assert api("n1").get(f"/api/v1/tickets/{ticket_id}").get_json()["tags"] == [{"tag": "vpn", "rule": "vpn-n2"}]
    assert "tags" not in api("employee_a").get(f"/api/v1/tickets/{ticket_id}").get_json()
    tagged = api("n1").get("/api/v1/tickets?tag=vpn&per_page=100").get_json()["items"]
    assert ticket_id in [t["id"] for t in tagged]
    assert api("n1").get("/api/v1/tickets?tag=no-such-tag").get_json()["items"] == []
    history = api("n1").get(f"/api/v1/tickets/{ticket_id}/history").get_json()
    assert any(e["reason"] == 'par la règle "vpn-n2"' and e["actor_id"] is None for e in history["items"])


@pytest.mark.parametrize("trigger", ["updated", "commented", "escalated", "resolved"])
def test_each_people_trigger_runs_its_rules_once(app, clock, rules, trigger):
    with rules(tag_rule(f"on-{trigger}", trigger)):
        ticket_id = open_ticket(app)
        assert tags(app, ticket_id) == set()  # created: not this rule's trigger
        if trigger == "updated":
            act(app, ticket_actions.update_ticket, "n1", ticket_id, {"urgency": "high"})
        elif trigger == "commented":
            act(app, ticket_actions.comment, "n1", ticket_id, "Avez-vous redémarré ?")
        elif trigger == "escalated":
            act(app, workflow.escalate, "n1", ticket_id, "Besoin des droits administrateur")
        else:
            act(app, workflow.take, "n1", ticket_id)
            assert tags(app, ticket_id) == set()
            act(app, workflow.move, "n1", ticket_id, "resolved", note="Pilote réinstallé, tout fonctionne.", kb_gap=True)
    assert tags(app, ticket_id) == {f"on-{trigger}"}
    assert [line[3] for line in history(app, ticket_id) if line[1] == "rule"] == [f"on-{trigger}"]


def test_sla_triggers_run_when_the_watch_reports_at_risk_then_breached(app, clock, rules):
    with rules(tag_rule("on-risk", "sla_at_risk"), tag_rule("on-breach", "sla_breached")):
        ticket_id = open_ticket(app, impact="high", urgency="medium")  # P2: 8 business hours from Monday 10:00
        act(app, workflow.take, "n1", ticket_id)
        watch = HANDLERS["sla.watch"]
        clock.at = datetime(2026, 7, 6, 16, 30, tzinfo=PARIS)  # 6 h 30 of 8: at risk
        assert watch(app, app.extensions["guichet_db"], {}, clock)[ticket_id] == ["resolution:at_risk", "rule:on-risk"]
        assert tags(app, ticket_id) == {"on-risk"}
        clock.at = datetime(2026, 7, 7, 9, 0, tzinfo=PARIS)  # 8 h 30 of 8 (the desk opens at 8:30): breached
        steps = watch(app, app.extensions["guichet_db"], {}, clock)[ticket_id]
        assert steps[0] == "resolution:breached" and steps[-1] == "rule:on-breach"
        assert ticket_id not in watch(app, app.extensions["guichet_db"], {}, clock)  # reported once: the rule ran once
    assert tags(app, ticket_id) == {"on-risk", "on-breach"}


def test_business_hours_condition_reads_the_test_clock(app, clock, rules):
    with rules(tag_rule("hors-heures", "created", business_hours=False),
               tag_rule("en-heures", "created", business_hours=True)):
        during = open_ticket(app)
        clock.at = SATURDAY_10
        weekend = open_ticket(app)
        clock.at = datetime(2026, 7, 14, 10, 0, tzinfo=PARIS)  # 14 juillet: a holiday, closed
        holiday = open_ticket(app)
        clock.at = datetime(2026, 7, 6, 18, 0, tzinfo=PARIS)  # the closing minute is outside
        evening = open_ticket(app)
    assert tags(app, during) == {"en-heures"}
    assert tags(app, weekend) == tags(app, holiday) == tags(app, evening) == {"hors-heures"}


def test_requester_department_and_site_conditions(app, clock, rules):
    with rules(tag_rule("compta", "created", department=["comptabilite"]), tag_rule("grenoble", "created", site=["Grenoble"])):
        claire = open_ticket(app, role="employee_a")  # Comptabilité, Lyon
        lucas = open_ticket(app, role="employee_b")  # Bureau d'études, Grenoble
    assert tags(app, claire) == {"compta"} and tags(app, lucas) == {"grenoble"}


FACTS = Facts(type="incident", category="reseau-vpn", priority="P3", group="support-n1", title="Écran noir",
              description="Le FortiClient refuse la connexion", channel="form", department="Comptabilité", site="Lyon",
              in_business_hours=True)


@pytest.mark.parametrize("conditions, expected", [
    ({}, True),
    ({"type": ("incident",)}, True), ({"type": ("problem",)}, False),
    ({"category": ("reseau-vpn", "impression")}, True), ({"category": ("impression",)}, False),
    ({"priority": ("P1", "P2")}, False), ({"priority": ("P3",)}, True),
    ({"group": ("support-n1",)}, True), ({"group": ("systemes-n2",)}, False),
    ({"words": ("ecran",)}, True),  # accents folded: « écran » matches « Écran »
    ({"words": ("forticlient",)}, True), ({"words": ("client",)}, False),  # whole words, not parts of words
    ({"words": ("refuse la connexion",)}, True), ({"words": ("vpn", "wifi")}, False),
    ({"department": ("comptabilite",)}, True), ({"department": ("Direction",)}, False),
    ({"site": ("lyon",)}, True), ({"site": ("Grenoble",)}, False),
    ({"channel": ("form", "mail")}, True), ({"channel": ("api",)}, False),
    ({"business_hours": True}, True), ({"business_hours": False}, False),
    ({"category": ("reseau-vpn",), "priority": ("P1",)}, False),  # all conditions must hold
])
def test_each_condition(conditions, expected):
    assert matches(Rule("r", ("created",), conditions, ()), FACTS) is expected


def test_set_fields_recompute_the_priority_and_assign_by_address(app, clock, rules, users):
    with rules({"name": "paie-urgente", "when": ["created"], "if": {"words": ["paie"]},
                "then": [{"set": {"impact": "high", "urgency": "high", "category": "logiciels-metier",
                                  "type": "service_request", "assignee": ROLES["n1_bis"].upper()}}]}):
        ticket_id = open_ticket(app, title="Logiciel de paie bloqué")
    found = ticket(app, ticket_id)
    assert (found.impact, found.urgency, found.priority, found.category, found.type, found.assignee_id) == (
        "high", "high", "P1", "logiciels-metier", "service_request", users["n1_bis"])
    fields = {line[1] for line in history(app, ticket_id) if line[4] == 'par la règle "paie-urgente"'}
    assert fields == {"impact", "urgency", "priority", "category", "type", "assignee_id"}


def test_escalate_and_notify_and_a_refused_step_does_not_stop_the_rest(app, clock, rules, users):
    with rules({"name": "direction", "when": ["created"], "if": {"words": ["direction"]},
                "then": [{"escalate": "Demande de la direction, traitée en N2"},
                         {"set": {"assignee": "personne@ferrand-associes.fr"}},  # nobody: skipped
                         {"notify": {"to": "requester"}},
                         {"notify": {"to": "group:systemes-n2", "template": "rule_direction"}}]}):
        ticket_id = open_ticket(app, title="Poste de la direction")
    found = ticket(app, ticket_id)
    assert (found.level, found.group, found.assignee_id) == ("N2", "systemes-n2", None)
    with app.extensions["guichet_db"].reader() as db:
        notices = [json.loads(e.payload) for e in db.scalars(select(OutboxEvent).where(
            OutboxEvent.ticket_id == ticket_id, OutboxEvent.name == "rule.notice").order_by(OutboxEvent.id))]
        escalated = db.scalar(select(OutboxEvent).where(OutboxEvent.ticket_id == ticket_id,
                                                        OutboxEvent.name == "ticket.escalated"))
    assert [(n["rule"], n["template"], n["recipients"]) for n in notices] == [
        ("direction", "rule_notice", [users["employee_a"]]), ("direction", "rule_direction", [users["n2"]])]
    assert json.loads(escalated.payload)["reason"] == 'Demande de la direction, traitée en N2 (par la règle "direction")'


def test_a_rule_notice_renders_and_an_unknown_template_falls_back(app, clock, rules, database, users):
    from dataclasses import replace as with_

    from ticket_service.notify import compose, mail

    ticket_id = open_ticket(app)
    with app.app_context():
        setting = with_(mail.setting(app), language="fr")
    with database.reader() as db:
        [to_staff] = compose.mails_for(db, setting, 7, "rule.notice", ticket_id,
                                       {"rule": "vpn-n2", "template": "rule_absent", "recipients": [users["n2"]]})
        [to_requester] = compose.mails_for(db, setting, 8, "rule.notice", ticket_id,
                                           {"rule": "vpn-n2", "recipients": [users["employee_a"]]})
    assert to_staff.notification == "rule_notice" and "La règle « vpn-n2 »" in to_staff.text
    assert f"/desk/tickets/{ticket_id}" in to_staff.text and f"/mes-demandes/{ticket_id}" in to_requester.text


def test_link_to_the_open_major_incident(app, clock, rules):
    incident = open_ticket(app, title="Messagerie en panne pour tous")
    act(app, ticket_actions.publish, "n1", incident, {"published": True, "major": True,
                                                      "public_title": "Messagerie indisponible",
                                                      "public_text": "Nous rétablissons le service."})
    with rules({"name": "panne-mail", "when": ["created"], "if": {"words": ["outlook"]},
                "then": ["link_major_incident"]}):
        linked = open_ticket(app, title="Outlook ne reçoit plus rien")
    with app.extensions["guichet_db"].reader() as db:
        links = db.execute(select(TicketLink.target_id, TicketLink.kind).where(TicketLink.source_id == linked)).all()
    assert links == [(incident, "related")]
    act(app, workflow.take, "n1", incident)
    act(app, workflow.move, "n1", incident, "resolved", note="Serveur de messagerie relancé.", kb_gap=True)
    with rules({"name": "panne-mail", "when": ["created"], "then": ["link_major_incident"]}):
        alone = open_ticket(app, title="Outlook encore")  # no open major incident: nothing to link
    with app.extensions["guichet_db"].reader() as db:
        assert db.scalar(select(TicketLink.id).where(TicketLink.source_id == alone)) is None


def test_a_rules_own_changes_do_not_run_the_rules_again(app, clock, rules):
    # Each rule would match again after its own change (and after the other's): without the guard they would loop.
    with rules({"name": "ping", "when": ["updated", "escalated"], "then": [{"set": {"urgency": "high"}}, "escalate"]},
               {"name": "pong", "when": ["updated"], "then": [{"set": {"urgency": "low"}}, {"tag": "pong"}]}):
        ticket_id = open_ticket(app)
        act(app, ticket_actions.update_ticket, "n1", ticket_id, {"category": "impression"})
    ran = [line[3] for line in history(app, ticket_id) if line[1] == "rule"]
    assert ran == ["ping", "pong"]  # file order, once each: ping's escalation does not run « escalated » rules
    found = ticket(app, ticket_id)
    assert (found.urgency, found.level) == ("low", "N2")  # pong saw ping's change and ran after it


@pytest.mark.parametrize("rule, key, fix", [
    ({"name": "vpn-n2", "when": ["created"], "then": [{"set": {"group": "n9"}}]},
     "automation.vpn-n2.then.set.group", "use one of: support-n1, systemes-n2"),
    ({"name": "vpn-n2", "when": ["opened"], "then": [{"tag": "vpn"}]}, "automation.vpn-n2.when", "created, updated"),
    ({"name": "vpn-n2", "when": ["created"], "if": {"colour": ["red"]}, "then": [{"tag": "vpn"}]},
     "automation.vpn-n2.if.colour", "use only: type, category"),
    ({"name": "vpn-n2", "when": ["created"], "if": {"category": ["vpn"]}, "then": [{"tag": "vpn"}]},
     "automation.vpn-n2.if.category", "use one of: poste-de-travail"),
    ({"name": "vpn-n2", "when": ["created"], "if": {"business_hours": "oui"}, "then": [{"tag": "vpn"}]},
     "automation.vpn-n2.if.business_hours", "write true"),
    ({"name": "vpn-n2", "when": ["created"], "then": []}, "automation.vpn-n2.then", "list actions among"),
    ({"name": "vpn-n2", "when": ["created"], "then": [{"close": True}]}, "automation.vpn-n2.then", "one-key mapping"),
    ({"name": "vpn-n2", "when": ["created"], "then": [{"tag": "Mon Tag"}]}, "automation.vpn-n2.then.tag", "lowercase"),
    ({"name": "vpn-n2", "when": ["created"], "then": [{"notify": {"to": "group:x"}}]}, "automation.vpn-n2.then.notify.to",
     "name one of: support-n1"),
    ({"name": "vpn-n2", "when": ["created"], "then": [{"notify": {"to": "requester", "template": "acknowledgement"}}]},
     "automation.vpn-n2.then.notify.template", "rule_<name>"),
    ({"name": "vpn-n2", "when": ["created"], "then": [{"escalate": "vite"}]}, "automation.vpn-n2.then.escalate",
     "10 to 500 characters"),
    ({"name": "VPN N2", "when": ["created"], "then": [{"tag": "vpn"}]}, "automation[1].name", "lowercase letters"),
])
def test_validation_names_the_rule_the_key_and_the_fix(tmp_path, rule, key, fix):
    with pytest.raises(PolicyError) as error:
        load_policies(config_with(tmp_path, [rule]))
    message = str(error.value)
    assert f"`{key}`" in message and "— fix:" in message and fix in message, message


def test_two_rules_of_one_name_are_refused(tmp_path):
    rule = {"name": "vpn-n2", "when": "created", "then": [{"tag": "vpn"}]}
    with pytest.raises(PolicyError, match=r"`automation.vpn-n2.name` is used by two rules"):
        load_policies(config_with(tmp_path, [rule, copy.deepcopy(rule)]))


def test_the_shipped_helpdesk_yml_has_no_active_rule():
    assert load_policies(ROOT / "helpdesk.yml").automation == ()


def test_run_rules_does_nothing_from_inside_a_rules_run(app, clock, rules):
    from ticket_service.actions.automation import run_rules

    ticket_id = open_ticket(app)
    with rules(tag_rule("again", "updated")), app.app_context(), app.extensions["guichet_db"].writer() as db:
        ctx = app.extensions["guichet_context"]
        db.info["guichet.rules_depth"] = 1  # what a rule's own action would see
        assert run_rules(db, ctx, db.get(Ticket, ticket_id), "updated") == []
        db.info["guichet.rules_depth"] = 0
        assert run_rules(db, ctx, db.get(Ticket, ticket_id), "updated") == [("again", ["tag:again"])]
        db.rollback()
