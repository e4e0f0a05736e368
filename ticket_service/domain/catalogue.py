"""The service catalogue's rules: which item a request names, and what each of its form fields accepts."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from ticket_service.domain.errors import invalid
from ticket_service.domain.policies import CatalogueItem, ItemField, Policies

# One address, no spaces, a dot in the domain: what the form's e-mail fields take (and the browser's type=email).
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WHOLE = re.compile(r"^[+-]?\d{1,10}$")


def item_for(policies: Policies, data: dict) -> tuple[CatalogueItem | None, str]:
    """Return the catalogue item a request names (or None) and the request type it takes; refuse a mismatch."""
    item_id = data.get("catalogue_item")
    item = policies.catalogue.get(item_id) if item_id else None
    if item_id and item is None:
        raise invalid("Cette demande n'existe pas dans le catalogue.", {"catalogue_item": "élément inconnu"})
    kind = data.get("type") or "incident"  # the door states the type: an item never changes it silently
    if item is None:
        if kind == "access_request":
            raise invalid("Choisissez l'accès demandé.", {"catalogue_item": "obligatoire pour une demande d'accès"})
        if data.get("item_fields"):
            raise invalid("Les champs d'une demande du catalogue vont avec l'élément choisi.",
                          {"item_fields": "choisissez d'abord l'élément du catalogue (catalogue_item)"})
        return None, kind
    if kind != item.type:
        label = "une demande d'accès" if item.type == "access_request" else "une demande de service"
        raise invalid(f"« {item.label} » est {label}.", {"type": f"{item.type} pour cet élément du catalogue"})
    return item, kind


def check_answers(item: CatalogueItem, answers, today: date) -> dict:
    """Return the answers to an item's fields, typed and trimmed (unanswered optional fields left out).

    Raises Invalid with one message per field at fault, keyed ``item_fields.<field id>``.
    """
    if answers is None:
        answers = {}
    if not isinstance(answers, dict):
        raise invalid("Les champs de la demande sont illisibles.", {"item_fields": "objet attendu (champ → valeur)"})
    errors = {f"item_fields.{str(key)[:40]}": "champ inconnu pour cette demande"
              for key in answers if item.field_by_id(key) is None}
    clean = {}
    for spec in item.fields:
        value = answers.get(spec.id)
        if value is None or (isinstance(value, str) and not value.strip()):
            if spec.required:
                errors[f"item_fields.{spec.id}"] = "champ obligatoire"
            continue
        try:
            clean[spec.id] = _answer(spec, value, today)
        except ValueError as problem:
            errors[f"item_fields.{spec.id}"] = str(problem)
    if errors:
        raise invalid("Certains champs de la demande sont invalides.", errors)
    return clean


def _answer(spec: ItemField, value, today: date):
    """Return one answer in its stored form, or raise ValueError with the French message for the person."""
    if spec.type == "number":
        if isinstance(value, str) and _WHOLE.match(value.strip()):
            value = int(value.strip())
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or abs(value) > 10**9:
            raise ValueError("nombre entier attendu")
        if spec.minimum is not None and value < spec.minimum:
            raise ValueError(f"au moins {spec.minimum}")
        if spec.maximum is not None and value > spec.maximum:
            raise ValueError(f"au plus {spec.maximum}")
        return value
    if not isinstance(value, str):
        raise ValueError("texte attendu")
    value = value.strip()
    if spec.type == "choice":
        if value not in spec.options:
            raise ValueError("choisissez une des options proposées")
        return value
    if spec.type == "date":
        try:
            day = date.fromisoformat(value) if _DATE.match(value) else None
        except ValueError:
            day = None
        if day is None:
            raise ValueError("date attendue (AAAA-MM-JJ)")
        if spec.min_days is not None and day < today + timedelta(days=spec.min_days):
            raise ValueError(f"pas avant le {(today + timedelta(days=spec.min_days)):%d/%m/%Y}")
        return day.isoformat()
    if spec.max_length is not None and len(value) > spec.max_length:
        raise ValueError(f"au plus {spec.max_length} caractères")
    if spec.type == "email" and not _EMAIL.match(value):
        raise ValueError("adresse e-mail attendue (prenom.nom@exemple.fr)")
    return value


def today_for(policies: Policies, now: datetime) -> date:
    """Return the organisation's date at an instant (the earliest date a field accepts counts from it)."""
    return now.astimezone(policies.organisation.zone).date()


def answers_shown(policies: Policies, catalogue_item: str | None, answers: dict | None) -> list[tuple[str, object]]:
    """Return a ticket's answers as (label, value) in the item's field order: a choice as its label, a date as a date.

    Fields since removed from helpdesk.yml are shown under their id, with the value as stored.
    """
    if not answers:
        return []
    item = policies.catalogue.get(catalogue_item or "")
    specs = {f.id: f for f in item.fields} if item is not None else {}
    shown = []
    for field_id in [f for f in specs if f in answers] + [f for f in answers if f not in specs]:
        spec, value = specs.get(field_id), answers[field_id]
        if spec is None:
            shown.append((field_id, value))
        elif spec.type == "choice":
            shown.append((spec.label, spec.options.get(value, value)))
        elif spec.type == "date" and isinstance(value, str) and _DATE.match(value):
            shown.append((spec.label, date.fromisoformat(value)))
        else:
            shown.append((spec.label, value))
    return shown
