"""Strict input: one JSON reader that never crashes, and allow-list field specs (also used by OpenAPI)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Callable, Iterable

from flask import current_app, request

from ticket_service.domain.policies import FIELDS_PER_ITEM as ANSWERS_MAX  # each answer is checked by the domain
from ticket_service.http.errors import ApiError

MAX_DEPTH = 16
MAX_INT = 2**31 - 1  # every integer field is bounded: larger values cannot be bound on every backend
# ASCII digits only: str.isdigit() and int() also take « ² », « ١٢ » or « ３ » (and int() then fails on « ² »).
_ID = re.compile(r"[0-9]{1,9}")


def parse_id(raw: str | None) -> int | None:
    """Return a number written in at most nine ASCII digits (every door's rule for ids, pages, ratings), else None."""
    return int(raw) if isinstance(raw, str) and _ID.fullmatch(raw) else None


@dataclass(frozen=True)
class Field:
    """One accepted input field: its JSON type and constraints."""

    kind: str  # str | int | bool | enum | ids | strs | answers (an object of short scalar values)
    required: bool = False
    min_len: int = 0
    max_len: int = 10_000
    minimum: int | None = None
    maximum: int | None = None
    choices: Callable[[], Iterable[str]] | tuple[str, ...] | None = None
    nullable: bool = False
    description: str = ""

    def allowed(self) -> list[str]:
        return list(self.choices() if callable(self.choices) else self.choices or ())

    def schema(self) -> dict:
        """Return the JSON Schema of this field."""
        base: dict
        if self.kind in ("str", "enum"):
            base = {"type": "string"}
            if self.kind == "enum":
                base["enum"] = self.allowed()
            else:
                base.update(minLength=self.min_len, maxLength=self.max_len)
        elif self.kind == "int":
            base = {"type": "integer", "maximum": MAX_INT if self.maximum is None else self.maximum}
            if self.minimum is not None:
                base["minimum"] = self.minimum
        elif self.kind == "bool":
            base = {"type": "boolean"}
        elif self.kind == "ids":
            base = {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": MAX_INT}, "maxItems": 50}
        elif self.kind == "answers":
            base = {"type": "object", "maxProperties": ANSWERS_MAX, "propertyNames": {"maxLength": 40},
                    "additionalProperties": {"anyOf": [{"type": "string", "maxLength": self.max_len},
                                                       {"type": "number"}, {"type": "null"}]}}
        else:  # strs
            base = {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 120}, "maxItems": 20}
        if self.nullable:
            base = {"anyOf": [base, {"type": "null"}]}
        if self.description:
            base["description"] = self.description
        return base


def _reject_duplicates(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise ApiError(400, "duplicate_key", f"Clé JSON en double : {key[:50]!r}.")
        result[key] = value
    return result


def _check_tree(value) -> None:
    """Walk the document without recursion: bounded depth, valid Unicode, no NUL characters."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ApiError(400, "too_deep", f"Document JSON trop imbriqué (au plus {MAX_DEPTH} niveaux).")
        if isinstance(item, str):
            check_text(item)
        elif isinstance(item, dict):
            for key, sub in item.items():
                check_text(key)
                stack.append((sub, depth + 1))
        elif isinstance(item, list):
            stack.extend((sub, depth + 1) for sub in item)


def is_valid_text(text: str) -> bool:
    """True when a text can be stored and queried: valid Unicode, no NUL."""
    try:
        check_text(text)
    except ApiError:
        return False
    return True


def check_text(text: str) -> str:
    """Return the text, refusing what no backend stores: lone surrogates and NUL (API, queries and page forms)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates such as "\ud800" parse as JSON but cannot be stored
        raise ApiError(400, "invalid_text", "Texte invalide (caractère Unicode isolé).") from None
    if "\x00" in text:
        raise ApiError(400, "invalid_text", "Texte invalide (caractère nul).")
    return text


def _reject_constant(name: str):
    # NaN and ±Infinity are not JSON (RFC 8259): Python's reader accepts them, and no score or number may be one.
    raise ValueError(f"{name} is not JSON")


def read_json(limit_setting: str = "MAX_JSON_BYTES") -> dict:
    """Parse the request body as a JSON object, turning every malformed input into a 4xx."""
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", "Envoyez du JSON (Content-Type: application/json).")
    limit = int(current_app.config[limit_setting])
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, "payload_too_large", f"Corps JSON trop volumineux (au plus {limit} octets).")
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        raise ApiError(413, "payload_too_large", f"Corps JSON trop volumineux (au plus {limit} octets).")
    try:
        data = json.loads(raw.decode("utf-8"), object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant)
    except RecursionError:
        raise ApiError(400, "too_deep", f"Document JSON trop imbriqué (au plus {MAX_DEPTH} niveaux).") from None
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "invalid_json", "Corps JSON illisible.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "Le corps doit être un objet JSON.")
    _check_tree(data)
    return data


def validate(data: dict, spec: dict[str, Field]) -> dict:
    """Return the data checked against an allow-list; unknown fields 400, bad values 422."""
    unknown = sorted(set(data) - set(spec))
    if unknown:
        raise ApiError(400, "unknown_fields", "Champs non autorisés pour cette action.",
                       {name[:60]: "champ non autorisé" for name in unknown[:20]})
    errors = {}
    for name, field in spec.items():
        if name not in data:
            if field.required:
                errors[name] = "champ obligatoire"
            continue
        problem = _field_problem(field, data[name])
        if problem:
            errors[name] = problem
    if errors:
        raise ApiError(422, "invalid_fields", "Certains champs sont invalides.", errors)
    return data


def _field_problem(field: Field, value) -> str | None:
    if value is None:
        return None if field.nullable else "ne peut pas être vide"
    if field.kind == "str":
        if not isinstance(value, str):
            return "texte attendu"
        if len(value.strip()) < field.min_len:
            return f"au moins {field.min_len} caractères"
        if len(value) > field.max_len:
            return f"au plus {field.max_len} caractères"
    elif field.kind == "enum":
        if not isinstance(value, str) or value not in field.allowed():
            return "valeur inconnue (voir " + ", ".join(field.allowed()[:12]) + ")"
    elif field.kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            return "nombre entier attendu"
        low = -MAX_INT if field.minimum is None else field.minimum
        high = MAX_INT if field.maximum is None else field.maximum
        if not low <= value <= high:
            return f"entre {low} et {high}"
    elif field.kind == "bool":
        if not isinstance(value, bool):
            return "true ou false attendu"
    elif field.kind == "ids":
        if not isinstance(value, list) or len(value) > 50 or not all(
                isinstance(v, int) and not isinstance(v, bool) and 0 < v <= MAX_INT for v in value):
            return "liste d'identifiants (entiers) attendue"
    elif field.kind == "answers":
        if not isinstance(value, dict) or len(value) > ANSWERS_MAX or not all(
                len(k) <= 40 and (v is None or isinstance(v, (int, float, str)) and not isinstance(v, bool))
                and not (isinstance(v, str) and len(v) > field.max_len) for k, v in value.items()):
            return f"objet attendu : au plus {ANSWERS_MAX} champs, chacun un texte, un nombre ou null"
    elif field.kind == "strs":
        if not isinstance(value, list) or len(value) > 20 or not all(
                isinstance(v, str) and 0 < len(v) <= 120 for v in value):
            return "liste de textes courts attendue"
    return None


def read_query(spec: dict[str, Field]) -> dict:
    """Return the query string checked against an allow-list (ints converted)."""
    raw = {}
    for name in request.args:
        values = request.args.getlist(name)
        if len(values) > 1:
            raise ApiError(400, "duplicate_parameter", f"Paramètre répété : {name[:40]}.")
        raw[name] = values[0]
    for name in list(raw):
        field = spec.get(name)
        if field is not None and field.kind == "int":
            number = parse_id(raw[name])  # every integer parameter is a positive count or id: the pages' rule
            if number is None:
                raise ApiError(422, "invalid_fields", "Paramètre invalide.", {name: "nombre entier attendu"})
            raw[name] = number
        elif field is not None and field.kind == "bool":
            if raw[name] not in ("true", "false"):
                raise ApiError(422, "invalid_fields", "Paramètre invalide.", {name: "true ou false attendu"})
            raw[name] = raw[name] == "true"
        elif field is not None:
            check_text(raw[name])
    return validate(raw, spec)
