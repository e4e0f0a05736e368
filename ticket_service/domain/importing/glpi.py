"""GLPI's ticket list exported as CSV (Assistance › Tickets › export « CSV »), read into the import format.

The export holds one row per ticket and the columns the list showed, in French or English, sometimes prefixed by
their section (« Attribué à - Technicien »). Only the last part of a header counts, without accents or case. The
export has no timeline (followups, waiting periods), so a GLPI ticket is imported as: created, taken into account,
assigned, resolved with no fiche, closed, rated. See docs/guide-import.md for the mapping.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime, tzinfo
from itertools import chain

from search.analysis import fold

from ticket_service.domain.policies import Policies

# Our name → the headers that carry it (folded: lower case, no accents).
COLUMNS = {
    "id": ("id",),
    "title": ("titre", "title", "nom", "name"),
    "type": ("type",),
    "status": ("statut", "status"),
    "created": ("date d'ouverture", "opening date", "date douverture"),
    "updated": ("derniere modification", "last update"),
    "taken": ("date de prise en compte", "take into account date"),
    "resolved": ("date de resolution", "resolution date"),
    "closed": ("date de cloture", "closing date"),
    "priority": ("priorite", "priority"),
    "urgency": ("urgence", "urgency"),
    "impact": ("impact",),
    "requester": ("demandeur", "requester", "adresse de messagerie", "courriel", "email"),
    "technician": ("technicien", "technician", "attribue a"),
    "group": ("groupe de techniciens", "technician group", "groupe", "group"),
    "category": ("categorie", "category"),
    "description": ("description",),
    "solution": ("solution",),
    "satisfaction": ("satisfaction",),
    "satisfaction_at": ("date de reponse", "response date", "answer date"),
    "satisfaction_comment": ("commentaires", "comments", "commentaire"),
}
TYPES = {"incident": "incident", "demande": "service_request", "request": "service_request"}
# GLPI's six priorities and five urgencies/impacts onto ours.
PRIORITIES = {"majeure": "P1", "major": "P1", "tres haute": "P1", "very high": "P1", "haute": "P2", "high": "P2",
              "moyenne": "P3", "medium": "P3", "basse": "P4", "low": "P4", "tres basse": "P4", "very low": "P4"}
LEVELS = {"tres haute": "high", "very high": "high", "haute": "high", "high": "high", "moyenne": "medium",
          "medium": "medium", "basse": "low", "low": "low", "tres basse": "low", "very low": "low"}
WAITING = ("en attente", "pending")
SOLVED = ("resolu", "solved", "clos", "closed")
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%d/%m/%Y %H:%M:%S",
                "%d/%m/%Y %H:%M", "%m-%d-%Y %H:%M")
PREFIX = "glpi-"


def header_key(header: str) -> str | None:
    """Return our name for a GLPI column header, or None for a column the import does not read."""
    name = " ".join(fold(header.split(" - ")[-1]).replace("’", "'").split())
    return next((key for key, names in COLUMNS.items() if name in names), None)


def read_rows(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, str], dict[str, str]]]:
    """Yield (line number, values by our name, header by our name) for each row (« ; » or « , » separated)."""
    lines = iter(lines)
    first = next(lines, None)
    if first is None:
        return
    first = first.lstrip("\ufeff")
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(chain([first], lines), delimiter=delimiter)
    headers = next(reader, [])
    keys = [header_key(h) for h in headers]
    names = {k: h.strip() for k, h in zip(keys, headers) if k}
    start = 2
    for row in reader:
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        values = {k: cell.strip() for k, cell in zip(keys, row) if k and cell.strip()}
        yield line, values, names


def to_ticket(values: dict[str, str], policies: Policies, zone: tzinfo) -> tuple[dict, list[tuple[str, str]]]:
    """Return the import format's object for one GLPI row, and the problems of the values that do not map."""
    problems: list[tuple[str, str]] = []
    data: dict = {}
    if "id" in values:
        data["external_id"] = PREFIX + values["id"]
    data["title"] = values.get("title")
    data["description"] = values.get("description")
    kind = fold(values.get("type", "incident"))
    if kind not in TYPES:
        problems.append(("type", "Incident ou Demande"))
    data["type"] = TYPES.get(kind, "incident")
    data["requester"] = values.get("requester")
    for key, table in (("priority", PRIORITIES), ("urgency", LEVELS), ("impact", LEVELS)):
        if key in values:
            found = table.get(fold(values[key]))
            if found is None:
                problems.append((key, f"valeur GLPI inconnue « {values[key][:40]} »"))
            data[key] = found
    if "category" in values:
        data["category"] = _category(values["category"], policies)
        if data["category"] is None:
            problems.append(("category", f"« {values['category'][:60]} » ne correspond à aucune catégorie de helpdesk.yml"))
    if "group" in values:
        data["group"] = _group(values["group"], policies)
        if data["group"] is None:
            problems.append(("group", f"« {values['group'][:60]} » ne correspond à aucun groupe de helpdesk.yml"))
    moments = {}
    for key in ("created", "updated", "taken", "resolved", "closed", "satisfaction_at"):
        if key in values:
            moments[key] = _moment(values[key], zone)
            if moments[key] is None:
                problems.append((key, f"date illisible « {values[key][:30]} » (AAAA-MM-JJ HH:MM)"))
    data["created"] = moments.get("created")
    technician = values.get("technician")
    status = fold(values.get("status", ""))
    if technician:
        data["assigned"] = [{"to": technician, "at": moments.get("taken") or moments.get("created")}]
    if moments.get("taken"):
        data["qualified"] = {"at": moments["taken"], "by": technician}
    if status in WAITING and moments.get("updated"):
        data["waiting"] = [{"start": moments["updated"], "by": technician}]
    if moments.get("resolved"):
        resolved = {"at": moments["resolved"], "by": technician}
        if values.get("solution") and len(values["solution"].strip()) >= 10:
            resolved["note"] = values["solution"]
        data["resolved"] = resolved
    elif status in SOLVED:
        problems.append(("resolved", "ticket résolu ou clos sans date de résolution"))
    if moments.get("closed"):
        data["closed"] = {"at": moments["closed"]}
    score = values.get("satisfaction")
    if score and score not in ("0", ""):
        try:
            data["rating"] = {"score": int(float(score.replace(",", "."))),
                              "at": moments.get("satisfaction_at") or moments.get("closed") or moments.get("resolved"),
                              "comment": values.get("satisfaction_comment")}
        except ValueError:
            problems.append(("satisfaction", f"note illisible « {score[:10]} »"))
    return {k: v for k, v in data.items() if v is not None}, problems


def _moment(text: str, zone: tzinfo) -> str | None:
    """Return a GLPI date (the organisation's local time) as ISO 8601 with its offset."""
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).replace(tzinfo=zone).isoformat()
        except ValueError:
            continue
    return None


def _category(text: str, policies: Policies) -> str | None:
    """Match a GLPI category (« Matériel > Imprimante ») to ours by id or label: the whole, the last, the first part."""
    labels = {fold(label): cid for cid, label in policies.categories.items()} | {cid: cid for cid in policies.categories}
    parts = [p.strip() for p in text.split(">")]
    for candidate in (text, parts[-1], parts[0]):
        found = labels.get(fold(candidate.strip()))
        if found:
            return found
    return None


def _group(text: str, policies: Policies) -> str | None:
    """Match a GLPI group to ours by id or name."""
    names = {fold(g.name): gid for gid, g in policies.groups.items()} | {gid: gid for gid in policies.groups}
    return names.get(fold(text.split(">")[-1].strip()))
