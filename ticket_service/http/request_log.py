"""A request id for every request (X-Request-Id both ways) and, with LOG_FORMAT=json, one JSON object per log line."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone

from flask import Flask, current_app, g, has_request_context, request

from ticket_service.domain.policies import PolicyError

log = logging.getLogger("guichet.request")

HEADER = "X-Request-Id"
SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")  # nginx's $request_id is 32 hex digits; nothing that could forge a line
FORMATS = ("text", "json")
REQUEST_FIELDS = ("request_id", "method", "route", "status", "duration_ms")


def request_id() -> str | None:
    """Return this request's id (None outside a request)."""
    return g.get("request_id") if has_request_context() else None


def _start():
    g.request_started = time.perf_counter()  # a duration for the log line, not a business time
    offered = request.headers.get(HEADER, "")
    # Taken from the proxy only (PROXY_COUNT > 0, nginx: proxy_set_header X-Request-Id $request_id), so that one id
    # follows the request through nginx's log and ours; otherwise, or when it is not safe, a fresh one.
    trusted = bool(current_app.config.get("PROXY_COUNT"))
    g.request_id = offered if trusted and SAFE_ID.fullmatch(offered) else uuid.uuid4().hex


def _finish(response):
    response.headers[HEADER] = g.get("request_id") or uuid.uuid4().hex
    started = g.pop("request_started", None)
    duration = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
    log.info("%s %s %s", request.method, request.path, response.status_code,
             extra={"status": response.status_code, "duration_ms": duration})
    return response


class RequestFields(logging.Filter):
    """Add the request's id, method and route to every record logged while a request is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = getattr(record, "request_id", None) or g.get("request_id")
            record.method = getattr(record, "method", None) or request.method
            rule = request.url_rule.rule if request.url_rule is not None else None
            record.route = getattr(record, "route", None) or rule
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the request's fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        for name in REQUEST_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def log_format(config) -> str:
    """Return LOG_FORMAT; a value other than text or json stops the start-up, named."""
    value = str(config.get("LOG_FORMAT") or "text").lower()
    if value not in FORMATS:
        raise PolicyError(f"LOG_FORMAT: {value!r} is not a log format: write text (the default) or json.")
    return value


def configure_logging(form: str, stream=None) -> logging.Handler | None:
    """With ``json``, send every log record (ours, waitress's, gunicorn's workers') as JSON lines to stderr.

    Idempotent: a second app in the process (tests, gunicorn workers) replaces the handler instead of adding one.
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "guichet_json", False)]:
        root.removeHandler(handler)
    if form != "json":
        return None
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.guichet_json = True
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestFields())
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    return handler


def init_app(app: Flask) -> None:
    """Give each request an id and log one line per request; with LOG_FORMAT=json, log JSON lines."""
    form = log_format(app.config)
    app.before_request(_start)
    app.after_request(_finish)
    if form == "json":
        configure_logging(form)
