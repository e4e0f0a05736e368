"""The OpenAPI 3.1 document, generated from the routes and their field allow-lists (so it cannot drift)."""

from __future__ import annotations

import re

from flask import current_app, jsonify

from ticket_service.http.api import PERMISSIONS, bp
from ticket_service.http.api.common import doc

ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message", "fields"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                   "fields": {"type": "object", "additionalProperties": {"type": "string"}}}}}}


def _path(rule: str) -> tuple[str, list[dict]]:
    params = []

    def repl(match):
        converter, name = match.group(1) or "string", match.group(2)
        params.append({"name": name, "in": "path", "required": True,
                       "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1} if converter == "int" else {"type": "string"}})
        return "{" + name + "}"

    return re.sub(r"<(?:(\w+):)?(\w+)>", repl, rule), params


def _object(fields) -> dict:
    fields = fields() if callable(fields) else fields
    return {"type": "object", "additionalProperties": False,
            "required": [n for n, f in fields.items() if f.required],
            "properties": {n: f.schema() for n, f in fields.items()}}


def build_document() -> dict:
    """Return the OpenAPI document for every /api/v1 route."""
    paths: dict = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint not in PERMISSIONS:
            continue
        view = current_app.view_functions[rule.endpoint]
        meta = getattr(view, "openapi", {"summary": view.__doc__ or ""})
        path, params = _path(rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op = {"operationId": f"{rule.endpoint.split('.')[-1]}", "summary": meta["summary"],
                  "x-roles": sorted(PERMISSIONS[rule.endpoint]), "parameters": list(params),
                  "responses": {str(code): {"description": text} for code, text in meta.get("responses", {}).items()}}
            if not any(str(code).startswith("2") for code in op["responses"]):
                op["responses"]["200" if method != "POST" else "201"] = {"description": "success"}
            op["responses"]["default"] = {"description": "error envelope",
                                          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            for name, field in (meta.get("query") or {}).items():
                op["parameters"].append({"name": name, "in": "query", "required": False, "schema": field.schema()})
            if meta.get("idempotent_create"):
                op["parameters"].append({"name": "Idempotency-Key", "in": "header", "required": False,
                                         "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{8,100}$"}})
            if meta.get("raw_body") is not None:
                op["requestBody"] = {"required": True, "content": {"application/json": {"schema": meta["raw_body"]()}}}
            elif meta.get("body") is not None:
                op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _object(meta["body"])}}}
            elif meta.get("multipart"):
                op["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["file"], "properties": {
                        "file": {"type": "string", "format": "binary"}, "internal": {"type": "string", "enum": ["true", "false"]}}}}}}
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Guichet API", "version": "1", "description": "Helpdesk ticket service. Errors always use the envelope."},
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {"Error": ERROR},
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": current_app.config["SESSION_COOKIE_NAME"],
                            "description": "Browser session; writes also need the X-CSRFToken header."},
                "token": {"type": "http", "scheme": "bearer", "description": "API token for integrations (no CSRF)."},
            },
        },
        "security": [{"session": []}, {"token": []}],
    }


@bp.get("/openapi.json")
@doc("This document.")
def openapi():
    return jsonify(build_document())
