"""The import format: one past ticket per JSON line, with its whole timeline, read into a record of ordered steps.

Every problem is named by its field (``replies[2].at``) so the door can print ``FILE:LINE: field: problem``.
Rules that need the database or the state machine (who may do what, when) are checked by the replay.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo

from ticket_service.domain.policies import Policies
from ticket_service.domain.vocabulary import (
    DESCRIPTION, LEVELS, PRIORITIES, RATING_COMMENT, TITLE, fits,
)

UTC = timezone.utc
IMPORTABLE_TYPES = ("incident", "service_request", "problem")  # access requests need their approvers' decisions
KNOWN_KEYS = frozenset({
    "external_id", "type", "title", "description", "requester", "category", "catalogue_item", "item_fields", "impact",
    "urgency", "priority", "group", "created", "qualified", "assigned", "escalated", "replies", "waiting", "resolved",
    "reopened", "confirmed", "closed", "rating",
})
# Steps at the same instant happen in this order (a waiting period ends before the next one starts, a reply written
# at the moment of the resolution comes before it).
ORDER = {kind: i for i, kind in enumerate((
    "assign", "qualify", "wait_end", "reply", "escalate", "wait_start", "resolve", "reopen", "confirm", "close", "rate"))}
EXTERNAL_ID = (1, 120)


class LineProblems(Exception):
    """A line the import cannot take: ``problems`` lists (field, problem) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{f}: {p}" for f, p in problems))
        self.problems = problems


@dataclass
class Step:
    """One thing that happened to the ticket: when, what (``kind``), the field it came from, its values."""

    at: datetime
    kind: str
    field: str
    data: dict

    def sort_key(self) -> tuple:
        return self.at, ORDER[self.kind]


@dataclass
class TicketRecord:
    """A past ticket ready for the replay: its creation values and its steps in time order."""

    line: int
    external_id: str
    requester: str  # e-mail, lower-case
    created: datetime
    values: dict  # type, title, description, category, catalogue_item, item_fields, impact, urgency, priority, group
    steps: list[Step] = field(default_factory=list)
    staff: set[str] = field(default_factory=set)  # e-mails that act as technicians


class _Reader:
    """Collects every problem of one line instead of stopping at the first."""

    def __init__(self, policies: Policies, zone: tzinfo, now: datetime):
        self.policies, self.zone, self.now = policies, zone, now
        self.problems: list[tuple[str, str]] = []

    def fail(self, name: str, problem: str) -> None:
        self.problems.append((name, problem))

    def text(self, obj: dict, key: str, name: str, bounds: tuple[int, int] | None = None, *, required=False) -> str | None:
        value = obj.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(name, "obligatoire")
            return None
        if not isinstance(value, str):
            self.fail(name, "texte attendu")
            return None
        if bounds is not None and not fits(value, bounds):
            self.fail(name, f"{bounds[0]} à {bounds[1]} caractères")
            return None
        return value.strip()

    def email(self, obj: dict, key: str, name: str, *, required=True) -> str | None:
        value = self.text(obj, key, name, required=required)
        if value is None:
            return None
        value = value.lower()
        local, at, domain = value.partition("@")
        if not at or not local or "." not in domain or " " in value or len(value) > 254:
            self.fail(name, f"adresse e-mail attendue, pas « {value[:60]} »")
            return None
        return value

    def moment(self, obj: dict, key: str, name: str, *, required=True) -> datetime | None:
        value = obj.get(key)
        if value is None or value == "":
            if required:
                self.fail(name, "date obligatoire")
            return None
        if not isinstance(value, str):
            self.fail(name, "date ISO 8601 attendue (2026-11-02T09:15:00+01:00)")
            return None
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            self.fail(name, f"date ISO 8601 attendue (2026-11-02T09:15:00+01:00), pas « {value[:40]} »")
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.zone)  # a time without offset is the organisation's
        moment = moment.astimezone(UTC)
        if moment > self.now:
            self.fail(name, "date dans le futur")
            return None
        return moment

    def obj(self, value, name: str) -> dict | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            self.fail(name, "objet JSON attendu")
            return None
        return value

    def objects(self, value, name: str) -> list[tuple[str, dict]]:
        """Return (field name, object) for an object or a list of objects."""
        if value is None:
            return []
        if isinstance(value, dict):
            return [(name, value)]
        if not isinstance(value, list):
            self.fail(name, "objet ou liste d'objets attendu")
            return []
        found = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                found.append((f"{name}[{i}]", item))
            else:
                self.fail(f"{name}[{i}]", "objet JSON attendu")
        return found


def parse_line(text: str, line: int, policies: Policies, zone: tzinfo, now: datetime) -> TicketRecord | None:
    """Read one JSON line into a record (None for a blank line); raise LineProblems listing every problem."""
    if not text.strip():
        return None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise LineProblems([("json", f"ligne illisible ({exc.msg}, colonne {exc.colno})")]) from None
    if not isinstance(data, dict):
        raise LineProblems([("json", "un objet JSON par ligne")])
    return read_record(data, line, policies, zone, now)


def read_record(data: dict, line: int, policies: Policies, zone: tzinfo, now: datetime) -> TicketRecord:
    """Check a ticket's values and timeline against the policies; raise LineProblems listing every problem."""
    r = _Reader(policies, zone, now)
    for key in sorted(set(data) - KNOWN_KEYS):
        r.fail(key, "champ inconnu")
    external_id = data.get("external_id")
    if isinstance(external_id, int) and not isinstance(external_id, bool):
        external_id = str(external_id)
    external_id = r.text({"e": external_id}, "e", "external_id", EXTERNAL_ID, required=True)
    values = {"type": data.get("type") or "incident"}
    if values["type"] not in IMPORTABLE_TYPES:
        r.fail("type", "les demandes d'accès ne s'importent pas (leurs validations manquent) : importez-les en "
               "service_request" if values["type"] == "access_request" else ", ".join(IMPORTABLE_TYPES))
    values["title"] = r.text(data, "title", "title", TITLE, required=True)
    values["description"] = r.text(data, "description", "description", DESCRIPTION) or values["title"]
    requester = r.email(data, "requester", "requester")
    _classification(r, data, values)
    created = r.moment(data, "created", "created")
    record = TicketRecord(line, external_id or "", requester or "", created, values)
    _timeline(r, data, record)
    if created is not None:
        for step in record.steps:
            if step.at < created:
                r.fail(f"{step.field}.at" if step.kind not in ("wait_start", "wait_end") else step.field,
                       "avant la création du ticket")
    if r.problems:
        raise LineProblems(r.problems)
    record.steps.sort(key=Step.sort_key)
    return record


def _classification(r: _Reader, data: dict, values: dict) -> None:
    """Category, catalogue item, impact, urgency, priority and group, each against helpdesk.yml."""
    p = r.policies
    category = data.get("category")
    if category is not None and category not in p.categories:
        r.fail("category", "catégorie inconnue de helpdesk.yml (" + ", ".join(p.categories) + ")")
    values["category"] = category
    item = data.get("catalogue_item")
    if item is not None and item not in p.catalogue:
        r.fail("catalogue_item", "élément inconnu du catalogue")
    values["catalogue_item"], values["item_fields"] = item, data.get("item_fields")
    impact, urgency, priority = data.get("impact"), data.get("urgency"), data.get("priority")
    if impact is not None and impact not in p.impact:
        r.fail("impact", ", ".join(p.impact))
    if urgency is not None and urgency not in p.urgency:
        r.fail("urgency", ", ".join(p.urgency))
    if priority is not None and priority not in PRIORITIES:
        r.fail("priority", ", ".join(PRIORITIES))
    values.update(impact=impact or "low", urgency=urgency or "medium", priority=priority)
    group = data.get("group")
    if group is not None and group not in p.groups:
        r.fail("group", "groupe inconnu de helpdesk.yml (" + ", ".join(p.groups) + ")")
    values["group"] = group or p.default_group


def _timeline(r: _Reader, data: dict, record: TicketRecord) -> None:
    """Read every dated part of the ticket into steps."""
    steps, staff = record.steps, record.staff

    def person(obj: dict, key: str, name: str, *, required=False, is_staff=True) -> str | None:
        email = r.email(obj, key, name, required=required)
        if email and is_staff:
            staff.add(email)
        return email

    qualified = r.obj(data.get("qualified"), "qualified")
    if qualified is not None:
        at = r.moment(qualified, "at", "qualified.at")
        if at:
            steps.append(Step(at, "qualify", "qualified", {"by": person(qualified, "by", "qualified.by")}))
    for name, obj in r.objects(data.get("assigned"), "assigned"):
        at, to = r.moment(obj, "at", f"{name}.at"), person(obj, "to", f"{name}.to", required=True)
        group = obj.get("group")
        if group is not None and group not in r.policies.groups:
            r.fail(f"{name}.group", "groupe inconnu de helpdesk.yml")
        if at and to:
            steps.append(Step(at, "assign", name, {"to": to, "by": person(obj, "by", f"{name}.by") or to, "group": group}))
    for name, obj in r.objects(data.get("escalated"), "escalated"):
        at = r.moment(obj, "at", f"{name}.at")
        level = obj.get("level")
        if level not in LEVELS[1:]:
            r.fail(f"{name}.level", "N2 ou N3")
        group = obj.get("group")
        if group is not None and (group not in r.policies.groups or r.policies.groups[group].level != level):
            r.fail(f"{name}.group", f"groupe de niveau {level} attendu")
        reason = r.text(obj, "reason", f"{name}.reason", (0, 2000))
        if at and level in LEVELS[1:]:
            steps.append(Step(at, "escalate", name, {"level": level, "group": group, "by": person(obj, "by", f"{name}.by"),
                                                     "reason": reason}))
    for name, obj in r.objects(data.get("replies"), "replies"):
        at, by = r.moment(obj, "at", f"{name}.at"), person(obj, "by", f"{name}.by", required=True, is_staff=False)
        body = r.text(obj, "text", f"{name}.text", (1, 10_000), required=True)
        internal = obj.get("internal", False)
        if not isinstance(internal, bool):
            r.fail(f"{name}.internal", "true ou false")
        if at and by and body:
            steps.append(Step(at, "reply", name, {"by": by, "text": body, "internal": internal is True}))
    for name, obj in r.objects(data.get("waiting"), "waiting"):
        start, end = r.moment(obj, "start", f"{name}.start"), r.moment(obj, "end", f"{name}.end", required=False)
        if start and end and end < start:
            r.fail(f"{name}.end", "avant le début de l'attente")
        elif start:
            steps.append(Step(start, "wait_start", f"{name}.start", {"by": person(obj, "by", f"{name}.by")}))
            if end:
                steps.append(Step(end, "wait_end", f"{name}.end", {"by": person(obj, "end_by", f"{name}.end_by",
                                                                                   is_staff=False)}))
    for name, obj in r.objects(data.get("resolved"), "resolved"):
        at = r.moment(obj, "at", f"{name}.at")
        articles = obj.get("articles", [obj["article"]] if obj.get("article") else [])
        if not isinstance(articles, list) or not all(isinstance(a, str) and a for a in articles):
            r.fail(f"{name}.article", "identifiant de fiche (ou articles : liste d'identifiants)")
            articles = []
        note = r.text(obj, "note", f"{name}.note", (10, 10_000))
        if at:
            steps.append(Step(at, "resolve", name, {"by": person(obj, "by", f"{name}.by"), "articles": articles,
                                                    "note": note}))
    for name, obj in r.objects(data.get("reopened"), "reopened"):
        at = r.moment(obj, "at", f"{name}.at")
        reason = r.text(obj, "reason", f"{name}.reason", (1, 2000))
        if at:
            steps.append(Step(at, "reopen", name, {"by": person(obj, "by", f"{name}.by", is_staff=False),
                                                   "reason": reason}))
    confirmed, closed = r.obj(data.get("confirmed"), "confirmed"), r.obj(data.get("closed"), "closed")
    confirmed_at = r.moment(confirmed, "at", "confirmed.at") if confirmed is not None else None
    closed_at = r.moment(closed, "at", "closed.at") if closed is not None else None
    if confirmed_at and closed_at and confirmed_at != closed_at:
        r.fail("closed.at", "une confirmation clôt le ticket : closed.at doit valoir confirmed.at (ou être omis)")
    if confirmed_at:
        steps.append(Step(confirmed_at, "confirm", "confirmed", {}))
    elif closed_at:
        steps.append(Step(closed_at, "close", "closed", {}))
    rating = r.obj(data.get("rating"), "rating")
    if rating is not None:
        at, score = r.moment(rating, "at", "rating.at"), rating.get("score")
        if score not in (1, 2, 3, 4, 5) or isinstance(score, bool):
            r.fail("rating.score", "note entière de 1 à 5")
        comment = r.text(rating, "comment", "rating.comment", RATING_COMMENT)
        if at and score in (1, 2, 3, 4, 5):
            steps.append(Step(at, "rate", "rating", {"score": score, "comment": comment}))
