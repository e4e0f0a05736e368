"""PROXY_COUNT: the client's address through trusted proxies (ProxyFix), the proxy's own address where it matters
(trusted-header SSO), a spoofed X-Forwarded-For never believed, a bad value refused at start naming the setting."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ticket_service import create_app
from ticket_service.domain.policies import PolicyError
from ticket_service.store.models import LimitCounter
from tshelpers import ROLES, Api, app_config


@pytest.fixture
def proxied(db_url, tmp_path):
    application = create_app(app_config(db_url, tmp_path, PROXY_COUNT=1, SSO_HEADER="X-Remote-Email",
                                        SSO_TRUSTED_PROXIES="10.0.0.5"))
    yield application
    application.extensions["guichet_db"].dispose()


def failure_keys(app) -> set[str]:
    with app.extensions["guichet_db"].reader() as db:
        return set(db.scalars(select(LimitCounter.key).where(LimitCounter.key.like("login-ip:%"))))


def test_the_sign_in_limiter_counts_the_client_behind_the_proxy_not_a_spoofed_entry(proxied):
    client = Api(proxied)
    before = failure_keys(proxied)
    response = client.post("/api/v1/session", json={"email": ROLES["employee_a"], "password": "faux"},
                           headers={"X-Forwarded-For": "10.6.6.6, 192.0.2.44"},  # the client wrote the first one
                           environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert response.status_code == 401
    assert failure_keys(proxied) - before == {"login-ip:192.0.2.44"}


def test_trusted_header_sso_still_checks_the_proxy_itself(proxied):
    header = {"X-Remote-Email": ROLES["admin"], "X-Forwarded-For": "192.0.2.44"}
    client = proxied.test_client()
    through_proxy = client.get("/api/v1/me", headers=header, environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert through_proxy.status_code == 200 and through_proxy.get_json()["role"] == "admin"
    # a client claiming to be the proxy in X-Forwarded-For, from elsewhere, is no proxy
    forged = client.get("/api/v1/me", headers={**header, "X-Forwarded-For": "10.0.0.5"},
                        environ_base={"REMOTE_ADDR": "192.0.2.99"})
    assert forged.status_code == 401


def test_without_a_proxy_count_forwarded_headers_are_ignored(db_url, tmp_path):
    app = create_app(app_config(db_url, tmp_path))
    try:
        before = failure_keys(app)
        Api(app).post("/api/v1/session", json={"email": ROLES["employee_a"], "password": "faux"},
                      headers={"X-Forwarded-For": "192.0.2.44"}, environ_base={"REMOTE_ADDR": "198.51.100.3"})
        assert failure_keys(app) - before == {"login-ip:198.51.100.3"}
    finally:
        app.extensions["guichet_db"].dispose()


@pytest.mark.parametrize("value", ["deux", -1, 11])
def test_a_bad_proxy_count_stops_the_start_naming_the_setting(db_url, tmp_path, value):
    with pytest.raises(PolicyError, match="PROXY_COUNT"):
        create_app(app_config(db_url, tmp_path, PROXY_COUNT=value))
