"""The allow-list schema of help-session events: every type with the fields it may carry, nothing free-form."""

from __future__ import annotations

import re

from ticket_service.http.errors import ApiError
from ticket_service.http.validation import Field, validate

TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
ARTICLE = Field("str", required=True, min_len=1, max_len=120)
SOURCES = ("form", "after_ticket", "article", "banner")
# type → the fields it may carry (beyond id, type, at). Anything else is refused: no free-form payloads.
SCHEMA: dict[str, dict[str, Field]] = {
    "suggestions_shown": {"query": Field("str", required=True, max_len=200), "abstained": Field("bool"),
                          "suggestions": Field("suggestions")},
    "article_opened": {"article": ARTICLE, "rank": Field("int", minimum=1, maximum=10),
                       "source": Field("enum", choices=SOURCES)},
    "solved": {"article": ARTICLE, "source": Field("enum", choices=SOURCES)},
    "ticket_created": {"ticket": Field("int", required=True, minimum=1)},
    "page_view": {"article": ARTICLE},
    "page_feedback": {"article": ARTICLE, "helpful": Field("bool", required=True),
                      "reason": Field("str", max_len=500, nullable=True)},
    "banner_joined": {"incident": Field("int", required=True, minimum=1)},
}
FORM_TYPES = ("suggestions_shown", "article_opened", "solved", "ticket_created")
COMMON = {"id": Field("str", required=True, min_len=8, max_len=64, description="Event id made by the browser (dedup)."),
          "type": Field("enum", required=True, choices=tuple(SCHEMA)),
          "at": Field("int", minimum=0, maximum=2**53, description="When it happened (ms since epoch; clamped).")}
MAX_SUGGESTIONS = 10


class EventsField(Field):
    """The ``events`` array: objects checked one by one against SCHEMA (declared here for OpenAPI)."""

    def schema(self) -> dict:
        variants = [{"type": "object", "additionalProperties": False, "required": ["id", "type"],
                     "properties": {**{n: f.schema() for n, f in COMMON.items()}, "type": {"const": kind},
                                    **{n: _field_schema(f) for n, f in spec.items()}}}
                    for kind, spec in SCHEMA.items()]
        return {"type": "array", "minItems": 1, "maxItems": 50, "items": {"oneOf": variants},
                "description": self.description}


def _field_schema(field: Field) -> dict:
    if field.kind != "suggestions":
        return field.schema()
    item = {"type": "object", "additionalProperties": False, "required": ["id", "rank"],
            "properties": {"id": {"type": "string", "maxLength": 120}, "rank": {"type": "integer", "minimum": 1},
                           "score": {"type": "number"}, "category": {"type": "string", "maxLength": 50}}}
    return {"type": "array", "maxItems": MAX_SUGGESTIONS, "items": item}


BATCH = {"session": Field("str", required=True, min_len=8, max_len=64,
                          description="Help-session id made by the browser (random, no personal data)."),
         "events": EventsField("events", required=True, description="1–50 events, see the schema per type.")}


def parse_batch(data: dict, max_batch: int) -> tuple[str, list[dict]]:
    """Validate a batch against the allow-list; return (session id, clean events). Any bad event fails the batch."""
    validate(data, BATCH)
    session_id, events = data["session"], data["events"]
    if not TOKEN.match(session_id):
        raise ApiError(422, "invalid_fields", "Identifiant de session invalide.", {"session": "8–64 caractères A-Z a-z 0-9 _ -"})
    if not isinstance(events, list) or not 1 <= len(events) <= max_batch:
        raise ApiError(422, "invalid_fields", "Lot d'événements invalide.", {"events": f"liste de 1 à {max_batch} événements"})
    return session_id, [_parse_event(i, item) for i, item in enumerate(events)]


def _parse_event(index: int, item) -> dict:
    prefix = f"events[{index}]"
    if not isinstance(item, dict):
        raise ApiError(422, "invalid_fields", "Événement invalide.", {prefix: "objet attendu"})
    kind = item.get("type")
    spec = {**COMMON, **SCHEMA.get(kind, {})} if isinstance(kind, str) else COMMON
    try:
        validate(item, spec)
    except ApiError as exc:  # name the event at fault
        raise ApiError(exc.status, exc.code, exc.message, {f"{prefix}.{k}": v for k, v in exc.fields.items()}) from None
    if not TOKEN.match(item["id"]):
        raise ApiError(422, "invalid_fields", "Événement invalide.", {f"{prefix}.id": "8–64 caractères A-Z a-z 0-9 _ -"})
    if "suggestions" in item:
        item["suggestions"] = _suggestions(prefix, item["suggestions"])
    return item


def _suggestions(prefix: str, value) -> list[dict]:
    problem = {f"{prefix}.suggestions": f"liste d'au plus {MAX_SUGGESTIONS} objets {{id, rank, score, category}}"}
    if not isinstance(value, list) or len(value) > MAX_SUGGESTIONS:
        raise ApiError(422, "invalid_fields", "Événement invalide.", problem)
    clean = []
    for entry in value:
        if not isinstance(entry, dict) or set(entry) - {"id", "rank", "score", "category"}:
            raise ApiError(422, "invalid_fields", "Événement invalide.", problem)
        article, rank = entry.get("id"), entry.get("rank")
        score, category = entry.get("score", 0), entry.get("category")
        if (not isinstance(article, str) or not 0 < len(article) <= 120 or not isinstance(rank, int)
                or isinstance(rank, bool) or not 1 <= rank <= MAX_SUGGESTIONS
                or not isinstance(score, (int, float)) or isinstance(score, bool)
                or not (category is None or (isinstance(category, str) and len(category) <= 50))):
            raise ApiError(422, "invalid_fields", "Événement invalide.", problem)
        clean.append({"id": article, "rank": rank, "score": round(float(score), 4), "category": category})
    return clean
