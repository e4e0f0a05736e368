"""Monitoring alerts in: the source's bearer token, and the two accepted bodies turned into domain Alerts.

Accepted: Prometheus Alertmanager's webhook (version 4: ``alerts[]`` with status, labels, annotations,
fingerprint, startsAt/endsAt) and a small generic JSON that Uptime Kuma, Zabbix or a script can send
(docs/canaux-alertes.md).
"""

from __future__ import annotations

import hashlib
import json

from flask import request
from sqlalchemy.orm import Session

from ticket_service.domain.alerts import FINGERPRINT_MAX, STATUSES, Alert, source_for_token
from ticket_service.domain.vocabulary import DESCRIPTION, TITLE
from ticket_service.http.errors import ApiError
from ticket_service.http.validation import Field, parse_id, validate
from ticket_service.store.models import AlertSource

ALERTS_PER_REQUEST = 500  # Alertmanager sends a group's alerts together; max_alerts in its config caps them too
LABEL_MAX = 2000  # one label or annotation value

GENERIC = {
    "fingerprint": Field("str", required=True, min_len=1, max_len=FINGERPRINT_MAX,
                         description="Stable id of the alert: the same for its repeats and its recovery."),
    "status": Field("enum", required=True, choices=STATUSES),
    "title": Field("str", required=True, min_len=TITLE[0], max_len=TITLE[1]),
    "description": Field("str", max_len=DESCRIPTION[1]),
    "severity": Field("str", max_len=40, nullable=True,
                      description="critical, error, warning, info (helpdesk.yml alerts.severities)."),
    "service": Field("str", max_len=100, nullable=True),
    "major_incident": Field("int", minimum=1, nullable=True, description="An open major incident's ticket id."),
}

_TEXT_MAP = {"type": "object", "maxProperties": 100, "additionalProperties": {"type": "string", "maxLength": LABEL_MAX}}
ALERTMANAGER_SCHEMA = {
    "type": "object", "required": ["alerts"], "description": "Prometheus Alertmanager webhook, version 4.",
    "properties": {
        "version": {"type": "string"}, "status": {"type": "string"}, "receiver": {"type": "string"},
        "groupKey": {"type": "string"}, "externalURL": {"type": "string"},
        "alerts": {"type": "array", "minItems": 1, "maxItems": ALERTS_PER_REQUEST, "items": {
            "type": "object", "required": ["status"], "properties": {
                "status": {"type": "string", "enum": list(STATUSES)}, "labels": _TEXT_MAP, "annotations": _TEXT_MAP,
                "fingerprint": {"type": "string", "minLength": 1, "maxLength": FINGERPRINT_MAX},
                "startsAt": {"type": "string"}, "endsAt": {"type": "string"}, "generatorURL": {"type": "string"}}}},
    },
}


def body_schema() -> dict:
    """Return the request body's JSON Schema for the OpenAPI document: one of the two formats."""
    generic = {"type": "object", "additionalProperties": False, "description": "Guichet's generic alert.",
               "required": [n for n, f in GENERIC.items() if f.required],
               "properties": {n: f.schema() for n, f in GENERIC.items()}}
    return {"oneOf": [ALERTMANAGER_SCHEMA, generic]}


def authenticate(db: Session) -> AlertSource:
    """Return the source whose token the request bears; 401 for a missing, unknown or revoked one."""
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    source = source_for_token(db, token) if token else None
    if source is None:
        raise ApiError(401, "invalid_token", "Jeton de source d'alertes manquant, invalide ou révoqué.",
                       headers={"WWW-Authenticate": 'Bearer realm="guichet-alerts"'})
    return source


def parse(data: dict) -> list[Alert]:
    """Return the alerts of a body: Alertmanager's when it holds ``alerts``, else the generic form (422 if neither)."""
    if "alerts" in data:
        return _alertmanager(data)
    body = validate(data, GENERIC)
    return [Alert(fingerprint=body["fingerprint"].strip(), status=body["status"], title=body["title"].strip(),
                  description=(body.get("description") or "").strip(), severity=body.get("severity"),
                  service=body.get("service"), major_incident=body.get("major_incident"))]


def _alertmanager(data: dict) -> list[Alert]:
    items = data["alerts"]
    if not isinstance(items, list) or not 1 <= len(items) <= ALERTS_PER_REQUEST:
        raise ApiError(422, "invalid_fields", "Format Alertmanager invalide.",
                       {"alerts": f"liste de 1 à {ALERTS_PER_REQUEST} alertes attendue"})
    errors, found = {}, []
    for index, item in enumerate(items):
        key = f"alerts[{index}]"
        problem = _alert_problem(item)
        if problem:
            errors[f"{key}.{problem[0]}" if problem[0] else key] = problem[1]
            continue
        found.append(_from_alertmanager(item))
    if errors:
        raise ApiError(422, "invalid_fields", "Certaines alertes sont invalides.", dict(list(errors.items())[:20]))
    return found


def _alert_problem(item) -> tuple[str, str] | None:
    if not isinstance(item, dict):
        return "", "objet attendu"
    if item.get("status") not in STATUSES:
        return "status", "firing ou resolved attendu"
    for name in ("labels", "annotations"):
        value = item.get(name, {})
        if not isinstance(value, dict) or len(value) > 100 or not all(
                isinstance(k, str) and len(k) <= 200 and isinstance(v, str) and len(v) <= LABEL_MAX
                for k, v in value.items()):
            return name, f"objet de textes attendu (au plus 100, de {LABEL_MAX} caractères)"
    for name in ("fingerprint", "startsAt", "endsAt", "generatorURL"):
        value = item.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > LABEL_MAX):
            return name, "texte attendu"
    fingerprint = item.get("fingerprint")
    if fingerprint is not None and not 1 <= len(fingerprint.strip()) <= FINGERPRINT_MAX:
        return "fingerprint", f"1 à {FINGERPRINT_MAX} caractères"
    if not item.get("fingerprint") and not item.get("labels"):
        return "fingerprint", "empreinte ou étiquettes obligatoires (pour reconnaître les répétitions)"
    return None


def _from_alertmanager(item: dict) -> Alert:
    labels, notes = item.get("labels") or {}, item.get("annotations") or {}
    # Alertmanager's fingerprint is a hash of the labels; without one, ours is too (the same labels, the same alert)
    fingerprint = (item.get("fingerprint") or "").strip() or hashlib.sha256(
        json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]
    name = labels.get("alertname", "").strip()
    summary = (notes.get("summary") or notes.get("title") or "").strip()
    title = " : ".join(part for part in (name, summary) if part) or f"Alerte {fingerprint}"
    if labels.get("instance"):
        title = f"{title} ({labels['instance']})"
    lines = [(notes.get("description") or notes.get("message") or "").strip()]
    if labels:
        lines += ["", "Étiquettes :"] + [f"- {k} = {v}" for k, v in sorted(labels.items())]
    for label, key in (("Début", "startsAt"), ("Fin", "endsAt"), ("Source", "generatorURL")):
        value = (item.get(key) or "").strip()
        if value and not value.startswith("0001-01-01"):  # Alertmanager's « not ended yet »
            lines.append(f"{label} : {value}")
    if notes.get("runbook_url"):
        lines.append(f"Procédure : {notes['runbook_url']}")
    return Alert(fingerprint=fingerprint[:FINGERPRINT_MAX], status=item["status"],
                 title=title[:TITLE[1]], description="\n".join(lines).strip()[:DESCRIPTION[1] - 400],
                 severity=labels.get("severity"), service=labels.get("service") or labels.get("job"),
                 major_incident=parse_id(labels.get("major_incident")))
