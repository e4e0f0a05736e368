"""A request id on every answer (X-Request-Id; the proxy's when trusted and safe), shown on the error page that hides
the details, and LOG_FORMAT=json: one JSON object per line with the request's id, method, route, status, duration."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from ticket_service import create_app
from ticket_service.domain.policies import PolicyError
from ticket_service.http.api import ANYONE, PERMISSIONS
from ticket_service.http.request_log import configure_logging
from tshelpers import Api, app_config, new_ticket

HEX_ID = re.compile(r"[0-9a-f]{32}")


def _boom():
    raise RuntimeError("secret detail: SELECT * FROM people")


@pytest.fixture
def make_app(db_url, tmp_path, monkeypatch):
    made = []
    monkeypatch.setitem(PERMISSIONS, "api_boom", ANYONE)  # the API denies unlisted endpoints (404)

    def make(**config):
        application = create_app(app_config(db_url, tmp_path / str(len(made)), **config))
        application.add_url_rule("/boom", "boom", _boom)
        application.add_url_rule("/api/v1/boom", "api_boom", _boom)
        made.append(application)
        return application

    yield make
    configure_logging("text")  # take the JSON handler off the root logger again
    for application in made:
        application.extensions["guichet_db"].dispose()


def json_lines(app_logs: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in app_logs.getvalue().splitlines() if line.strip()]


def capture() -> io.StringIO:
    buffer = io.StringIO()
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "guichet_json", False))
    handler.setStream(buffer)
    return buffer


def test_each_answer_has_its_own_id_and_a_client_cannot_choose_it(make_app):
    client = make_app().test_client()
    first, second = client.get("/healthz"), client.get("/healthz", headers={"X-Request-Id": "choisi-par-le-client"})
    assert HEX_ID.fullmatch(first.headers["X-Request-Id"])
    assert HEX_ID.fullmatch(second.headers["X-Request-Id"])  # no proxy configured: nobody's id is trusted
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]


def test_behind_the_proxy_its_safe_id_is_kept_and_an_unsafe_one_replaced(make_app):
    client = make_app(PROXY_COUNT=1).test_client()
    nginx_id = "3f2a9c0d1b7e4f6a8c5d2e1f0a9b8c7d"
    assert client.get("/healthz", headers={"X-Request-Id": nginx_id}).headers["X-Request-Id"] == nginx_id
    for unsafe in ("court", "a b c d e f g h", "x" * 200, 'abcdefgh"}{"level":"ERROR"'):
        answered = client.get("/healthz", headers={"X-Request-Id": unsafe}).headers["X-Request-Id"]
        assert HEX_ID.fullmatch(answered), unsafe


def test_json_logs_one_object_per_line_with_the_request_fields(make_app):
    app = make_app(LOG_FORMAT="json")
    logs = capture()
    client = Api(app, "employee_a")
    ticket = new_ticket(client)
    response = client.get(f"/api/v1/tickets/{ticket['id']}")
    lines = json_lines(logs)
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    line = next(line for line in lines if line.get("request_id") == response.headers["X-Request-Id"])
    assert line["logger"] == "guichet.request" and line["level"] == "INFO"
    assert line["method"] == "GET" and line["route"] == "/api/v1/tickets/<int:ticket_id>"
    assert line["status"] == 200 and isinstance(line["duration_ms"], float)
    assert line["time"].endswith("+00:00")


def test_the_error_page_shows_the_reference_and_hides_the_detail(make_app):
    app = make_app(LOG_FORMAT="json")
    logs = capture()
    client = app.test_client()
    page = client.get("/boom")
    reference = page.headers["X-Request-Id"]
    assert page.status_code == 500
    assert f"Référence de l&#39;erreur : {reference}" in page.text or f"Référence de l'erreur : {reference}" in page.text
    assert "SELECT" not in page.text and "RuntimeError" not in page.text
    api = client.get("/api/v1/boom")
    assert api.status_code == 500 and api.get_json()["error"]["code"] == "internal_error"
    assert api.headers["X-Request-Id"] in api.get_json()["error"]["message"] and "SELECT" not in api.text
    errors = [line for line in json_lines(logs) if line["level"] == "ERROR"]
    assert {line["request_id"] for line in errors} == {reference, api.headers["X-Request-Id"]}
    assert all("RuntimeError: secret detail" in line["exception"] for line in errors)  # the detail is in the log only


def test_english_error_page(make_app):
    page = make_app().test_client().get("/boom?lang=en")
    assert "Error reference: " + page.headers["X-Request-Id"] in page.text


def test_a_bad_log_format_stops_the_start_naming_the_setting(db_url, tmp_path):
    with pytest.raises(PolicyError, match="LOG_FORMAT: 'xml'"):
        create_app(app_config(db_url, tmp_path, LOG_FORMAT="xml"))
