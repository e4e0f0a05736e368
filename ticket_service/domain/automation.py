"""Automation rules of ``helpdesk.yml`` (``automation:``): the rule model, its validation and its matching (pure).

A rule names its triggers (``when``), its conditions (``if``, all must hold) and its actions (``then``, in order).
Rules run in file order; what a rule changes does not run the rules again (actions.automation guards the depth).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Callable

from search.analysis import fold

from ticket_service.domain.vocabulary import CHANNELS, PRIORITIES, RETYPABLE

TRIGGERS = ("created", "updated", "commented", "escalated", "sla_at_risk", "sla_breached", "resolved")
LIST_CONDITIONS = ("type", "category", "priority", "group", "department", "site", "channel")
CONDITIONS = (*LIST_CONDITIONS, "words", "business_hours")
SETTABLE = ("category", "type", "impact", "urgency", "group", "assignee")
ACTIONS = ("set", "tag", "escalate", "notify", "link_major_incident")
RULE_KEYS = ("name", "when", "if", "then", "description")
DEFAULT_TEMPLATE = "rule_notice"
_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_TAG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_TEMPLATE = re.compile(r"^rule_[a-z0-9_]+$")
NAME_MAX, TAG_MAX, RULES_MAX = 60, 40, 200
ESCALATE_REASON = "escalade automatique"


@dataclass(frozen=True)
class Action:
    """One step of a rule: ``set`` (field → value), ``tag``, ``escalate``, ``notify`` or ``link_major_incident``."""

    kind: str
    values: tuple[tuple[str, str], ...] = ()  # set: (field, value) pairs in file order
    tag: str = ""
    reason: str = ""  # escalate: the audited reason
    to: str = ""  # notify: requester | assignee | group:<id> | an e-mail address
    template: str = DEFAULT_TEMPLATE  # notify: the mail templates' name (mail/<lang>/<template>.txt …)


@dataclass(frozen=True)
class Rule:
    """A named automation rule: triggers, conditions (field → accepted values) and actions."""

    name: str
    when: tuple[str, ...]
    conditions: dict = field(default_factory=dict)  # list conditions → tuple of accepted values; words; business_hours
    actions: tuple[Action, ...] = ()
    description: str = ""

    def runs_on(self, trigger: str) -> bool:
        """True when the rule listens to this trigger."""
        return trigger in self.when


@dataclass(frozen=True)
class Facts:
    """What the conditions read of a ticket at one moment (the ticket as it stands, its requester, the time)."""

    type: str
    category: str | None
    priority: str
    group: str
    title: str
    description: str
    channel: str
    department: str | None = None
    site: str | None = None
    in_business_hours: bool = True

    @cached_property
    def text(self) -> str:
        """Return the title and description folded (no accents, lower case), as the words condition reads them."""
        return fold(f"{self.title}\n{self.description}")


def matches(rule: Rule, facts: Facts) -> bool:
    """True when every condition of the rule holds for these facts (a rule without conditions always matches)."""
    for name, accepted in rule.conditions.items():
        if name == "words":
            if not any(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", facts.text) for w in accepted):
                return False
        elif name == "business_hours":
            if facts.in_business_hours != accepted:
                return False
        else:
            value = getattr(facts, name)
            if name in ("department", "site"):  # people's fields are typed by hand on /admin: compare folded
                if value is None or fold(value) not in {fold(a) for a in accepted}:
                    return False
            elif value not in accepted:
                return False
    return True


def rules_for(rules: tuple[Rule, ...], trigger: str) -> list[Rule]:
    """Return the rules listening to a trigger, in file order."""
    return [r for r in rules if r.runs_on(trigger)]


def in_business_hours(calendar, moment: datetime) -> bool:
    """True when the moment falls within the business calendar's opening window of its local day."""
    window = calendar.window(moment.astimezone(calendar.tz).date())
    return window is not None and window[0] <= moment < window[1]


def history_reason(rule: Rule) -> str:
    """Return the history's reason for what a rule did: « par la règle "vpn-n2" »."""
    return f"par la règle \"{rule.name}\""


Fail = Callable[[str, str, str], None]  # (key, problem, fix) → raises PolicyError


def read_rules(spec, fail: Fail, *, categories: dict, impact: dict, urgency: dict, groups: dict) -> tuple[Rule, ...]:
    """Validate ``automation:`` (a list of rules, optional) and return the rules in file order.

    ``fail`` raises with the key (``automation.<rule>.<key>``), the problem and the fix.
    """
    example = ("write `automation: [{name: vpn-n2, when: [created], if: {words: [vpn]}, then: [{set: {group: "
               "systemes-n2}}]}]` (see docs/guide-automatisation.md).")
    if spec is None:
        return ()
    if not isinstance(spec, list):
        fail("automation", "must be a list of rules", example)
    if len(spec) > RULES_MAX:
        fail("automation", f"has {len(spec)} rules", f"keep at most {RULES_MAX}.")
    reader = _RuleReader(fail, categories, impact, urgency, groups)
    rules, seen = [], set()
    for index, item in enumerate(spec, 1):
        rule = reader.rule(index, item, example)
        if rule.name in seen:
            fail(f"automation.{rule.name}.name", "is used by two rules", "give each rule its own name (it is in the history).")
        seen.add(rule.name)
        rules.append(rule)
    return tuple(rules)


class _RuleReader:
    """Check one rule at a time, naming it in every message."""

    def __init__(self, fail: Fail, categories: dict, impact: dict, urgency: dict, groups: dict):
        self.fail, self.categories, self.impact, self.urgency, self.groups = fail, categories, impact, urgency, groups

    def rule(self, index: int, item, example: str) -> Rule:
        if not isinstance(item, dict):
            self.fail(f"automation[{index}]", "must be a mapping with name, when, if, then", example)
        name = item.get("name")
        if not isinstance(name, str) or not _NAME.match(name) or len(name) > NAME_MAX:
            self.fail(f"automation[{index}].name", f"is {name!r}",
                      f"name the rule in lowercase letters, digits and hyphens (at most {NAME_MAX}), e.g. vpn-n2.")
        key = f"automation.{name}"
        unknown = sorted(set(item) - set(RULE_KEYS))
        if unknown:
            self.fail(f"{key}.{unknown[0]}", "is not a rule key", "use only: " + ", ".join(RULE_KEYS) + ".")
        when = item.get("when")
        when = [when] if isinstance(when, str) else when
        if not isinstance(when, list) or not when or any(t not in TRIGGERS for t in when):
            self.fail(f"{key}.when", f"is {item.get('when')!r}", "list one or more of: " + ", ".join(TRIGGERS) + ".")
        description = item.get("description", "")
        if not isinstance(description, str):
            self.fail(f"{key}.description", f"is {description!r}", "write the description as text.")
        conditions = self.conditions(key, item.get("if", {}))
        then = item.get("then")
        if not isinstance(then, list) or not then:
            self.fail(f"{key}.then", "must be a non-empty list of actions", "list actions among: " + ", ".join(ACTIONS) + ".")
        actions = tuple(self.action(key, step) for step in then)
        return Rule(name, tuple(dict.fromkeys(when)), conditions, actions, description.strip())

    def conditions(self, key: str, spec) -> dict:
        if spec is None:
            return {}
        if not isinstance(spec, dict):
            self.fail(f"{key}.if", "must be a mapping of conditions", "write `if: {category: [reseau-vpn], words: [vpn]}`.")
        known = {"type": tuple(RETYPABLE) + ("access_request",), "category": tuple(self.categories),
                 "priority": PRIORITIES, "group": tuple(self.groups), "channel": CHANNELS}
        out = {}
        for name, value in spec.items():
            ckey = f"{key}.if.{name}"
            if name not in CONDITIONS:
                self.fail(ckey, "is not a condition", "use only: " + ", ".join(CONDITIONS) + ".")
            if name == "business_hours":
                if not isinstance(value, bool):
                    self.fail(ckey, f"is {value!r}", "write true (within the business calendar's hours) or false.")
                out[name] = value
                continue
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, list) or not values or not all(isinstance(v, str) and v.strip() for v in values):
                self.fail(ckey, f"is {value!r}", f"list one or more values, e.g. `{name}: [{_example(name)}]`.")
            if name in known:
                wrong = [v for v in values if v not in known[name]]
                if wrong:
                    self.fail(ckey, f"contains {wrong[0]!r}", "use one of: " + ", ".join(known[name]) + ".")
            if name == "words":
                values = [fold(v).strip() for v in values]
            out[name] = tuple(values)
        return out

    def action(self, key: str, step) -> Action:
        if isinstance(step, str) and step in ("escalate", "link_major_incident"):
            step = {step: True}
        if not isinstance(step, dict) or len(step) != 1 or next(iter(step)) not in ACTIONS:
            self.fail(f"{key}.then", f"contains {step!r}, not an action",
                      "write each action as a one-key mapping: " + ", ".join(ACTIONS) + " (e.g. `- tag: vpn`).")
        kind, value = next(iter(step.items()))
        akey = f"{key}.then.{kind}"
        if kind == "set":
            return Action("set", values=self.settings(akey, value))
        if kind == "tag":
            if not isinstance(value, str) or not _TAG.match(value) or len(value) > TAG_MAX:
                self.fail(akey, f"is {value!r}", f"write a tag in lowercase letters, digits and hyphens (at most {TAG_MAX}).")
            return Action("tag", tag=value)
        if kind == "escalate":
            if value is True:
                return Action("escalate", reason=ESCALATE_REASON)
            if not isinstance(value, str) or not 10 <= len(value.strip()) <= 500:
                self.fail(akey, f"is {value!r}", "write `escalate: true`, or the reason (10 to 500 characters).")
            return Action("escalate", reason=value.strip())
        if kind == "link_major_incident":
            if value is not True:
                self.fail(akey, f"is {value!r}", "write `link_major_incident: true`.")
            return Action("link_major_incident")
        return self.notify(akey, value)

    def settings(self, akey: str, value) -> tuple[tuple[str, str], ...]:
        if not isinstance(value, dict) or not value:
            self.fail(akey, "must map fields to values", "write `set: {group: systemes-n2, urgency: high}`; fields: "
                      + ", ".join(SETTABLE) + ".")
        allowed = {"category": tuple(self.categories), "type": RETYPABLE, "impact": tuple(self.impact),
                   "urgency": tuple(self.urgency), "group": tuple(self.groups)}
        for name, v in value.items():
            if name not in SETTABLE:
                self.fail(f"{akey}.{name}", "is not a field a rule sets", "use only: " + ", ".join(SETTABLE) + ".")
            if name == "assignee":
                if not isinstance(v, str) or "@" not in v:
                    self.fail(f"{akey}.assignee", f"is {v!r}", "write the technician's e-mail address.")
            elif v not in allowed[name]:
                self.fail(f"{akey}.{name}", f"is {v!r}", "use one of: " + ", ".join(allowed[name]) + ".")
        return tuple((k, v.lower() if k == "assignee" else v) for k, v in value.items())

    def notify(self, akey: str, value) -> Action:
        fix = ("write `notify: {to: requester, template: rule_notice}` (to: requester, assignee, group:<id> or an "
               "e-mail address; template: rule_notice or your own rule_<name>).")
        if isinstance(value, str):
            value = {"to": value}
        if not isinstance(value, dict) or set(value) - {"to", "template"} or "to" not in value:
            self.fail(akey, f"is {value!r}", fix)
        to, template = value["to"], value.get("template", DEFAULT_TEMPLATE)
        if not isinstance(to, str) or not (to in ("requester", "assignee") or "@" in to or to.startswith("group:")):
            self.fail(f"{akey}.to", f"is {to!r}", fix)
        if to.startswith("group:") and to[6:] not in self.groups:
            self.fail(f"{akey}.to", f"names the group {to[6:]!r}, not a group id", "name one of: " + ", ".join(self.groups) + ".")
        if not isinstance(template, str) or not _TEMPLATE.match(template):
            self.fail(f"{akey}.template", f"is {template!r}",
                      "name mail templates rule_<name> (rule_notice ships; put yours in the instance's mail/ folder).")
        return Action("notify", to=to.lower(), template=template)


def _example(name: str) -> str:
    return {"words": "vpn, forticlient", "department": "Comptabilité", "site": "Lyon", "channel": "mail",
            "type": "incident", "priority": "P1", "category": "reseau-vpn", "group": "support-n1"}.get(name, "…")
