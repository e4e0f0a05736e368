"""Catalogue I-10: an error shows a generic message with a reference, never a traceback, SQL, a path or a secret;
the log keeps the details under the same reference."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import text
from web_fixtures import Browser, migrated_app

from ticket_service.http.api import PERMISSIONS, SIGNED_IN

SECRET = "postgresql://guichet:s3cr3t-passw0rd@db.internal/guichet"
PATH = "/srv/guichet/ticket_service/secret_module.py"
LEAKS = ("Traceback", "s3cr3t", "db.internal", PATH, "secret_module", "RuntimeError", "SELECT", "sqlite", "tickets_hidden")


def _boom():
    raise RuntimeError(f"could not connect to {SECRET} from {PATH}")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with migrated_app("sqlite", tmp_path_factory.mktemp("errors")) as application:
        # Routes that fail like a bug deep in the code would, added before the app serves its first request.
        application.add_url_rule("/api/v1/_explode", "api_explode", _boom)
        application.add_url_rule("/mes-demandes/_explode", "page_explode", _boom)
        PERMISSIONS["api_explode"] = SIGNED_IN  # the API denies unlisted endpoints
        try:
            yield application
        finally:
            del PERMISSIONS["api_explode"]


def assert_clean(body: str):
    for leak in LEAKS:
        assert leak not in body, leak


@pytest.mark.parametrize(("path", "is_api"), [("/api/v1/_explode", True), ("/mes-demandes/_explode", False)])
def test_an_unexpected_error_gives_a_reference_and_logs_the_rest(app, caplog, path, is_api):
    with caplog.at_level(logging.ERROR, logger="ticket_service.errors"):
        response = Browser(app, "employee_a").get(path)
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert_clean(body)
    if is_api:
        assert response.get_json()["error"]["code"] == "internal_error"
        body = response.get_json()["error"]["message"]
    # « Référence de l'erreur : … » (the apostrophe escaped in the page): the answer's X-Request-Id
    reference = re.search(r"éférence de l(?:'|&#39;)erreur : ([0-9a-f]{32})", body).group(1)
    assert reference == response.headers["X-Request-Id"]
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert logged and logged[0].exc_info and SECRET in str(logged[0].exc_info[1])  # the details stay in the log


def test_a_database_error_is_a_retryable_503_without_sql(app):
    engine = app.extensions["guichet_db"].engine
    client = Browser(app, "employee_a")
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE tickets RENAME TO tickets_hidden"))
    try:
        response = client.get("/api/v1/tickets")
        page = client.get("/mes-demandes")
    finally:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE tickets_hidden RENAME TO tickets"))
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "storage_busy"
    assert response.headers["Retry-After"]
    assert page.status_code == 503
    assert_clean(response.get_data(as_text=True))
    assert_clean(page.get_data(as_text=True))
    assert client.get("/api/v1/tickets").status_code == 200  # and it comes back
