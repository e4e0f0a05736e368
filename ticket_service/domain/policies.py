"""Policies as code: the ticket-service sections of ``helpdesk.yml``, validated from the file ``search`` reads.

``search.load_helpdesk_config`` parses the file once and validates the sections the KB shares (organisation,
categories, kb); this module builds Policies from that same parsed mapping.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from search import ConfigError, HelpdeskConfig, Organisation, load_helpdesk_config, valid_timezone

from ticket_service.domain.automation import Rule, read_rules
from ticket_service.domain.directory import MANAGER, DirectoryConfig, read_directory
from ticket_service.domain.alert_config import AlertsConfig, read_alerts
from ticket_service.domain.vocabulary import LEVELS, PRIORITIES, REQUEST_TYPES
from ticket_service.domain.webhooks import WebhookConfig, read_webhooks
from ticket_service.domain.inbound_mail import MailInConfig, read_mail_in

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOUR = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
CATALOGUE_TYPES = ("service_request", "access_request")  # what a catalogue item opens
FIELD_TYPES = ("text", "textarea", "choice", "date", "number", "email")
_ITEM_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")  # kebab-case, as article ids (it appears in links: ?item=…)
_FIELD_ID = re.compile(r"^[a-z][a-z0-9_]*$")
BREACH_ACTIONS = ("notify_group_lead", "raise_level")  # sla.on_breach steps without an argument (and {reassign: g})
ITEM_ID_MAX = 50  # tickets.catalogue_item is String(50)
FIELDS_PER_ITEM = 20
TEXT_MAX = {"text": 200, "textarea": 2000, "email": 254}  # default max_length per text type


class PolicyError(Exception):
    """``helpdesk.yml`` is invalid; the message names the key and the fix."""


REQUESTER_DETAILS = ("name", "email", "site", "department")  # what a ticket shows of its requester to staff
PROVIDER_DETAILS = ("name", "site")  # a provider's default: enough to act, no address to reach them outside the desk


@dataclass(frozen=True)
class Group:
    """A support group at one level."""

    id: str
    name: str
    level: str
    members: tuple[str, ...]
    provider: bool = False  # an outside company: its OLA is measured on its own calendar
    calendar: tuple | None = None  # a provider's (timezone, workdays, hours, holidays_country); None: the desk's
    ola: dict[str, float] = field(default_factory=dict)  # a provider's resolution target per priority (business hours)
    lead: str = ""  # who the SLA watch's notify_group_lead warns: `lead:`, else the first member
    # What a provider's technicians see of a requester (REQUESTER_DETAILS); in-house groups see everything.
    requester_details: tuple[str, ...] = REQUESTER_DETAILS



@dataclass(frozen=True)
class ItemField:
    """One field of a catalogue item's form: its type, label and bounds (answers are checked by domain.catalogue)."""

    id: str
    label: str
    type: str  # one of FIELD_TYPES
    required: bool = False
    help: str = ""
    options: dict[str, str] = field(default_factory=dict)  # choice: option id → label, in display order
    max_length: int | None = None  # text, textarea
    minimum: int | None = None  # number
    maximum: int | None = None  # number
    min_days: int | None = None  # date: the earliest answer is today + min_days (organisation's time zone)


@dataclass(frozen=True)
class CatalogueItem:
    """Something an employee may ask for: a service request, or an access request with its approvers and quorum."""

    id: str
    label: str
    description: str
    category: str
    type: str  # service_request | access_request
    fields: tuple[ItemField, ...] = ()
    approvers: tuple[str, ...] = ()
    quorum: int = 0
    priority: str | None = None  # SLA override: the ticket's priority instead of the impact × urgency matrix
    targets: dict[str, float] = field(default_factory=dict)  # SLA override: first_response / resolution hours

    @property
    def name(self) -> str:
        """Return the label (the approvers' pages call it the item's name)."""
        return self.label

    def field_by_id(self, field_id: str) -> ItemField | None:
        """Return one of the item's fields by id, or None."""
        return next((f for f in self.fields if f.id == field_id), None)


@dataclass(frozen=True)
class FormLabels:
    """The employee-facing wording of the request form's choices, in display order."""

    request_types: dict[str, str]
    urgency: dict[str, str]
    impact: dict[str, str]


@dataclass(frozen=True)
class Policies:
    """Everything the ticket service reads from ``helpdesk.yml``."""

    categories: dict[str, str]
    request_types: dict[str, str]
    impact: dict[str, str]
    urgency: dict[str, str]
    priority_matrix: dict[str, dict[str, str]]
    groups: dict[str, Group]
    default_group: str
    catalogue: dict[str, CatalogueItem]
    sla: dict[str, dict[str, float]]
    at_risk_ratio: float
    timezone: str  # the business calendar's: calendar.timezone, else organisation.timezone
    workdays: tuple[int, ...]
    hours: tuple[tuple[int, int], tuple[int, int]]
    holidays_country: str
    auto_close_business_days: int
    satisfaction_enabled: bool
    organisation: Organisation
    form_labels: FormLabels
    job_intervals: dict[str, int] = field(default_factory=dict)  # jobs.every: job name → seconds, 0 = off
    # sla.on_breach: priority → what the SLA watch does on a breach, e.g. (("notify_group_lead", None), ("reassign", "g"))
    on_breach: dict[str, tuple[tuple[str, str | None], ...]] = field(default_factory=dict)
    webhooks: WebhookConfig = field(default_factory=WebhookConfig)  # webhooks: endpoints and allow-list
    retention_months: int | None = None  # retention.closed_tickets_months: anonymise closed tickets past it (RGPD)
    waiting_reminder_hours: float = 19.0  # waiting.reminder_after: business hours on hold before one reminder mail
    automation: tuple[Rule, ...] = ()  # automation: the rules, in file order (domain.automation)
    directory: DirectoryConfig | None = None  # directory: the LDAP / Active Directory people are synced from
    alerts: AlertsConfig = field(default_factory=AlertsConfig)  # alerts: monitoring alerts → tickets
    mail_in: MailInConfig = field(default_factory=MailInConfig)  # mail_in: the IMAP mailboxes read (channels/imap.py)
    # triage.auto_apply_confidence: a triage suggestion this sure (0..1) is applied to a new ticket; None: suggest only
    triage_auto_apply: float | None = None
    monthly_summary_to: tuple[str, ...] = ()  # reports.monthly_summary_to: the summary's readers; () = the admins
    source: str = field(default="helpdesk.yml", compare=False)

    def priority(self, impact: str, urgency: str) -> str:
        """Return the priority the matrix gives to an impact and an urgency."""
        return self.priority_matrix[impact][urgency]

    def level_of(self, email: str) -> str | None:
        """Return the highest support level a person belongs to, or None."""
        levels = [g.level for g in self.groups.values() if email.lower() in g.members]
        return max(levels) if levels else None

    def groups_of(self, email: str) -> list[str]:
        """Return the ids of the groups a person is a member of."""
        return [g.id for g in self.groups.values() if email.lower() in g.members]

    def provider_scope(self, email: str) -> list[str] | None:
        """Return the provider groups a person works for when that is all they belong to (None: no restriction).

        A member of an outside provider's group who is in no in-house group sees only that group's tickets.
        """
        mine = [g for g in self.groups.values() if email.lower() in g.members]
        if not mine or not all(g.provider for g in mine):
            return None
        return [g.id for g in mine]

    def first_group(self, level: str) -> str | None:
        """Return the first group (file order) serving a level."""
        return next((g.id for g in self.groups.values() if g.level == level), None)

    def targets(self, priority: str, catalogue_item: str | None = None) -> dict[str, float]:
        """Return the SLA targets (business hours) of a priority, with a catalogue item's own targets over them."""
        item = self.catalogue.get(catalogue_item or "")
        return {**self.sla[priority], **(item.targets if item is not None else {})}


def load_policies(path: str | Path) -> Policies:
    """Read and validate ``helpdesk.yml``; raise PolicyError naming the key and the fix."""
    path = Path(path)
    if not path.is_file():
        raise PolicyError(f"{path}: no such file — fix: set GUICHET_HELPDESK_CONFIG to the path of helpdesk.yml.")
    try:
        config = load_helpdesk_config(path)
    except ConfigError as exc:
        raise PolicyError(str(exc)) from None
    return policies_from(config)


def policies_from(config: HelpdeskConfig) -> Policies:
    """Build the Policies of a ``helpdesk.yml`` that ``search`` has read; raise PolicyError naming the key and the fix."""
    return _Validator(config).run()


class _Validator:
    """Check one parsed file, raising on the first problem with key and fix."""

    def __init__(self, config: HelpdeskConfig):
        self.config = config
        self.source = str(config.path)
        self.data = config.data

    def fail(self, key: str, problem: str, fix: str):
        raise PolicyError(f"{self.source}:{self.config.line(key)}: `{key}` {problem} — fix: {fix}")

    def mapping(self, key: str, value, fix: str, *, non_empty=True) -> dict:
        if not isinstance(value, dict) or (non_empty and not value):
            self.fail(key, "must be a non-empty mapping", fix)
        return value

    def labels(self, key: str, fix: str) -> dict[str, str]:
        value = self.mapping(key, self.data.get(key), fix)
        for item, label in value.items():
            if not isinstance(item, str) or not isinstance(label, str) or not label.strip():
                self.fail(f"{key}.{item}", "must map an id to a non-empty label", fix)
        return dict(value)

    def run(self) -> Policies:
        request_types = self.labels("request_types", "map each of " + ", ".join(REQUEST_TYPES) + " to a French label.")
        for name in REQUEST_TYPES:
            if name not in request_types:
                self.fail(f"request_types.{name}", "is missing", f"add `{name}: <label>` under request_types.")
        impact = self.labels("impact", "list impact levels as `id: Label`, highest first.")
        urgency = self.labels("urgency", "list urgency levels as `id: Label`, highest first.")
        matrix = self.mapping("priority_matrix", self.data.get("priority_matrix"), "map impact → urgency → P1..P4.")
        for imp in impact:
            row = self.mapping(f"priority_matrix.{imp}", matrix.get(imp), f"add a row `{imp}: {{<urgency>: P1..P4}}`.")
            for urg in urgency:
                if row.get(urg) not in PRIORITIES:
                    self.fail(f"priority_matrix.{imp}.{urg}", f"is {row.get(urg)!r}", "set one of P1, P2, P3, P4.")
        groups = self._groups()
        default_group = self.data.get("default_group")
        if default_group not in groups:
            self.fail("default_group", f"is {default_group!r}, not a group id", "name one of: " + ", ".join(groups) + ".")
        sla, ratio = self._sla()
        tz, days, hours, country = self._calendar()
        auto_close = self.data.get("auto_close_business_days")
        if not isinstance(auto_close, int) or isinstance(auto_close, bool) or not 1 <= auto_close <= 60:
            self.fail("auto_close_business_days", f"is {auto_close!r}", "set a whole number of business days between 1 and 60.")
        satisfaction = self.data.get("satisfaction")
        if not isinstance(satisfaction, dict) or not isinstance(satisfaction.get("enabled"), bool):
            self.fail("satisfaction.enabled", "must be true or false", "write `satisfaction: {enabled: true}`.")
        return Policies(
            categories=self.config.kb.categories, request_types=request_types, impact=impact, urgency=urgency,
            priority_matrix={imp: {u: matrix[imp][u] for u in urgency} for imp in impact},
            groups=groups, default_group=default_group, catalogue=self._catalogue(self.config.kb.categories), sla=sla,
            at_risk_ratio=ratio,
            timezone=tz, workdays=days, hours=hours, holidays_country=country,
            auto_close_business_days=auto_close, satisfaction_enabled=satisfaction["enabled"],
            organisation=self.config.organisation, form_labels=self._form_labels(request_types, urgency, impact),
            job_intervals=self._job_intervals(), on_breach=self._on_breach(groups), source=self.source,
            webhooks=read_webhooks(self.data.get("webhooks"), self.fail, os.environ),
            retention_months=self._retention(),
            waiting_reminder_hours=self._waiting_reminder(),
            automation=read_rules(self.data.get("automation"), self.fail, categories=self.config.kb.categories,
                                  impact=impact, urgency=urgency, groups=groups),
            directory=read_directory(self.data.get("directory"), self.fail, os.environ),
            alerts=read_alerts(self.data.get("alerts"), self.fail, impact, urgency, self.config.kb.categories),
            mail_in=read_mail_in(self.data.get("mail_in"), self.fail),
            triage_auto_apply=self._triage_auto_apply(),
            monthly_summary_to=self._monthly_summary_to(),
        )

    def _monthly_summary_to(self) -> tuple[str, ...]:
        """Read ``reports.monthly_summary_to`` (optional): who gets the monthly summary mail instead of the admins."""
        fix = "write `reports: {monthly_summary_to: [chef.support@example.org]}`, or remove it to mail the admins."
        spec = self.data.get("reports")
        if spec is None:
            return ()
        people = self.mapping("reports", spec, fix).get("monthly_summary_to")
        return () if people is None else self._people("reports.monthly_summary_to", people, fix)

    def _retention(self) -> int | None:
        """Read ``retention.closed_tickets_months`` (optional): None keeps closed tickets as they are."""
        spec = self.data.get("retention")
        if spec is None:
            return None
        months = self.mapping("retention", spec, "write `retention: {closed_tickets_months: 24}`.").get(
            "closed_tickets_months")
        if months is None:
            return None
        if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 240:
            self.fail("retention.closed_tickets_months", f"is {months!r}",
                      "set a whole number of months between 1 and 240, or remove the key to keep tickets as they are.")
        return months

    def _waiting_reminder(self) -> float:
        """Read ``waiting.reminder_after`` (optional): business hours on hold before the requester is reminded."""
        fix = "write `waiting: {reminder_after: 19}` (business hours, more than 0 and at most 500)."
        spec = self.data.get("waiting")
        if spec is None:
            return Policies.waiting_reminder_hours
        hours = self.mapping("waiting", spec, fix).get("reminder_after", Policies.waiting_reminder_hours)
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not 0 < hours <= 500:
            self.fail("waiting.reminder_after", f"is {hours!r}", fix)
        return float(hours)

    def _triage_auto_apply(self) -> float | None:
        """Read ``triage.auto_apply_confidence`` (optional): null (suggest only) or a confidence between 0 and 1."""
        fix = "write `triage: {auto_apply_confidence: 0.9}` (a probability between 0 and 1), or null to only suggest."
        spec = self.data.get("triage")
        if spec is None:
            return None
        value = self.mapping("triage", spec, fix, non_empty=False).get("auto_apply_confidence")
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            self.fail("triage.auto_apply_confidence", f"is {value!r}", fix)
        return float(value)

    def _job_intervals(self) -> dict[str, int]:
        """Read ``jobs.every`` (optional): job name → whole seconds between runs, 0 turning the job off."""
        fix = "write `jobs: {every: {tickets.auto_close: 600, outbox.deliver: 10}}` (seconds; 0 turns a job off)."
        spec = self.data.get("jobs")
        if spec is None:
            return {}
        every = self.mapping("jobs", spec, fix).get("every")
        if every is None:
            return {}
        every = self.mapping("jobs.every", every, fix)
        for name, seconds in every.items():
            if not isinstance(name, str) or isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
                self.fail(f"jobs.every.{name}", f"is {seconds!r}", "set a whole number of seconds ≥ 0 (0 turns it off).")
        return dict(every)

    def _form_labels(self, request_types: dict, urgency: dict, impact: dict) -> FormLabels:
        fix = ("write `form_labels: {request_types: {incident: …}, urgency: {<level>: …}, impact: {<level>: …}}` "
               "in the words of the person asking, in the order the form shows them.")
        spec = self.mapping("form_labels", self.data.get("form_labels"), fix)
        sections = {}
        for name, ids, every in (("request_types", request_types, False), ("urgency", urgency, True),
                                 ("impact", impact, True)):
            key = f"form_labels.{name}"
            labels = self.mapping(key, spec.get(name), fix)
            for item, label in labels.items():
                if item not in ids:
                    self.fail(f"{key}.{item}", f"is not one of the {name} of this file", "use one of: " + ", ".join(ids) + ".")
                if not isinstance(label, str) or not label.strip():
                    self.fail(f"{key}.{item}", "must be a non-empty label", fix)
            missing = [item for item in ids if item not in labels]
            if every and missing:
                self.fail(key, "misses " + ", ".join(missing), f"give every {name} level an employee-facing label.")
            sections[name] = dict(labels)
        return FormLabels(**sections)

    def _people(self, key: str, value, fix: str, allow_manager: bool = False) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            self.fail(key, "must be a non-empty list of e-mail addresses", fix)
        for email in value:
            if allow_manager and email == MANAGER:  # « le responsable du demandeur », known from the directory
                if self.data.get("directory") is None:
                    self.fail(key, "names `manager` but no directory is configured",
                              "add a `directory:` section (docs/annuaire.md): managers come from it.")
                continue
            if not isinstance(email, str) or "@" not in email:
                self.fail(key, f"contains {email!r}, not an e-mail address", fix)
        return tuple(e.lower() for e in value)

    def _groups(self) -> dict[str, Group]:
        fix = "write `<id>: {name: …, level: N1|N2|N3, members: [email, …]}`."
        groups = {}
        for gid, spec in self.mapping("groups", self.data.get("groups"), fix).items():
            spec = self.mapping(f"groups.{gid}", spec, fix)
            if spec.get("level") not in LEVELS:
                self.fail(f"groups.{gid}.level", f"is {spec.get('level')!r}", "set N1, N2 or N3.")
            if not isinstance(spec.get("name"), str):
                self.fail(f"groups.{gid}.name", "is missing", "give the group a display name.")
            members = self._people(f"groups.{gid}.members", spec.get("members"), fix)
            lead = spec.get("lead", members[0])
            if not isinstance(lead, str) or lead.lower() not in members:
                self.fail(f"groups.{gid}.lead", f"is {lead!r}, not a member", "name one of the group's members, or remove it.")
            provider = self._provider(gid, spec)
            groups[gid] = Group(gid, spec["name"], spec["level"], members, *provider, lead=lead.lower(),
                                requester_details=self._requester_details(gid, spec, provider[0]))
        for level in LEVELS:
            if not any(g.level == level for g in groups.values()):
                self.fail("groups", f"has no {level} group", f"add a group with `level: {level}` (escalation needs N1, N2 and N3).")
        return groups

    def _requester_details(self, gid: str, spec: dict, provider: bool) -> tuple[str, ...]:
        """Read ``requester_details``: what a provider's technicians see of the requester (name and site by default)."""
        key, fix = f"groups.{gid}.requester_details", f"list some of {', '.join(REQUESTER_DETAILS)} (name is always shown)."
        if "requester_details" not in spec:
            return PROVIDER_DETAILS if provider else REQUESTER_DETAILS
        if not provider:
            self.fail(key, "is set on a group that is not a provider", "add `provider: true`, or remove it "
                      "(in-house technicians see the whole requester).")
        value = spec["requester_details"]
        if not isinstance(value, list) or any(v not in REQUESTER_DETAILS for v in value):
            self.fail(key, f"is {value!r}", fix)
        return tuple(dict.fromkeys(["name", *value]))

    def _provider(self, gid: str, spec: dict) -> tuple[bool, tuple | None, dict[str, float]]:
        """Read a group's optional provider settings: ``provider: true``, its own ``calendar`` and ``ola`` targets."""
        provider = spec.get("provider", False)
        if not isinstance(provider, bool):
            self.fail(f"groups.{gid}.provider", f"is {provider!r}", "write true for an outside provider, or remove it.")
        if not provider:
            for name in ("calendar", "ola"):
                if name in spec:
                    self.fail(f"groups.{gid}.{name}", "is set on a group that is not a provider",
                              "add `provider: true`, or remove it (the desk's own calendar and SLA apply).")
            return False, None, {}
        calendar = None
        if "calendar" in spec:
            calendar = self._calendar_of(f"groups.{gid}.calendar", spec["calendar"])
        ola = self.mapping(f"groups.{gid}.ola", spec.get("ola", {}), "write `ola: {P1: 4, P2: 8}` (business hours).",
                           non_empty=False)
        for prio, hours in ola.items():
            if prio not in PRIORITIES or not isinstance(hours, (int, float)) or isinstance(hours, bool) \
                    or not 0 < hours <= 1000:
                self.fail(f"groups.{gid}.ola.{prio}", f"is {hours!r}",
                          "map P1..P4 to a positive number of business hours (e.g. `P2: 8`).")
        return True, calendar, {k: float(v) for k, v in ola.items()}

    def _catalogue(self, categories: dict[str, str]) -> dict[str, CatalogueItem]:
        """Read ``catalogue``: what employees may ask for, each item with its type, fields and (access) approvers."""
        fix = ("write `<id>: {label: …, description: …, category: <category>, type: service_request|access_request, "
               "fields: {<field>: {label: …, type: text}}}`; access items add `approvers: [email, …]` and `quorum: 1`.")
        if "access_catalogue" in self.data:
            self.fail("access_catalogue", "is the old name of the catalogue",
                      "rename it `catalogue:`, give each item `label`, `description`, `category` and "
                      "`type: access_request` (its approvers and quorum stay).")
        items = {}
        for cid, spec in self.mapping("catalogue", self.data.get("catalogue"), fix).items():
            key = f"catalogue.{cid}"
            if not isinstance(cid, str) or not _ITEM_ID.match(cid) or len(cid) > ITEM_ID_MAX:
                self.fail(key, "is not a usable item id",
                          f"use lowercase letters, digits and hyphens (at most {ITEM_ID_MAX}), e.g. acces-dossier.")
            spec = self.mapping(key, spec, fix)
            unknown = sorted(set(spec) - {"label", "description", "category", "type", "fields", "approvers", "quorum",
                                          "sla"})
            if unknown:
                self.fail(f"{key}.{unknown[0]}", "is not an item setting",
                          "use label, description, category, type, fields, approvers, quorum, sla.")
            for name in ("label", "description"):
                if not isinstance(spec.get(name), str) or not spec[name].strip():
                    self.fail(f"{key}.{name}", "is missing", f"give the item a French {name}, as employees read it.")
            if spec.get("category") not in categories:
                self.fail(f"{key}.category", f"is {spec.get('category')!r}, not a category",
                          "name one of: " + ", ".join(categories) + ".")
            kind = spec.get("type")
            if kind not in CATALOGUE_TYPES:
                self.fail(f"{key}.type", f"is {kind!r}", "set service_request or access_request.")
            approvers, quorum = (), 0
            if kind == "access_request":
                approvers = self._people(f"{key}.approvers", spec.get("approvers"), fix, allow_manager=True)
                quorum = spec.get("quorum", 1)
                if not isinstance(quorum, int) or isinstance(quorum, bool) or not 1 <= quorum <= len(approvers):
                    self.fail(f"{key}.quorum", f"is {quorum!r}",
                              f"set a whole number between 1 and {len(approvers)} (the number of approvers).")
            elif "approvers" in spec or "quorum" in spec:
                self.fail(f"{key}.approvers", "is set on a service request",
                          "remove approvers and quorum, or set `type: access_request` (approvals are for access).")
            priority, targets = self._item_sla(key, spec.get("sla"))
            items[cid] = CatalogueItem(cid, spec["label"].strip(), spec["description"].strip(), spec["category"], kind,
                                       self._item_fields(key, spec.get("fields")), approvers, quorum, priority, targets)
        return items

    def _item_sla(self, key: str, spec) -> tuple[str | None, dict[str, float]]:
        """Read an item's optional SLA override: a fixed priority and/or its own targets in business hours."""
        fix = "write `sla: {priority: P3}` or `sla: {first_response: 2, resolution: 16}` (business hours)."
        if spec is None:
            return None, {}
        spec = self.mapping(f"{key}.sla", spec, fix)
        unknown = sorted(set(spec) - {"priority", "first_response", "resolution"})
        if unknown:
            self.fail(f"{key}.sla.{unknown[0]}", "is not an SLA setting", fix)
        priority = spec.get("priority")
        if priority is not None and priority not in PRIORITIES:
            self.fail(f"{key}.sla.priority", f"is {priority!r}", "set one of P1, P2, P3, P4.")
        targets = {}
        for target in ("first_response", "resolution"):
            hours = spec.get(target)
            if hours is None:
                continue
            if not isinstance(hours, (int, float)) or isinstance(hours, bool) or not 0 < hours <= 1000:
                self.fail(f"{key}.sla.{target}", f"is {hours!r}", "set a positive number of business hours (e.g. 4 or 0.5).")
            targets[target] = float(hours)
        if len(targets) == 2 and targets["first_response"] > targets["resolution"]:
            self.fail(f"{key}.sla.first_response", "is longer than the resolution target", "make first_response ≤ resolution.")
        return priority, targets

    def _item_fields(self, key: str, spec) -> tuple[ItemField, ...]:
        """Read an item's form fields (optional): id → {label, type, required, help, and the type's bounds}."""
        fix = ("write `fields: {<id>: {label: …, type: " + "|".join(FIELD_TYPES) + ", required: true}}`; "
               "a choice lists `options: {<id>: <label>}`.")
        if spec is None:
            return ()
        spec = self.mapping(f"{key}.fields", spec, fix)
        if len(spec) > FIELDS_PER_ITEM:
            self.fail(f"{key}.fields", f"has {len(spec)} fields", f"keep at most {FIELDS_PER_ITEM}: ask the rest in the description.")
        bounds = {"text": {"max_length"}, "textarea": {"max_length"}, "email": set(), "choice": {"options"},
                  "number": {"min", "max"}, "date": {"min_days"}}
        fields = []
        for fid, fspec in spec.items():
            fkey = f"{key}.fields.{fid}"
            if not isinstance(fid, str) or not _FIELD_ID.match(fid) or len(fid) > 40:
                self.fail(fkey, "is not a usable field id", "use lowercase letters, digits and _ (at most 40), e.g. date_besoin.")
            fspec = self.mapping(fkey, fspec, fix)
            kind = fspec.get("type")
            if kind not in FIELD_TYPES:
                self.fail(f"{fkey}.type", f"is {kind!r}", "set one of: " + ", ".join(FIELD_TYPES) + ".")
            unknown = sorted(set(fspec) - {"label", "type", "required", "help"} - bounds[kind])
            if unknown:
                allowed = ", ".join(sorted({"label", "type", "required", "help"} | bounds[kind]))
                self.fail(f"{fkey}.{unknown[0]}", f"is not a setting of a {kind} field", f"use only: {allowed}.")
            if not isinstance(fspec.get("label"), str) or not fspec["label"].strip():
                self.fail(f"{fkey}.label", "is missing", "give the field a French label, as employees read it.")
            required = fspec.get("required", False)
            if not isinstance(required, bool):
                self.fail(f"{fkey}.required", f"is {required!r}", "write true or false.")
            hint = fspec.get("help", "")
            if not isinstance(hint, str):
                self.fail(f"{fkey}.help", f"is {hint!r}", "write the hint as text.")
            options = {}
            if kind == "choice":
                options = self.mapping(f"{fkey}.options", fspec.get("options"), "list `options: {<id>: <label>}`.")
                for oid, label in options.items():
                    if not isinstance(oid, str) or not _FIELD_ID.match(oid.replace("-", "_")) or not isinstance(label, str) \
                            or not label.strip():
                        self.fail(f"{fkey}.options.{oid}", "must map an option id to a non-empty label",
                                  "write `<id>: <label>` with a lowercase id, e.g. `lecture: Lecture seule`.")
            max_length = None
            if kind in TEXT_MAX:
                max_length = fspec.get("max_length", TEXT_MAX[kind])
                if not isinstance(max_length, int) or isinstance(max_length, bool) or not 1 <= max_length <= 10_000:
                    self.fail(f"{fkey}.max_length", f"is {max_length!r}", "set a whole number of characters between 1 and 10000.")
            minimum, maximum = fspec.get("min"), fspec.get("max")
            for name, value in (("min", minimum), ("max", maximum)):
                if value is not None and (not isinstance(value, int) or isinstance(value, bool) or abs(value) > 10**9):
                    self.fail(f"{fkey}.{name}", f"is {value!r}", "set a whole number (number fields take whole numbers).")
            if minimum is not None and maximum is not None and minimum > maximum:
                self.fail(f"{fkey}.min", "is above max", "make min ≤ max.")
            min_days = fspec.get("min_days")
            if min_days is not None and (not isinstance(min_days, int) or isinstance(min_days, bool)
                                         or not 0 <= min_days <= 365):
                self.fail(f"{fkey}.min_days", f"is {min_days!r}",
                          "set how many days from today the earliest date is (0 = today, at most 365).")
            fields.append(ItemField(fid, fspec["label"].strip(), kind, required, hint.strip(), dict(options),
                                    max_length, minimum, maximum, min_days))
        return tuple(fields)

    def _sla(self) -> tuple[dict[str, dict[str, float]], float]:
        fix = "write `P1: {first_response: <hours>, resolution: <hours>}` for P1..P4 (business hours)."
        spec = self.mapping("sla", self.data.get("sla"), fix)
        sla = {}
        for prio in PRIORITIES:
            row = self.mapping(f"sla.{prio}", spec.get(prio), fix)
            for target in ("first_response", "resolution"):
                hours = row.get(target)
                if not isinstance(hours, (int, float)) or isinstance(hours, bool) or not 0 < hours <= 1000:
                    self.fail(f"sla.{prio}.{target}", f"is {hours!r}", "set a positive number of business hours (e.g. 4 or 0.5).")
            if row["first_response"] > row["resolution"]:
                self.fail(f"sla.{prio}.first_response", "is longer than the resolution target", "make first_response ≤ resolution.")
            sla[prio] = {"first_response": float(row["first_response"]), "resolution": float(row["resolution"])}
        for key in spec:
            if key not in (*PRIORITIES, "at_risk_ratio", "on_breach"):
                self.fail(f"sla.{key}", "is not an SLA setting", "use P1..P4, at_risk_ratio and on_breach.")
        ratio = spec.get("at_risk_ratio", 0.75)
        if not isinstance(ratio, (int, float)) or isinstance(ratio, bool) or not 0 < ratio < 1:
            self.fail("sla.at_risk_ratio", f"is {ratio!r}", "set a share strictly between 0 and 1, e.g. 0.75.")
        return sla, float(ratio)

    def _on_breach(self, groups: dict[str, Group]) -> dict[str, tuple[tuple[str, str | None], ...]]:
        """Read ``sla.on_breach`` (optional): priority → list of notify_group_lead, raise_level, {reassign: group}."""
        fix = "write `on_breach: {P1: [notify_group_lead, raise_level], P2: [notify_group_lead, {reassign: <group>}]}`."
        spec = self.data["sla"].get("on_breach")
        if spec is None:
            return {}
        plan = {}
        for prio, steps in self.mapping("sla.on_breach", spec, fix).items():
            key = f"sla.on_breach.{prio}"
            if prio not in PRIORITIES:
                self.fail(key, "is not a priority", "use P1, P2, P3 or P4 as keys. " + fix)
            if not isinstance(steps, list) or not steps:
                self.fail(key, "must be a non-empty list of actions", fix)
            parsed = []
            for step in steps:
                if step in BREACH_ACTIONS:
                    parsed.append((step, None))
                elif isinstance(step, dict) and list(step) == ["reassign"]:
                    if step["reassign"] not in groups:
                        self.fail(f"{key}.reassign", f"is {step['reassign']!r}, not a group id",
                                  "name one of: " + ", ".join(groups) + ".")
                    parsed.append(("reassign", step["reassign"]))
                else:
                    self.fail(key, f"contains {step!r}, not an action",
                              "use notify_group_lead, raise_level or {reassign: <group id>}.")
            plan[prio] = tuple(parsed)
        return plan

    def _calendar(self):
        return self._calendar_of("calendar", self.data.get("calendar"))

    def _calendar_of(self, key: str, spec):
        fix = "write `calendar: {days: [mon, …], hours: [\"08:30\", \"18:00\"], holidays_country: FR}`."
        spec = self.mapping(key, spec, fix)
        # The desk works in the organisation's zone unless it says otherwise (a provider abroad, say).
        tz = spec.get("timezone", self.config.organisation.timezone)
        if not valid_timezone(tz):
            self.fail(f"{key}.timezone", f"is {tz!r}, not an IANA time zone",
                      "use e.g. Europe/Paris, or remove it to use organisation.timezone.")
        days = spec.get("days")
        if not isinstance(days, list) or not days or any(d not in WEEKDAYS for d in days):
            self.fail(f"{key}.days", f"is {days!r}", "list weekdays among " + ", ".join(WEEKDAYS) + ".")
        hours = spec.get("hours")
        if not isinstance(hours, list) or len(hours) != 2 or not all(isinstance(h, str) and _HOUR.match(h) for h in hours):
            self.fail(f"{key}.hours", f"is {hours!r}", 'write two "HH:MM" strings, e.g. ["08:30", "18:00"].')
        start, end = (tuple(int(x) for x in h.split(":")) for h in hours)
        if start >= end:
            self.fail(f"{key}.hours", "ends before it starts", "put the opening time first.")
        country = spec.get("holidays_country", "FR")
        try:
            import holidays

            holidays.country_holidays(country)
        except (NotImplementedError, KeyError, AttributeError):
            self.fail(f"{key}.holidays_country", f"is {country!r}", "use an ISO country code the `holidays` package knows, e.g. FR.")
        return tz, tuple(sorted(WEEKDAYS.index(d) for d in set(days))), (start, end), country
