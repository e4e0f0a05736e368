"""Sign-in, sessions, CSRF, API tokens and SSO (A-08, A-10, A-11, A-12; A-07 for a disabled account); storage settings
and lock handling (D-02, D-06)."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from click.testing import CliRunner
from sqlalchemy import event, select

from ticket_service import create_app
from ticket_service.auth.identity import hash_token
from ticket_service.cli import main as guichet
from ticket_service.store.db import Database, StorageError, check_schema, check_storage, upgrade
from ticket_service.demo.tickets import ensure_people
from ticket_service.store.models import ApiToken, Person
from tshelpers import FAST_HASH, PASSWORD, ROLES, Api, app_config


def test_csrf_is_required_for_browser_writes(app, api):
    client = Api(app, "employee_a")
    body = {"title": "Sans jeton", "description": "Doit échouer."}
    no_token = client.client.post("/api/v1/tickets", json=body)
    assert no_token.status_code == 403 and no_token.get_json()["error"]["code"] == "csrf_failed"
    other = Api(app, "employee_b")
    foreign = client.client.post("/api/v1/tickets", json=body, headers={"X-CSRFToken": other.csrf})
    assert foreign.status_code == 403
    assert client.client.post("/api/v1/tickets", json=body, headers={"X-CSRFToken": "garbage"}).status_code == 403
    assert client.post("/api/v1/tickets", json=body).status_code == 201
    anonymous_login = app.test_client().post("/api/v1/session", json={"email": ROLES["n1"], "password": PASSWORD})
    assert anonymous_login.status_code == 403  # login CSRF too


def test_session_cookie_is_hardened_and_renewed_at_sign_in(app):
    client = app.test_client()
    token = client.get("/api/v1/session").get_json()["csrf_token"]
    before = client.get_cookie("__Host-guichet")
    response = client.post("/api/v1/session", json={"email": ROLES["employee_a"], "password": PASSWORD},
                           headers={"X-CSRFToken": token})
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-guichet=") and "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Path=/" in cookie and "Domain" not in cookie
    assert client.get_cookie("__Host-guichet").value != before.value


def test_sign_in_gives_no_account_enumeration_and_logout_kills_the_cookie(app):
    client = Api(app)
    unknown = client.post("/api/v1/session", json={"email": "personne@ferrand-associes.fr", "password": "x"})
    wrong = client.post("/api/v1/session", json={"email": ROLES["n2"], "password": "x"})
    assert (unknown.status_code, unknown.get_data()) == (wrong.status_code, wrong.get_data())
    assert unknown.status_code == 401
    signed = Api(app, "n2")
    cookie = signed.client.get_cookie("__Host-guichet").value
    assert signed.delete("/api/v1/session").status_code == 204
    replay = app.test_client()
    replay.set_cookie("__Host-guichet", cookie)
    assert replay.get("/api/v1/me").status_code == 401


def test_disabled_account_loses_its_session_immediately(app, database, users):
    signed = Api(app, "n1_bis")
    assert signed.get("/api/v1/me").status_code == 200
    with database.write() as db:
        person = db.get(Person, users["n1_bis"])
        person.active, person.session_epoch = False, person.session_epoch + 1
    assert signed.get("/api/v1/me").status_code == 401
    with database.write() as db:
        db.get(Person, users["n1_bis"]).active = True


def test_login_rate_limit_per_account(db_url, tmp_path):
    limited = create_app(app_config(db_url, tmp_path, LOGIN_MAX_FAILURES=3))
    try:
        client = Api(limited)
        statuses = [client.post("/api/v1/session", json={"email": ROLES["n2"], "password": "faux"}).status_code
                    for _ in range(5)]
        assert statuses == [401, 401, 401, 429, 429]
        # the right password is refused too while locked (no oracle), other accounts still work
        assert client.post("/api/v1/session", json={"email": ROLES["n2"], "password": PASSWORD}).status_code == 429
        assert Api(limited, "n1").get("/api/v1/me").status_code == 200
    finally:
        limited.extensions["guichet_db"].dispose()


def test_parallel_wrong_passwords_are_counted_atomically(db_url, tmp_path):
    limited = create_app(app_config(db_url, tmp_path, LOGIN_MAX_FAILURES=5))
    calls = []
    from ticket_service.auth import identity

    original = identity.check_password_hash

    def counting(*args):
        calls.append(1)
        return original(*args)

    identity.check_password_hash = counting
    try:
        clients = [Api(limited) for _ in range(20)]
        barrier = threading.Barrier(20)

        def attempt(client):
            barrier.wait()
            client.post("/api/v1/session", json={"email": ROLES["admin"], "password": "faux"})

        threads = [threading.Thread(target=attempt, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(calls) <= 5
    finally:
        identity.check_password_hash = original
        limited.extensions["guichet_db"].dispose()


def test_api_tokens_work_without_csrf_and_can_be_revoked(app, database, users):
    with database.write() as db:
        db.add(ApiToken(person_id=users["n1"], token_hash=hash_token("gct_test-token-valide"), name="test"))
    client = app.test_client()
    headers = {"Authorization": "Bearer gct_test-token-valide"}
    created = client.post("/api/v1/tickets", json={"title": "Via intégration", "description": "Supervision."}, headers=headers)
    assert created.status_code == 201
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer faux"}).status_code == 401
    with database.write() as db:
        db.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token("gct_test-token-valide"))).revoked = True
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_trusted_header_sso_only_when_configured_and_from_the_proxy(app, db_url, tmp_path):
    header = {"X-Remote-Email": ROLES["admin"]}
    assert app.test_client().get("/api/v1/me", headers=header).status_code == 401  # off by default
    sso = create_app(app_config(db_url, tmp_path, SSO_HEADER="X-Remote-Email", SSO_TRUSTED_PROXIES="10.0.0.5"))
    try:
        client = sso.test_client()
        assert client.get("/api/v1/me", headers=header).status_code == 401  # 127.0.0.1 is not the proxy
        trusted = client.get("/api/v1/me", headers=header, environ_base={"REMOTE_ADDR": "10.0.0.5"})
        assert trusted.status_code == 200 and trusted.get_json()["role"] == "admin"
        unknown = client.get("/api/v1/me", headers={"X-Remote-Email": "intrus@evil.test"}, environ_base={"REMOTE_ADDR": "10.0.0.5"})
        assert unknown.status_code == 401
        # SSO requests are browser requests: writes still need the CSRF token
        write = client.post("/api/v1/tickets", json={"title": "SSO", "description": "Sans jeton."}, headers=header,
                            environ_base={"REMOTE_ADDR": "10.0.0.5"})
        assert write.status_code == 403
    finally:
        sso.extensions["guichet_db"].dispose()


def test_startup_refuses_an_unmigrated_database_and_names_the_fix(tmp_path):
    empty = f"sqlite:///{tmp_path / 'vide.sqlite3'}"
    with pytest.raises(StorageError, match="guichet db upgrade"):
        create_app(app_config(empty, tmp_path))
    result = CliRunner().invoke(guichet, ["serve", "--port", "1"], env={"GUICHET_DATABASE_URL": empty,
                                                                        "GUICHET_SITE_DIR": str(tmp_path)})
    assert result.exit_code == 1 and "guichet db upgrade" in result.output


def test_storage_settings_are_read_back(db_url):
    database = Database(db_url)
    try:
        check_storage(database)
        check_schema(database)
        with database.engine.connect() as conn:
            if database.is_sqlite:
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    finally:
        database.dispose()


def test_weak_durability_settings_are_refused(db_url, tmp_path):
    if db_url.startswith("sqlite"):
        database = Database(db_url)
        event.listen(database.engine, "connect", lambda conn, _: conn.execute("PRAGMA synchronous=NORMAL"))
        with pytest.raises(StorageError, match="synchronous"):
            check_storage(database)
    else:
        separator = "&" if "?" in db_url else "?"
        database = Database(db_url.replace("options=", "options=-csynchronous_commit%3Doff%20") if "options=" in db_url
                            else f"{db_url}{separator}options=-csynchronous_commit%3Doff")
        with pytest.raises(StorageError, match="synchronous_commit"):
            check_storage(database)
        check_storage(database, allow_async_commit=True)
    database.dispose()


def test_a_held_write_lock_gives_503_with_retry_after_and_nothing_written(tmp_path):
    # SQLite only: PostgreSQL waits on row locks instead of failing the whole write.
    db_url = f"sqlite:///{tmp_path / 'locked.sqlite3'}"
    fresh = Database(db_url)
    upgrade(fresh)
    with fresh.write() as session:
        ensure_people(session, PASSWORD, FAST_HASH)
    fresh.dispose()
    impatient = create_app(app_config(db_url, tmp_path, BUSY_TIMEOUT_MS=200))
    try:
        client = Api(impatient, "employee_a")
        holder = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            response = client.post("/api/v1/tickets", json={"title": "Pendant le verrou", "description": "Attente."})
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert response.status_code == 503 and response.headers["Retry-After"]
        assert response.get_json()["error"]["code"] == "storage_busy"
        listing = client.get("/api/v1/tickets?per_page=100").get_json()["items"]
        assert "Pendant le verrou" not in [t["title"] for t in listing]
        assert client.post("/api/v1/tickets", json={"title": "Après le verrou", "description": "OK."}).status_code == 201
    finally:
        impatient.extensions["guichet_db"].dispose()
