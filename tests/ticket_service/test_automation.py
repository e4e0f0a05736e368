"""Automation rules (helpdesk.yml `automation:`): the conditions' matching and the validation messages."""

from __future__ import annotations

import copy

import pytest
import yaml

from ticket_service.domain.automation import Facts, Rule, matches
from ticket_service.domain.policies import PolicyError, load_policies
from tshelpers import ROOT

def config_with(tmp_path, rules) -> str:
    """Write helpdesk.yml with these rules as its `automation:` section; return its path."""
    text = (ROOT / "helpdesk.yml").read_text(encoding="utf-8")
    assert "\nautomation: []\n" in text
    path = tmp_path / "helpdesk.yml"
    path.write_text(text.replace("\nautomation: []\n", "\n" + yaml.safe_dump({"automation": rules},
                                                                          allow_unicode=True)), encoding="utf-8")
    return str(path)



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
