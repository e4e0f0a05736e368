"""Trusted-header SSO behind a reverse proxy (A-12): the header signs in only from a configured proxy address."""

from __future__ import annotations

import ipaddress
import logging

import pytest
from sqlalchemy import select

from ticket_service import create_app
from ticket_service.auth.header_sso import HeaderSsoConfigError, from_trusted_proxy, trusted_networks
from ticket_service.store.models import Person
from tshelpers import ROLES, app_config

HEADER = "X-Forwarded-Email"
PROXY = {"REMOTE_ADDR": "127.0.0.1"}


@pytest.fixture(scope="module")
def app(db_url, tmp_path_factory):
    """The app behind a proxy on loopback or in 10.1.0.0/24, trusting its X-Forwarded-Email header."""
    application = create_app(app_config(db_url, tmp_path_factory.mktemp("app"), SSO_HEADER_NAME=HEADER,
                                        SSO_TRUSTED_PROXIES="127.0.0.1, 10.1.0.0/24"))
    yield application
    application.extensions["guichet_db"].dispose()


def me(app, email, peer, **headers):
    return app.test_client().get("/api/v1/me", headers={HEADER: email, **headers}, environ_base={"REMOTE_ADDR": peer})


def test_the_header_signs_in_from_the_configured_proxy(app):
    response = me(app, ROLES["n1"], "127.0.0.1")
    assert response.status_code == 200 and response.get_json()["email"] == ROLES["n1"]
    assert me(app, ROLES["admin"].upper(), "10.1.0.77").get_json()["role"] == "admin"  # in the CIDR block; any case
    page = app.test_client().get("/desk", headers={HEADER: ROLES["n1"]}, environ_base=PROXY)
    assert page.status_code == 200 and "Bureau des techniciens" in page.text


@pytest.mark.parametrize("peer", ["10.9.9.9", "10.1.1.1", "192.168.0.10", "::1", "not-an-address"])
def test_the_header_from_another_address_is_ignored_and_logged(app, peer, caplog):
    with caplog.at_level(logging.WARNING, logger="ticket_service.auth.header_sso"):
        response = me(app, ROLES["admin"], peer)
    assert response.status_code == 401
    assert any("not a trusted proxy" in r.getMessage() and HEADER in r.getMessage() for r in caplog.records)
    assert ROLES["admin"] not in caplog.text  # the claimed identity is not echoed into the log


def test_x_forwarded_for_does_not_make_a_stranger_a_proxy(app):
    assert me(app, ROLES["admin"], "10.9.9.9", **{"X-Forwarded-For": "127.0.0.1", "X-Real-IP": "127.0.0.1"}) \
        .status_code == 401


def test_an_unknown_or_disabled_person_is_refused(app, database):
    assert me(app, "intrus@evil.test", "127.0.0.1").status_code == 401
    assert me(app, "pas une adresse", "127.0.0.1").status_code == 401
    with database.write() as db:
        db.scalar(select(Person).where(Person.email == ROLES["employee_b"])).active = False
    try:
        assert me(app, ROLES["employee_b"], "127.0.0.1").status_code == 401
    finally:
        with database.write() as db:
            db.scalar(select(Person).where(Person.email == ROLES["employee_b"])).active = True
    assert me(app, ROLES["employee_b"], "127.0.0.1").status_code == 200


def test_sso_writes_still_need_the_csrf_token(app):
    response = app.test_client().post("/api/v1/tickets", json={"title": "SSO", "description": "Sans jeton."},
                                      headers={HEADER: ROLES["employee_a"]}, environ_base=PROXY)
    assert response.status_code == 403


def test_without_a_header_name_nothing_is_trusted_even_from_the_proxy(db_url, tmp_path):
    plain = create_app(app_config(db_url, tmp_path, SSO_TRUSTED_PROXIES="127.0.0.1"))
    try:
        assert me(plain, ROLES["admin"], "127.0.0.1", **{"X-Remote-User": ROLES["admin"]}).status_code == 401
    finally:
        plain.extensions["guichet_db"].dispose()


def test_a_bad_proxy_list_stops_the_start_naming_the_setting(db_url, tmp_path):
    with pytest.raises(HeaderSsoConfigError, match="SSO_TRUSTED_PROXIES.*'proxy.local'"):
        create_app(app_config(db_url, tmp_path, SSO_HEADER_NAME=HEADER, SSO_TRUSTED_PROXIES="10.0.0.5, proxy.local"))


def test_proxy_networks_parse_addresses_blocks_and_lists():
    assert trusted_networks("") == () and trusted_networks(None) == ()
    assert trusted_networks("10.0.0.5,192.168.1.0/24  fd00::/8") == (
        ipaddress.ip_network("10.0.0.5/32"), ipaddress.ip_network("192.168.1.0/24"), ipaddress.ip_network("fd00::/8"))
    networks = trusted_networks(["10.0.0.5", "fd00::/8"])
    assert from_trusted_proxy("::ffff:10.0.0.5", networks)  # a dual-stack listener's view of an IPv4 proxy
    assert from_trusted_proxy("fd00::1", networks) and not from_trusted_proxy("fe80::1", networks)
    assert not from_trusted_proxy("10.0.0.6", networks) and not from_trusted_proxy(None, networks)
